import Foundation

/// Everything a heartbeat is made of. The builder is a pure function of this value, which is
/// what makes every rule of the heartbeat testable with a fake clock and fake samples.
struct HeartbeatInputs {
    var snapshot: MonitorSnapshot
    var sample: ProcessSample
    var cpu: CPUUsage
    /// Monotonic nanoseconds now, on the scopes' time base.
    var now: UInt64
    /// Monotonic nanoseconds when the monitor started.
    var started: UInt64
    var timestamp: Date
    var sequence: UInt64
    var trigger: Heartbeat.Trigger
    var processID: Int32
    var configuration: MonitorConfiguration
    /// Scopes reported as stalled before that have ended since (see ``StallTracker``).
    var stallEnds: [Heartbeat.StallEnd] = []
}

/// A heartbeat and which snapshot records it reported as stalled.
struct BuiltHeartbeat {
    var heartbeat: Heartbeat
    /// Indices into the snapshot's lanes, in the order of `heartbeat.stalls`.
    var stalledRecords: [Int]
    /// Thread lanes that are not stalled but may be by the next scheduled heartbeat.
    var nearStallRecords: [Int] = []
}

enum HeartbeatBuilder {
    /// Builds a heartbeat with the seed's rules, and our own:
    /// - lanes order by the age of their innermost frame, oldest first, ties by lane id;
    /// - `active` is the first of them, with the progress of its innermost counted frame;
    /// - a lane stalls when its innermost scope is at least its threshold old (the scope's own,
    ///   if it set one, else the configuration's), *and* its progress counter, if it has one,
    ///   has not moved for that long either (``ProgressWatch``: a scope that is counting is
    ///   alive, however old), *and* it has no live descendant lane: a task that awaits child
    ///   tasks which are still inside scopes is waiting on them, not stalled, and a child that
    ///   stops changing is reported itself, where the time is spent;
    /// - stalls are never capped; phases are capped at `maxPhaseLines` and the rest counted.
    /// Every duration is truncated to whole milliseconds, the precision machine formats carry,
    /// so a heartbeat survives a round trip through JSON unchanged.
    static func build(_ inputs: HeartbeatInputs) -> BuiltHeartbeat {
        let snapshot = inputs.snapshot
        let lanes = snapshot.lanes
        let now = inputs.now
        let thresholdMs = inputs.configuration.stallThreshold.wholeMilliseconds
        let intervalMs = inputs.configuration.interval.wholeMilliseconds
        let cap = inputs.configuration.maxPhaseLines
        let indexByKey = Self.indexByKey(lanes)
        let descendantCounts = activeDescendants(of: lanes, indexByKey: indexByKey)
        func descendants(_ index: Int) -> Int { descendantCounts.isEmpty ? 0 : descendantCounts[index] }

        // Sort keys only (no strings), so ordering a thousand lanes stays cheap.
        struct Key {
            var ageMs: Int64
            var index: Int
        }
        func precedes(_ a: Key, _ b: Key) -> Bool {
            if a.ageMs != b.ageMs { return a.ageMs > b.ageMs }
            return lanes[a.index].id < lanes[b.index].id
        }
        /// The lane's threshold in milliseconds; `nil` for a scope that never stalls.
        func threshold(_ lane: LaneRecord) -> Int64? {
            guard let own = lane.stallThresholdMilliseconds else { return thresholdMs }
            return own == .max ? nil : Int64(clamping: own)
        }
        /// How long the lane has been without a sign of life: its innermost scope's age, or
        /// less if its counter moved since.
        func quietMs(_ key: Key) -> Int64 {
            guard let moved = lanes[key.index].progressMovedAt else { return key.ageMs }
            return min(key.ageMs, milliseconds(from: moved, to: now))
        }
        func stalls(_ key: Key) -> Bool {
            guard descendants(key.index) == 0, let limit = threshold(lanes[key.index]) else { return false }
            return quietMs(key) >= limit
        }
        /// A thread lane that may stall by the next scheduled heartbeat: its thread's CPU time is
        /// read now, so the stall can say how busy the thread was over a whole window.
        func nearStall(_ key: Key) -> Bool {
            guard lanes[key.index].threadID != 0, descendants(key.index) == 0,
                  let limit = threshold(lanes[key.index]) else { return false }
            return quietMs(key) >= limit - min(limit, intervalMs)
        }

        var stalled: [Key] = []
        var near: [Int] = []
        var top: [Key] = []
        top.reserveCapacity(cap + 1)
        for (index, lane) in lanes.enumerated() {
            let key = Key(ageMs: milliseconds(from: lane.entered, to: now), index: index)
            if stalls(key) {
                stalled.append(key)
            } else if nearStall(key) {
                near.append(index)
            }
            // Keep the `cap` oldest in order: an insertion into a short sorted array.
            if top.count < cap || precedes(key, top[top.count - 1]) {
                let position = top.firstIndex(where: { precedes(key, $0) }) ?? top.count
                top.insert(key, at: position)
                if top.count > cap { top.removeLast() }
            }
        }
        stalled.sort(by: precedes)

        func progress(_ lane: LaneRecord) -> ProgressReading? {
            lane.progress.map {
                ProgressReading(
                    current: $0.current,
                    total: $0.total,
                    elapsed: .milliseconds(milliseconds(from: $0.entered, to: now)),
                    sinceLastMove: .milliseconds(milliseconds(from: lane.progressMovedAt ?? $0.entered, to: now))
                )
            }
        }
        func parent(_ lane: LaneRecord) -> LaneID? {
            guard let parentKey = lane.parentKey, let index = indexByKey[parentKey] else { return nil }
            return lanes[index].id
        }

        let phases = top.map { key -> Heartbeat.Phase in
            let lane = lanes[key.index]
            return Heartbeat.Phase(
                lane: lane.id,
                depth: lane.depth,
                label: snapshot.resolve(lane.label),
                age: .milliseconds(key.ageMs),
                sinceLastChange: .milliseconds(milliseconds(from: lane.lastChange, to: now)),
                progress: progress(lane),
                parent: parent(lane),
                activeDescendants: descendants(key.index),
                stallThreshold: threshold(lane).map { .milliseconds($0) }
            )
        }
        let stallValues = stalled.map { key -> Heartbeat.Stall in
            let lane = lanes[key.index]
            return Heartbeat.Stall(
                lane: lane.id,
                label: snapshot.resolve(lane.label),
                age: .milliseconds(key.ageMs),
                threshold: .milliseconds(threshold(lane) ?? thresholdMs),
                progress: progress(lane),
                depth: lane.depth
            )
        }
        let active = top.first.map { key -> Heartbeat.ActivePhase in
            let lane = lanes[key.index]
            return Heartbeat.ActivePhase(
                lane: lane.id,
                label: phases[0].label,
                age: .milliseconds(key.ageMs),
                progress: progress(lane)
            )
        }

        let heartbeat = Heartbeat(
            sequence: inputs.sequence,
            timestamp: wholeMilliseconds(inputs.timestamp),
            trigger: inputs.trigger,
            processID: inputs.processID,
            elapsed: .milliseconds(milliseconds(from: inputs.started, to: now)),
            resources: inputs.sample.resources,
            cpu: inputs.cpu,
            instrumentedLanes: lanes.count + snapshot.busyLanes,
            active: active,
            stalls: stallValues,
            stallEnds: inputs.stallEnds,
            phases: phases,
            omittedPhases: max(0, lanes.count - cap),
            stallThreshold: .milliseconds(thresholdMs)
        )
        return BuiltHeartbeat(heartbeat: heartbeat, stalledRecords: stalled.map(\.index), nearStallRecords: near)
    }

