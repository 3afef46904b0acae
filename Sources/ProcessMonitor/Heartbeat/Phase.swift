extension Heartbeat {
    /// What one lane is doing: its innermost scope and how long it has been there.
    ///
    /// ```swift
    /// for phase in heartbeat.phases { print(phase.lane, phase.depth, phase.label) }
    /// ```
    public struct Phase: Sendable, Equatable {
        /// The lane.
        public var lane: LaneID
        /// Number of scopes open on the lane.
        public var depth: Int
        /// Label of the innermost scope.
        public var label: String
        /// How long the innermost scope has been running: never shorter than the truth, and at most
        /// one tick of the coarse monotonic clock (1-4 ms) longer.
        public var age: Duration
        /// Time since the lane's stack last changed (a scope entered or left), as exact as ``age``
        /// after an entry or the exit of a scope a snapshot could have shown. A scope that began and
        /// ended between two of a running monitor's snapshots ends without a clock read (so a scope
        /// pair costs one): after its exit this counts from the lane's last entry, longer than the
        /// truth by at most that short scope's length.
        public var sinceLastChange: Duration
        /// Progress of the innermost scope on the lane that has a counter, if any.
        public var progress: ProgressReading?
        /// The task lane this one's task was started from (a task group's parent), if any.
        public var parent: LaneID?
        /// Descendant lanes (child tasks, their children, …) with a scope open. A lane with any is
        /// *waiting* on them: however old its innermost scope, it is not reported as a stall; a
        /// descendant that stops changing is reported itself, where the time is spent.
        public var activeDescendants: Int
        /// The threshold past which this phase would be a stall: its innermost scope's own, or the
        /// monitor's; `nil` for a scope that is never one (``StallThreshold/never``).
        public var stallThreshold: Duration?

        /// Creates a phase value.
        public init(
            lane: LaneID,
            depth: Int,
            label: String,
            age: Duration,
            sinceLastChange: Duration,
            progress: ProgressReading? = nil,
            parent: LaneID? = nil,
            activeDescendants: Int = 0,
            stallThreshold: Duration? = .seconds(120)
        ) {
            self.lane = lane
            self.depth = depth
            self.label = label
            self.age = age
            self.sinceLastChange = sinceLastChange
            self.progress = progress
            self.parent = parent
            self.activeDescendants = activeDescendants
            self.stallThreshold = stallThreshold
        }
    }
}

/// The former top-level name, kept for one release.
@available(*, deprecated, renamed: "Heartbeat.Phase")
public typealias Phase = Heartbeat.Phase
