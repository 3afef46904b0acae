import Synchronization

/// Remembers the scopes heartbeats reported as stalled, so the first heartbeat after one ends
/// says so, once (``Heartbeat/StallEnd``). Monitor-thread state, kept between heartbeats.
///
/// A scope is known by its lane, its depth and the time it was entered: the coarse clock ticks
/// at least every 4 ms and a stall is at least a millisecond old, so a scope that ends and a new
/// one at the same depth never share an entry time.
struct StallTracker {
    /// What the tracker needs to know about a lane now.
    struct LaneProbe {
        /// When the scope at the tracked depth was entered, or `nil` if the lane is no longer
        /// that deep.
        var enteredAtDepth: UInt64?
        /// The lane's last push or pop: when the scope ended, if nothing was entered since.
        var lastChange: UInt64
    }

    struct Tracked {
        var key: UInt
        var depth: Int
        var entered: UInt64
        var lane: LaneID
        var label: String
    }

    private(set) var tracked: [Tracked] = []

    /// The tracked scopes that have ended, as stall ends, and forgets them.
    ///
    /// `probe` looks at a tracked lane (`nil` when it cannot be looked at, which counts as
    /// ended). The end time is the lane's last change when the lane is now shallower than the
    /// scope and that change came after the scope began (exact when nothing was entered since),
    /// otherwise `now` (an upper bound).
    mutating func ended(now: UInt64, probe: (Tracked) -> LaneProbe?) -> [Heartbeat.StallEnd] {
        guard !tracked.isEmpty else { return [] }
        var ends: [Heartbeat.StallEnd] = []
        tracked.removeAll { scope in
            let look = probe(scope)
            if let look, look.enteredAtDepth == scope.entered { return false }
            var end = now
            if let look, look.enteredAtDepth == nil, look.lastChange > scope.entered, look.lastChange <= now {
                end = look.lastChange
            }
            ends.append(Heartbeat.StallEnd(
                lane: scope.lane, label: scope.label,
                duration: .milliseconds(HeartbeatBuilder.milliseconds(from: scope.entered, to: end))
            ))
            return true
        }
        return ends
    }

    /// Starts tracking the scopes `built` reported as stalled that are not tracked yet.
    mutating func record(_ built: BuiltHeartbeat, snapshot: MonitorSnapshot) {
        for (position, index) in built.stalledRecords.enumerated() {
            let record = snapshot.lanes[index]
            // A frame too deep to store cannot be looked at later (see `Lane.capacity`).
            guard record.key != 0, record.depth <= Lane.capacity else { continue }
            if tracked.contains(where: { $0.key == record.key && $0.depth == record.depth && $0.entered == record.entered }) {
                continue
            }
            let stall = built.heartbeat.stalls[position]
            tracked.append(Tracked(key: record.key, depth: record.depth, entered: record.entered,
                                   lane: stall.lane, label: stall.label))
        }
    }
}

extension Lane {
    /// What ``StallTracker`` needs to know about this lane now.
    func stallProbe(depth: Int) -> StallTracker.LaneProbe {
        StallTracker.LaneProbe(
            enteredAtDepth: enteredTime(ofFrameAt: depth),
            lastChange: lastChange.load(ordering: .relaxed)
        )
    }
}
