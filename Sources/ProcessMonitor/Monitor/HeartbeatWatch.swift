/// What the monitor remembers between heartbeats to tell *why* a scope is stuck: which
/// counters moved (``ProgressWatch``), the threads under stalled scopes (``StallInspector``),
/// and the resource trend (``ResourceForecaster``). Monitor-thread state.
struct HeartbeatWatch {
    /// Lines of a captured native backtrace, at most.
    static let maxBacktraceLines = 32
    /// How long the monitor waits for a stalled thread to record its stack.
    static let backtraceTimeout: Duration = .milliseconds(100)

    var progress = ProgressWatch()
    var inspector: StallInspector
    var forecaster: ResourceForecaster?

    init(configuration: MonitorConfiguration, inspector: StallInspector = StallInspector()) {
        self.inspector = inspector
        if configuration.captureStacks, inspector.captureBacktrace == nil {
            self.inspector.captureBacktrace = Self.captureBacktrace
        }
        self.forecaster = configuration.forecastHorizon.map { ResourceForecaster(horizon: $0) }
    }

    /// A stalled thread's native stack, or one line saying why there is none (the signal is the
    /// host's, the thread exited, it did not answer in time): a capture never fails silently.
    static func captureBacktrace(_ threadID: Int32) -> [String] {
        switch NativeBacktraceCapturer.shared.capture(threadID: threadID, maxFrames: maxBacktraceLines, timeout: backtraceTimeout) {
        case .success(let lines): lines
        case .failure(let unavailable): ["<no backtrace: \(unavailable.reason)>"]
        }
    }
}
