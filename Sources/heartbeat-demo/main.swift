print("heartbeat-demo: under construction")
