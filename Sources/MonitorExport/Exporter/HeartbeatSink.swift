import ProcessMonitor

/// Writes rendered lines somewhere: a stream, a file, a closure.
///
/// A sink never throws on the write path and never crashes its host: a line it cannot write is
/// dropped and counted in ``droppedRecords``.
///
/// ```swift
/// final class CountingSink: HeartbeatSink {
///     let count = Atomic<Int>(0)
///     func write(_ line: RenderedLine) { count.add(1, ordering: .relaxed) }
///     var droppedRecords: UInt64 { 0 }
/// }
/// ```
public protocol HeartbeatSink: Sendable {
    /// Writes one line (the sink adds the newline) with a single write.
    func write(_ line: RenderedLine)
    /// Pushes buffered lines out.
    func flush()
    /// Flushes and releases the sink's resources; later writes are dropped.
    func close()
    /// Lines dropped because they could not be written.
    var droppedRecords: UInt64 { get }
}

extension HeartbeatSink {
    /// Does nothing by default.
    public func flush() {}
    /// Calls ``flush()`` by default.
    public func close() { flush() }
    /// Zero by default.
    public var droppedRecords: UInt64 { 0 }
}
