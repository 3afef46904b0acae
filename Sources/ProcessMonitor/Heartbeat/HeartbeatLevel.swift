/// Severity of a heartbeat or of one rendered line of it.
public enum HeartbeatLevel: String, Sendable, Equatable, Comparable, CaseIterable {
    /// Routine progress.
    case info
    /// Something looks stuck: a stall.
    case warning = "warn"

    public static func < (lhs: HeartbeatLevel, rhs: HeartbeatLevel) -> Bool {
        lhs == .info && rhs == .warning
    }
}
