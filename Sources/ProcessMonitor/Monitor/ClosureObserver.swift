/// An observer made from a closure.
///
/// ```swift
/// let monitor = try ProcessMonitor.start(observers: [
///     ClosureObserver { heartbeat in
///         for stall in heartbeat.stalls { print("stalled: \(stall.label) for \(stall.age)") }
///     },
/// ])
/// ```
public struct ClosureObserver: HeartbeatObserver {
    private let body: @Sendable (Heartbeat) throws -> Void

    /// Wraps `body`, called with every heartbeat on the monitor's thread.
    public init(_ body: @escaping @Sendable (Heartbeat) throws -> Void) {
        self.body = body
    }

    public func observe(_ heartbeat: Heartbeat) throws {
        try body(heartbeat)
    }
}
