/// A lane whose innermost scope has been running for at least the stall threshold.
///
/// ```swift
/// for stall in heartbeat.stalls { print("\(stall.lane) stuck in \(stall.label)") }
/// ```
public struct Stall: Sendable, Equatable {
    /// The stuck lane.
    public var lane: LaneID
    /// Label of its innermost scope.
    public var label: String
    /// How long that scope has been running.
    public var age: Duration

    /// Creates a stall value.
    ///
    /// ```swift
    /// let s = Stall(lane: .task(7), label: "fetch", age: .seconds(300))
    /// ```
    public init(lane: LaneID, label: String, age: Duration) {
        self.lane = lane
        self.label = label
        self.age = age
    }
}
