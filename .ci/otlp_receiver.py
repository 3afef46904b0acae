#!/usr/bin/env python3
"""A stand-in OTLP/HTTP receiver for .ci/check-otlp.sh.

Listens on a free loopback port (written to --port-file once listening), and for every POST:
saves the body and a log entry; answers 503 with `Retry-After: N` for --unavailable-for seconds
after the first request, then 200 with an empty OTLP success body; exits (closing the port, so
later connections are refused) --lifetime seconds after the first request, or after --max-wait
seconds if none comes. Times count from the first request, not from start-up, so a slow start
of the client under load cannot make it miss the 503 phase.
"""
import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True, help="directory for bodies and requests.jsonl")
parser.add_argument("--port-file", required=True)
parser.add_argument("--unavailable-for", type=float, default=3.0)
parser.add_argument("--retry-after", default="1")
parser.add_argument("--lifetime", type=float, default=7.0)
parser.add_argument("--max-wait", type=float, default=120.0)
args = parser.parse_args()

os.makedirs(args.out, exist_ok=True)
log_lock = threading.Lock()
counter = [0]
started = time.monotonic()
first_request = threading.Event()
first_request_at = [None]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):  # keep CI output quiet
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        with log_lock:
            if first_request_at[0] is None:
                first_request_at[0] = time.monotonic()
                first_request.set()
        age = time.monotonic() - first_request_at[0]
        status = 503 if age < args.unavailable_for else 200
        with log_lock:
            counter[0] += 1
            name = f"{counter[0]:05d}.json"
            with open(os.path.join(args.out, name), "wb") as f:
                f.write(body)
            with open(os.path.join(args.out, "requests.jsonl"), "a") as f:
                f.write(json.dumps({
                    "t": age, "path": self.path, "status": status, "file": name,
                    "content_type": self.headers.get("Content-Type"),
                }) + "\n")
        if status == 503:
            self.send_response(503)
            self.send_header("Retry-After", args.retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            reply = b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(args.port_file + ".tmp", args.port_file)
threading.Thread(target=server.serve_forever, daemon=True).start()
if first_request.wait(timeout=args.max_wait):
    time.sleep(max(0.0, args.lifetime - (time.monotonic() - first_request_at[0])))
with open(os.path.join(args.out, "gone"), "w") as f:
    f.write(str(time.monotonic() - (first_request_at[0] or started)))
# Exit without a graceful shutdown: the port closes and connections are refused, as when a
# collector dies.
os._exit(0)
