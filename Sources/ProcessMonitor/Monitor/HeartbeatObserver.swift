/// Receives every heartbeat the monitor produces.
///
/// Each observer has a delivery thread and a bounded queue of its own: the monitor hands a
/// heartbeat over and moves on, so an observer that takes its time (a sink stuck on a full pipe
/// or a dead network mount) delays neither the schedule nor any other observer. When an
/// observer's queue is full, its *oldest* waiting heartbeat is dropped, so it catches up with
/// the newest, and the count is passed to ``heartbeatsDropped(_:)`` before the next one. An
/// observer that throws is reported once to stderr and counted; it does not stop the other
/// observers or the monitor. Exporters in `MonitorExport` are observers.
///
/// ```swift
/// struct PrintObserver: HeartbeatObserver {
///     func observe(_ heartbeat: Heartbeat) throws { print(heartbeat.sequence) }
/// }
/// ```
public protocol HeartbeatObserver: Sendable {
    /// Called with each heartbeat, in order, on this observer's own delivery thread.
    func observe(_ heartbeat: Heartbeat) throws

    /// Called once after the final heartbeat when the monitor stops: flush and close here.
    func monitorDidStop()

    /// How many heartbeats may wait for this observer before the oldest is dropped. Default 16:
    /// at a one-minute interval, a quarter of an hour of backlog.
    var queueCapacity: Int { get }

    /// Called on the delivery thread, before the next ``observe(_:)``, with how many heartbeats
    /// were dropped from this observer's queue since the last call. Count them: a heartbeat that
    /// never arrived is a record that was lost. Does nothing by default.
    func heartbeatsDropped(_ count: Int)
}

extension HeartbeatObserver {
    /// Does nothing by default.
    public func monitorDidStop() {}

    /// 16 by default.
    public var queueCapacity: Int { 16 }

    /// Does nothing by default.
    public func heartbeatsDropped(_ count: Int) {}
}
