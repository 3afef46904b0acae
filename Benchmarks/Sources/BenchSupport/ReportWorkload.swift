// The HTML report's workload: a long run of a wide job, synthesised as decoded records (no
// JSON parsing in the measurement), rendered by `HTMLReport`. The target: 10 000
// heartbeats with 64 lanes in under 5 s, into a file under 5 MB.
import Foundation
import MonitorExport
import MonitorReport
import ProcessMonitor

/// `heartbeats` records, one a second, of a process with `lanes` busy lanes (half threads,
/// half tasks). Lanes change phase at periods from every heartbeat to every 1000, so the
/// timeline holds every kind of bar: too short to draw apart (merged), a few pixels, long;
/// the slowest lanes stall (threshold 120 s) and report STALL-ENDs; every resource figure of
/// the v2 model is filled and moves, with one RSS spike; five records are missing.
public func reportWorkload(heartbeats: Int = 10_000, lanes: Int = 64) -> [DecodedRecord] {
    let periods = [1, 3, 10, 40, 200, 1000]
    let start = 1_800_000_000.0
    let threshold = Duration.seconds(120)
    var records: [DecodedRecord] = []
    records.reserveCapacity(heartbeats)
    for index in 1...max(heartbeats, 1) where !(5000..<5005).contains(index) {
        let now = Double(index)
        var phases: [Heartbeat.Phase] = []
        var stalls: [Heartbeat.Stall] = []
        var ends: [Heartbeat.StallEnd] = []
        phases.reserveCapacity(lanes)
        for lane in 0..<lanes {
            let id = lane % 2 == 0 ? LaneID.thread(UInt64(lane / 2 + 1), name: "worker-\(lane / 2)") : LaneID.task(UInt64(lane / 2 + 1))
            let period = periods[lane % periods.count]
            let step = (index - 1) / period
            let entered = Double(step * period) + 0.25
            let age = Duration.milliseconds(Int64((now - entered) * 1000))
            let label = "stage \(step % 12) of shard \(step)"
            let progress = lane % 3 == 0
                ? ProgressReading(current: UInt64((index - 1) % period + 1) * 100, total: UInt64(period) * 100, elapsed: age)
                : nil
            phases.append(Heartbeat.Phase(lane: id, depth: 1 + lane % 4, label: label, age: age, sinceLastChange: age, progress: progress))
            if age >= threshold { stalls.append(Heartbeat.Stall(lane: id, label: label, age: age)) }
            // The first heartbeat after a stalled phase ended says so.
            if period >= 120, (index - 1) % period == 0, step > 0 {
                ends.append(Heartbeat.StallEnd(lane: id, label: "stage \((step - 1) % 12) of shard \(step - 1)", duration: .seconds(period)))
            }
        }
        phases.sort { $0.age > $1.age || ($0.age == $1.age && $0.lane < $1.lane) }
        stalls.sort { $0.age > $1.age || ($0.age == $1.age && $0.lane < $1.lane) }
        let wave = sin(now / 300)
        let rss = UInt64(2_000_000_000 + 500_000_000 * wave) + (index == 7777 ? 3_000_000_000 : 0)
        let heartbeat = Heartbeat(
            sequence: UInt64(index),
            timestamp: Date(timeIntervalSince1970: start + now),
            trigger: index == heartbeats ? .final : .scheduled,
            processID: 4242,
            elapsed: .seconds(index),
            resources: ResourceUsage(
                rssBytes: rss, peakRSSBytes: max(rss, 2_500_000_000), threads: 70, readBytes: UInt64(index) << 20,
                writeBytes: UInt64(index) << 16, memoryLimitBytes: 8 << 30, memoryUsageBytes: rss + 400_000_000,
                oomKills: 0, openFileDescriptors: UInt64(200 + index % 50), fileDescriptorLimit: 1024
            ),
            cpu: CPUUsage(coresBusy: 1.5 + 0.4 * wave, availableCores: 2, affinityCores: 2, quotaCores: 2, window: .seconds(1)),
            instrumentedLanes: lanes,
            active: phases.first.map { Heartbeat.ActivePhase(lane: $0.lane, label: $0.label, age: $0.age, progress: $0.progress) },
            stalls: stalls,
            stallEnds: ends,
            phases: phases,
            omittedPhases: 0,
            stallThreshold: threshold
        )
        records.append(DecodedRecord(heartbeat: heartbeat, attributes: ["job": "bench", "rank": "0"], droppedRecords: 0))
    }
    return records
}

/// Renders `records` into one report; returns its size in bytes.
@inline(never)
public func renderReport(_ records: [DecodedRecord]) -> Int {
    var report = HTMLReport(title: "benchmark")
    for record in records { report.add(record, source: "bench.jsonl") }
    return report.render().utf8.count
}
