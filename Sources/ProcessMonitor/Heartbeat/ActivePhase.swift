extension Heartbeat {
    /// The phase a heartbeat puts front and centre: the lane whose innermost scope is oldest.
    public struct ActivePhase: Sendable, Equatable {
        /// The lane the phase runs on.
        public var lane: LaneID
        /// Label of the lane's innermost scope.
        public var label: String
        /// How long the innermost scope has been running.
        public var age: Duration
        /// Progress of the innermost scope on that lane that has a counter, if any.
        public var progress: ProgressReading?

        /// Creates an active-phase value.
        public init(lane: LaneID, label: String, age: Duration, progress: ProgressReading? = nil) {
            self.lane = lane
            self.label = label
            self.age = age
            self.progress = progress
        }
    }
}

/// The former top-level name, kept for one release.
@available(*, deprecated, renamed: "Heartbeat.ActivePhase")
public typealias ActivePhase = Heartbeat.ActivePhase
