extension Heartbeat {
    /// A lane whose innermost scope has run past its stall threshold without progress and without
    /// a live child: where the job is stuck, and what it is doing there.
    ///
    /// A lane stalls when its innermost scope is at least ``threshold`` old, the progress counter
    /// on it (if any) has not moved for that long either, and no child task under it is still in a
    /// scope. The monitor then says *why*: ``thread`` is what the thread under it is doing (Linux),
    /// ``stack`` is every scope open on the lane, and ``backtrace`` the native stack when the
    /// monitor was asked to capture one.
    ///
    /// ```swift
    /// for stall in heartbeat.stalls {
    ///     print("\(stall.lane) stuck in \(stall.label) for \(stall.age)", stall.thread?.state ?? .unknown)
    /// }
    /// ```
    public struct Stall: Sendable, Equatable {
        /// The stuck lane.
        public var lane: LaneID
        /// Label of its innermost scope.
        public var label: String
        /// How long that scope has been running.
        public var age: Duration
        /// The threshold it passed: the scope's own (`withScope(…, stallThreshold:)`) or the
        /// monitor's.
        public var threshold: Duration
        /// The lane's progress counter, when it has one; its ``ProgressReading/sinceLastMove`` is how
        /// long it has not moved.
        public var progress: ProgressReading?
        /// Number of scopes open on the lane (``stack`` holds at most the 64 outermost).
        public var depth: Int
        /// Every scope open on the lane, outermost first, with its age; empty when the lane changed
        /// before it could be read (the stall has just ended).
        public var stack: [ScopeFrame]
        /// What the thread under the scope is doing; ``Heartbeat/ThreadActivity/suspended`` for an `async`
        /// task; `nil` where it cannot be read (not Linux, or beyond the inspection cap).
        public var thread: ThreadActivity?
        /// The thread's native stack, innermost first, symbolicated, when
        /// ``MonitorConfiguration/captureStacks`` is on: taken once per stall, so only the first
        /// heartbeat that reports the stall carries it; `nil` otherwise.
        public var backtrace: [String]?

        /// Creates a stall value.
        public init(
            lane: LaneID,
            label: String,
            age: Duration,
            threshold: Duration = .seconds(120),
            progress: ProgressReading? = nil,
            depth: Int = 1,
            stack: [ScopeFrame] = [],
            thread: ThreadActivity? = nil,
            backtrace: [String]? = nil
        ) {
            self.lane = lane
            self.label = label
            self.age = age
            self.threshold = threshold
            self.progress = progress
            self.depth = depth
            self.stack = stack
            self.thread = thread
            self.backtrace = backtrace
        }
    }
}

/// The former top-level name, kept for one release.
@available(*, deprecated, renamed: "Heartbeat.Stall")
public typealias Stall = Heartbeat.Stall
