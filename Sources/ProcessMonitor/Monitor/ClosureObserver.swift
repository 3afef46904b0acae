/// An observer made from a closure.
///
/// ```swift
/// let observer = ClosureObserver { heartbeat in
///     metrics.record(cores: heartbeat.cpu.coresBusy ?? 0)
/// }
/// ```
public struct ClosureObserver: HeartbeatObserver {
    private let body: @Sendable (Heartbeat) throws -> Void

    /// Wraps `body`, called with every heartbeat on the monitor's thread.
    ///
    /// ```swift
    /// ClosureObserver { print($0.sequence) }
    /// ```
    public init(_ body: @escaping @Sendable (Heartbeat) throws -> Void) {
        self.body = body
    }

    public func observe(_ heartbeat: Heartbeat) throws {
        try body(heartbeat)
    }
}
