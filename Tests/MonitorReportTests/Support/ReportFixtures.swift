import Foundation
import MonitorExport
import ProcessMonitor

/// 2027-01-15T08:00:00Z: a whole second, so every offset in a report is exact.
let baseTime = 1_800_000_000.0

/// A heartbeat `seconds` after ``baseTime`` with a one-second interval behind it.
func heartbeat(
    _ sequence: UInt64,
    at seconds: Double,
    pid: Int32 = 4242,
    trigger: Heartbeat.Trigger = .scheduled,
    phases: [Heartbeat.Phase] = [],
    stalls: [Heartbeat.Stall] = [],
    stallEnds: [Heartbeat.StallEnd] = [],
    resources: ResourceUsage = ResourceUsage(rssBytes: 64 << 20, peakRSSBytes: 80 << 20),
    cpu: CPUUsage = CPUUsage(coresBusy: 1, availableCores: 2, window: .seconds(1)),
    omittedPhases: Int = 0
) -> Heartbeat {
    Heartbeat(
        sequence: sequence,
        timestamp: Date(timeIntervalSince1970: baseTime + seconds),
        trigger: trigger,
        processID: pid,
        elapsed: .milliseconds(Int64(seconds * 1000)),
        resources: resources,
        cpu: cpu,
        instrumentedLanes: phases.count,
        active: phases.first.map { Heartbeat.ActivePhase(lane: $0.lane, label: $0.label, age: $0.age, progress: $0.progress) },
        stalls: stalls,
        stallEnds: stallEnds,
        phases: phases,
        omittedPhases: omittedPhases,
        stallThreshold: .seconds(5)
    )
}

func record(_ heartbeat: Heartbeat, attributes: [String: String] = [:]) -> DecodedRecord {
    DecodedRecord(heartbeat: heartbeat, attributes: attributes, droppedRecords: 0)
}

/// A phase of `lane` entered at `entered` seconds, seen at `now` seconds.
func phase(_ lane: LaneID, _ label: String, entered: Double, now: Double, progress: ProgressReading? = nil) -> Heartbeat.Phase {
    let age = Duration.milliseconds(Int64(((now - entered) * 1000).rounded()))
    return Heartbeat.Phase(lane: lane, depth: 1, label: label, age: age, sinceLastChange: age, progress: progress)
}

/// A log of `count` heartbeats, one a second, with a main lane that loads then scores and a
/// worker that stalls from 3 s to 9 s.
func sampleLog(count: Int = 12, pid: Int32 = 4242) -> [Heartbeat] {
    let main = LaneID.thread(1, name: "main")
    let worker = LaneID.thread(2, name: "worker")
    return (1...count).map { index in
        let now = Double(index)
        var phases = [
            index < 6
                ? phase(main, "load", entered: 0, now: now, progress: ProgressReading(current: UInt64(index * 10), total: 60, elapsed: .seconds(index)))
                : phase(main, "score", entered: 5.5, now: now),
        ]
        var stalls: [Heartbeat.Stall] = []
        var ends: [Heartbeat.StallEnd] = []
        if index >= 3 && index < 10 {
            phases.append(phase(worker, "fetch", entered: 3, now: now))
            if now - 3 >= 5 { stalls.append(Heartbeat.Stall(lane: worker, label: "fetch", age: .seconds(Int64(now - 3)), threshold: .seconds(5))) }
        }
        if index == 10 { ends.append(Heartbeat.StallEnd(lane: worker, label: "fetch", duration: .milliseconds(6500))) }
        return heartbeat(UInt64(index), at: now, pid: pid, trigger: index == count ? .final : .scheduled,
                         phases: phases, stalls: stalls, stallEnds: ends)
    }
}
