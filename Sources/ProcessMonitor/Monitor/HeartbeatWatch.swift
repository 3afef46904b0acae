/// What the monitor remembers between heartbeats to tell *why* a scope is stuck: which
/// counters moved (``ProgressWatch``), the threads under stalled scopes (``StallInspector``),
/// and the resource trend (``ResourceForecaster``). Monitor-thread state.
struct HeartbeatWatch {
    var progress = ProgressWatch()
    var inspector: StallInspector
    var forecaster: ResourceForecaster?

    init(configuration: MonitorConfiguration, inspector: StallInspector = StallInspector()) {
        self.inspector = inspector
        self.forecaster = configuration.forecastHorizon.map { ResourceForecaster(horizon: $0) }
    }
}
