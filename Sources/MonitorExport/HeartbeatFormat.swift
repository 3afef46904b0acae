import ProcessMonitor

/// One rendered line of a heartbeat, without its trailing newline, and its severity.
///
/// Formats produce lines; sinks write them, one `write` per line.
///
/// ```swift
/// let line = RenderedLine(text: "[process-monitor] elapsed=5s ...", level: .info)
/// ```
public struct RenderedLine: Sendable, Equatable {
    /// The line's text, one physical line: formats escape every newline inside a value.
    public var text: String
    /// `.warning` for stall lines (and JSON records that carry stalls), `.info` otherwise.
    public var level: HeartbeatLevel

    /// Creates a rendered line.
    ///
    /// ```swift
    /// RenderedLine(text: "hello", level: .info)
    /// ```
    public init(text: String, level: HeartbeatLevel) {
        self.text = text
        self.level = level
    }
}

/// What a format may need beyond the heartbeat itself.
///
/// ```swift
/// let context = FormatContext(droppedRecords: sink.droppedRecords)
/// ```
public struct FormatContext: Sendable, Equatable {
    /// Records the sink has dropped so far (disk full, I/O errors); machine formats report it.
    public var droppedRecords: UInt64

    /// Creates a context.
    ///
    /// ```swift
    /// FormatContext(droppedRecords: 0)
    /// ```
    public init(droppedRecords: UInt64 = 0) {
        self.droppedRecords = droppedRecords
    }
}

/// Turns a ``Heartbeat`` into lines: text, JSON Lines, logfmt, or your own.
///
/// ```swift
/// struct OneLine: HeartbeatFormat {
///     func render(_ heartbeat: Heartbeat, context: FormatContext) -> [RenderedLine] {
///         [RenderedLine(text: "beat \(heartbeat.sequence)", level: heartbeat.level)]
///     }
/// }
/// ```
public protocol HeartbeatFormat: Sendable {
    /// The lines for one heartbeat, in output order.
    func render(_ heartbeat: Heartbeat, context: FormatContext) -> [RenderedLine]
}

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
