/// Receives every heartbeat the monitor produces.
///
/// Observers run one after another on the monitor's own thread, with no monitor lock held, so
/// an observer may take its time without blocking any scope. An observer that throws is
/// reported once to stderr and counted; it does not stop the other observers or the monitor.
/// Exporters in `MonitorExport` are observers.
///
/// ```swift
/// struct PrintObserver: HeartbeatObserver {
///     func observe(_ heartbeat: Heartbeat) throws { print(heartbeat.sequence) }
/// }
/// ```
public protocol HeartbeatObserver: Sendable {
    /// Called with each heartbeat, on the monitor's thread.
    func observe(_ heartbeat: Heartbeat) throws

    /// Called once after the final heartbeat when the monitor stops: flush and close here.
    func monitorDidStop()
}

extension HeartbeatObserver {
    /// Does nothing by default.
    public func monitorDidStop() {}
}
