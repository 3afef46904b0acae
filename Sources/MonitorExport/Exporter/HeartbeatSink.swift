import ProcessMonitor

/// Writes rendered lines somewhere: a stream, a file, a closure, a server.
///
/// The exporter hands a sink each heartbeat's lines as one batch, from the exporter's own
/// delivery thread, so a sink that replaces a whole file per heartbeat (the Prometheus textfile)
/// or sends one request per heartbeat (OTLP/HTTP) sees them together. A simple sink only
/// implements ``write(_:)-(RenderedLine)``: the default batch method calls it for each line.
///
/// A sink never throws on the write path and never crashes its host: a line it cannot write is
/// dropped and counted in ``droppedRecords``.
///
/// ```swift
/// final class CountingSink: HeartbeatSink {
///     let count = Atomic<Int>(0)
///     func write(_ line: RenderedLine) { count.add(1, ordering: .relaxed) }
/// }
/// ```
public protocol HeartbeatSink: Sendable {
    /// Writes one line (the sink adds the newline) with a single write.
    func write(_ line: RenderedLine)
    /// Writes one heartbeat's lines, in order. By default, ``write(_:)-(RenderedLine)`` for each.
    func write(_ lines: [RenderedLine])
    /// Pushes buffered lines out.
    func flush()
    /// Flushes and releases the sink's resources; later writes are dropped.
    func close()
    /// Lines dropped because they could not be written.
    var droppedRecords: UInt64 { get }
}

extension HeartbeatSink {
    /// Writes each line with ``write(_:)-(RenderedLine)``.
    public func write(_ lines: [RenderedLine]) {
        for line in lines { write(line) }
    }
    /// Does nothing by default.
    public func flush() {}
    /// Calls ``flush()`` by default.
    public func close() { flush() }
    /// Zero by default.
    public var droppedRecords: UInt64 { 0 }
}