    /// For each record, how many open lanes descend from it through parent links (children,
    /// their children, …); empty, meaning none for every record, when no record has a link
    /// (thread-only jobs then allocate nothing here). A link to a lane that is not open (its
    /// task went idle) ends the chain; a cycle, which the links cannot form but a corrupt read
    /// could, ends it too.
    static func activeDescendants(of lanes: [LaneRecord], indexByKey: [UInt: Int]) -> [Int] {
        guard !indexByKey.isEmpty else { return [] }
        var counts = [Int](repeating: 0, count: lanes.count)
        for (index, lane) in lanes.enumerated() {
            var parentKey = lane.parentKey
            var steps = 0
            while let key = parentKey, let parent = indexByKey[key], parent != index, steps < lanes.count {
                counts[parent] += 1
                parentKey = lanes[parent].parentKey
                steps += 1
            }
        }
        return counts
    }

    /// Each record's index by lane identity; empty when no record has a parent link, the usual
    /// case for thread-only jobs, so they pay nothing for task trees.
    static func indexByKey(_ lanes: [LaneRecord]) -> [UInt: Int] {
        guard lanes.contains(where: { $0.parentKey != nil }) else { return [:] }
        var indexByKey: [UInt: Int] = [:]
        indexByKey.reserveCapacity(lanes.count)
        for (index, lane) in lanes.enumerated() where lane.key != 0 { indexByKey[lane.key] = index }
        return indexByKey
    }

    /// Whole milliseconds from `start` to `end`; zero if the clocks disagree by a tick.
    static func milliseconds(from start: UInt64, to end: UInt64) -> Int64 {
        end > start ? Int64((end - start) / 1_000_000) : 0
    }

    static func wholeMilliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }
}
