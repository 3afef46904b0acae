/// What one lane was doing at snapshot time.
struct LaneRecord: Equatable {
    /// A label as read from a lane, or a ready string (tests and decoders build these).
    enum Label: Equatable {
        case text(String)
        case raw(RawLabel)
    }

    var id: LaneID
    var depth: Int
    var label: Label
    /// Monotonic nanoseconds at which the innermost frame was entered.
    var entered: UInt64
    /// Monotonic nanoseconds of the lane's last push or pop.
    var lastChange: UInt64
    /// The innermost frame that has a progress counter.
    var progress: RawProgress?
    /// The lane's identity across heartbeats (its address); 0 for records built by hand.
    var key: UInt = 0
    /// The identity of the lane this lane's task was started from, while that link holds.
    var parentKey: UInt?
    /// The innermost frame's own stall threshold in milliseconds (`UInt64.max`: never).
    var stallThresholdMilliseconds: UInt64?
    /// The lane's state word when it was read, for reading its whole stack later.
    var generation: UInt64 = 0
    /// A thread lane's kernel thread id; 0 for task lanes and records built by hand.
    var threadID: Int32 = 0
    /// When the monitor last saw ``progress``'s counter move (monotonic ns), filled in by
    /// ``ProgressWatch``; `nil` when it has not seen it move.
    var progressMovedAt: UInt64?
}

/// Every open lane at one instant, plus the bytes of their dynamic labels.
///
/// Lanes are copied into flat, reused buffers and labels stay raw until the heartbeat picks the
/// handful of lines that show them, so a snapshot of a thousand lanes allocates almost nothing.
struct MonitorSnapshot {
    var lanes: [LaneRecord] = []
    var labelBytes: [UInt8] = []
    /// Lanes that changed under the reader on every attempt; counted, not shown.
    var busyLanes = 0

    func resolve(_ label: LaneRecord.Label) -> String {
        switch label {
        case .text(let text):
            return text
        case .raw(.staticBytes(let start, let count)):
            guard let start else { return "" }
            return String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
        case .raw(.scalar(let value)):
            return Unicode.Scalar(value).map { String(Character($0)) } ?? "\u{FFFD}"
        case .raw(.buffered(let range)):
            guard range.upperBound <= labelBytes.count else { return "" }
            return String(decoding: labelBytes[range], as: UTF8.self)
        }
    }
}
