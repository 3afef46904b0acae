public import ProcessMonitor

/// One rendered line of a heartbeat, without its trailing newline, and its severity.
///
/// Formats produce lines; sinks write them, one `write` per line.
public struct RenderedLine: Sendable, Equatable {
    /// The line's text, one physical line: formats escape every newline inside a value.
    public var text: String
    /// `.warning` for stall lines (and JSON records that carry stalls), `.info` otherwise.
    public var level: HeartbeatLevel

    /// Creates a rendered line.
    public init(text: String, level: HeartbeatLevel) {
        self.text = text
        self.level = level
    }
}
