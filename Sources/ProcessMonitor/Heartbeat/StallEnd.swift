extension Heartbeat {
    /// A scope that an earlier heartbeat reported as stalled and that has since ended.
    ///
    /// Reported once, by the first heartbeat after the end, so a log reader can tell a stall that
    /// cleared from one that lasted until the process died (Tomcat's "was previously reported to be
    /// stuck but has completed").
    ///
    /// ```swift
    /// for end in heartbeat.stallEnds { print("\(end.label) on \(end.lane) ran \(end.duration)") }
    /// ```
    public struct StallEnd: Sendable, Equatable {
        /// The lane the scope ran on.
        public var lane: LaneID
        /// The scope's label.
        public var label: String
        /// How long the scope ran in all, from entry to the end the monitor saw.
        ///
        /// The end is the lane's last change when the lane has not entered a new scope since
        /// (exact), and otherwise the time of this heartbeat (an upper bound).
        public var duration: Duration

        /// Creates a stall-end value.
        public init(lane: LaneID, label: String, duration: Duration) {
            self.lane = lane
            self.label = label
            self.duration = duration
        }
    }
}

/// The former top-level name, kept for one release.
@available(*, deprecated, renamed: "Heartbeat.StallEnd")
public typealias StallEnd = Heartbeat.StallEnd
