public import ProcessMonitor

/// Turns a `Heartbeat` into lines: text, JSON Lines, logfmt, or your own.
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
