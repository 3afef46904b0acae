/// Tells a progress counter that is moving from one that stopped, so a scope that is counting
/// is never called stuck however old it is.
///
/// Counters are bumped on users' hot paths with one relaxed add, and that must stay all they
/// cost: no clock read, no timestamp. Instead the monitor remembers each counter's value from
/// one heartbeat to the next, and a counter whose value changed in between moved at this
/// heartbeat. So "moved" is exact to one heartbeat, and a counter that stops moving becomes a
/// stall exactly one threshold after the last heartbeat that saw it move.
///
/// A counter is known by its lane and its frame's epoch (a new scope at the same depth gets a
/// new epoch). The first time a counter is seen it counts as just moved when it is above zero
/// (it has moved since its scope began, and calling it stuck on no evidence would be the false
/// STALL this exists to prevent), and as never moved when it is still at zero. Monitor-thread
/// state, kept between heartbeats.
struct ProgressWatch {
    private struct Key: Hashable {
        var lane: UInt
        var epoch: UInt64
    }

    private struct Seen {
        var value: UInt64
        var movedAt: UInt64?
    }

    private var seen: [Key: Seen] = [:]
    private var next: [Key: Seen] = [:]

    /// Compares every counter in `snapshot` with the last heartbeat's reading and records in
    /// each lane when its counter last moved; forgets counters whose scopes have ended.
    mutating func observe(_ snapshot: inout MonitorSnapshot, now: UInt64) {
        next.removeAll(keepingCapacity: true)
        for index in snapshot.lanes.indices {
            guard let progress = snapshot.lanes[index].progress else { continue }
            let key = Key(lane: snapshot.lanes[index].key, epoch: progress.epoch)
            let movedAt: UInt64?
            if let previous = seen[key] {
                movedAt = previous.value != progress.current ? now : previous.movedAt
            } else {
                movedAt = progress.current > 0 ? now : nil
            }
            next[key] = Seen(value: progress.current, movedAt: movedAt)
            snapshot.lanes[index].progressMovedAt = movedAt
        }
        swap(&seen, &next)
    }
}
