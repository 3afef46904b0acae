/// How often the monitor beats and what it calls a stall.
///
/// Every value is validated by the throwing initializer and again when a monitor is created:
/// zero, negative and absurd values are rejected with a ``MonitorError`` that names the field.
///
/// ```swift
/// var configuration = MonitorConfiguration()
/// configuration.interval = .seconds(10)
/// configuration.stallThreshold = .seconds(300)
/// let monitor = try ProcessMonitor.start(configuration: configuration, observers: [exporter])
/// ```
public struct MonitorConfiguration: Sendable, Equatable {
    /// Time between scheduled heartbeats. Default 60 s; allowed 10 ms through 1 day.
    public var interval: Duration
    /// An innermost scope running at least this long is reported as a stall. Default 120 s;
    /// allowed 1 ms through 365 days.
    public var stallThreshold: Duration
    /// Most per-lane phase lines in one heartbeat; the rest are counted as omitted.
    /// Default 8; allowed 1 through 10 000.
    public var maxPhaseLines: Int
    /// Whether the monitor runs at all. A disabled monitor starts no thread and emits nothing:
    /// `start()` and `stop()` do nothing, `emitNow()` returns `nil`, and `run()` only waits
    /// for cancellation. `PROCESS_MONITOR_DISABLE=1` sets it, so an operator can turn the
    /// monitor off without a rebuild. Default `true`.
    public var isEnabled: Bool
    /// Whether a stalled thread's native stack is captured (Linux), once per stall, into
    /// ``Heartbeat/Stall/backtrace``. Off by default: it signals the stalled thread, which interrupts the
    /// system call it is blocked in (restarted where the kernel allows, as with any signal).
    /// `PROCESS_MONITOR_STALL_STACKS=1` sets it.
    public var captureStacks: Bool
    /// How far ahead a resource trend is projected: a limit the fit reaches within this horizon
    /// is a ``Heartbeat/ResourceForecast``. Default 15 minutes; allowed 1 minute through 7 days; `nil`
    /// turns forecasts off.
    public var forecastHorizon: Duration?

    /// The allowed range of ``interval``.
    public static let intervalRange: ClosedRange<Duration> = .milliseconds(10) ... .seconds(86_400)
    /// The allowed range of ``stallThreshold``.
    public static let stallThresholdRange: ClosedRange<Duration> = .milliseconds(1) ... .seconds(365 * 86_400)
    /// The allowed range of ``forecastHorizon``.
    public static let forecastHorizonRange: ClosedRange<Duration> = .seconds(60) ... .seconds(7 * 86_400)
    /// The allowed range of ``maxPhaseLines``.
    public static let maxPhaseLinesRange: ClosedRange<Int> = 1 ... 10_000

    /// The defaults, which match the seed monitor: 60 s, 120 s, 8 lines.
    public init() {
        interval = .seconds(60)
        stallThreshold = .seconds(120)
        maxPhaseLines = 8
        isEnabled = true
        captureStacks = false
        forecastHorizon = .seconds(900)
    }

    /// Creates a configuration, throwing a ``MonitorError`` that names the first field out of
    /// range; unspecified values are the defaults (60 s, 120 s, 8 lines).
    public init(
        interval: Duration = .seconds(60),
        stallThreshold: Duration = .seconds(120),
        maxPhaseLines: Int = 8,
        isEnabled: Bool = true,
        captureStacks: Bool = false,
        forecastHorizon: Duration? = .seconds(900)
    ) throws(MonitorError) {
        self.interval = interval
        self.stallThreshold = stallThreshold
        self.maxPhaseLines = maxPhaseLines
        self.isEnabled = isEnabled
        self.captureStacks = captureStacks
        self.forecastHorizon = forecastHorizon
        try validate()
    }

    /// Throws a ``MonitorError`` naming the first field that is out of range.
    public func validate() throws(MonitorError) {
        try Self.check("interval", interval, in: Self.intervalRange)
        try Self.check("stallThreshold", stallThreshold, in: Self.stallThresholdRange)
        if let forecastHorizon { try Self.check("forecastHorizon", forecastHorizon, in: Self.forecastHorizonRange) }
        guard Self.maxPhaseLinesRange.contains(maxPhaseLines) else {
            throw MonitorError(
                code: .invalidConfiguration,
                field: "maxPhaseLines",
                message: "maxPhaseLines must be between \(Self.maxPhaseLinesRange.lowerBound) and "
                    + "\(Self.maxPhaseLinesRange.upperBound) (got \(maxPhaseLines))"
            )
        }
    }

    private static func check(
        _ field: String, _ value: Duration, in range: ClosedRange<Duration>
    ) throws(MonitorError) {
        guard range.contains(value) else {
            throw MonitorError(
                code: .invalidConfiguration,
                field: field,
                message: "\(field) must be between \(range.lowerBound) and \(range.upperBound) (got \(value))"
            )
        }
    }
}
