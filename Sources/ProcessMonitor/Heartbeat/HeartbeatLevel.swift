/// Severity of a heartbeat or of one rendered line of it.
///
/// ```swift
/// let level: HeartbeatLevel = heartbeat.stalls.isEmpty ? .info : .warning
/// ```
public enum HeartbeatLevel: String, Sendable, Equatable, Comparable, CaseIterable {
    /// Routine progress.
    case info
    /// Something looks stuck: a stall.
    case warning = "warn"

    public static func < (lhs: HeartbeatLevel, rhs: HeartbeatLevel) -> Bool {
        lhs == .info && rhs == .warning
    }
}
