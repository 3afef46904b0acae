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
}

enum HeartbeatBuilder {
    /// Builds a heartbeat with the seed's rules (DESIGN.md, "Heartbeat semantics"):
    /// - lanes order by the age of their innermost frame, oldest first, ties by lane id;
    /// - `active` is the first of them, with the progress of its innermost counted frame;
    /// - a lane stalls when that age is at least the threshold; stalls are never capped;
    /// - phases are capped at `maxPhaseLines` and the rest counted.
    /// Every duration is truncated to whole milliseconds, the precision machine formats carry,
    /// so a heartbeat survives a round trip through JSON unchanged.
    static func build(_ inputs: HeartbeatInputs) -> Heartbeat {
        let snapshot = inputs.snapshot
        let now = inputs.now
        let threshold = inputs.configuration.stallThreshold
        let thresholdMs = threshold.wholeMilliseconds
        let cap = inputs.configuration.maxPhaseLines

        // Sort keys only (no strings), so ordering a thousand lanes stays cheap.
        struct Key {
            var ageMs: Int64
            var index: Int
        }
        func precedes(_ a: Key, _ b: Key) -> Bool {
            if a.ageMs != b.ageMs { return a.ageMs > b.ageMs }
            return snapshot.lanes[a.index].id < snapshot.lanes[b.index].id
        }

        var stalled: [Key] = []
        var top: [Key] = []
        top.reserveCapacity(cap + 1)
        for (index, lane) in snapshot.lanes.enumerated() {
            let key = Key(ageMs: milliseconds(from: lane.entered, to: now), index: index)
            if key.ageMs >= thresholdMs { stalled.append(key) }
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
                    elapsed: .milliseconds(milliseconds(from: $0.entered, to: now))
                )
            }
        }

        let phases = top.map { key -> Phase in
            let lane = snapshot.lanes[key.index]
            return Phase(
                lane: lane.id,
                depth: lane.depth,
                label: snapshot.resolve(lane.label),
                age: .milliseconds(key.ageMs),
                sinceLastChange: .milliseconds(milliseconds(from: lane.lastChange, to: now)),
                progress: progress(lane)
            )
        }
        let stalls = stalled.map { key -> Stall in
            let lane = snapshot.lanes[key.index]
            return Stall(lane: lane.id, label: snapshot.resolve(lane.label), age: .milliseconds(key.ageMs))
        }
        let active = top.first.map { key -> ActivePhase in
            let lane = snapshot.lanes[key.index]
            return ActivePhase(
                lane: lane.id,
                label: phases[0].label,
                age: .milliseconds(key.ageMs),
                progress: progress(lane)
            )
        }

        return Heartbeat(
            sequence: inputs.sequence,
            timestamp: wholeMilliseconds(inputs.timestamp),
            trigger: inputs.trigger,
            processID: inputs.processID,
            elapsed: .milliseconds(milliseconds(from: inputs.started, to: now)),
            resources: inputs.sample.resources,
            cpu: inputs.cpu,
            instrumentedLanes: snapshot.lanes.count + snapshot.busyLanes,
            active: active,
            stalls: stalls,
            phases: phases,
            omittedPhases: max(0, snapshot.lanes.count - cap),
            stallThreshold: .milliseconds(thresholdMs)
        )
    }

    /// Whole milliseconds from `start` to `end`; zero if the clocks disagree by a tick.
    static func milliseconds(from start: UInt64, to end: UInt64) -> Int64 {
        end > start ? Int64((end - start) / 1_000_000) : 0
    }

    static func wholeMilliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }
}
