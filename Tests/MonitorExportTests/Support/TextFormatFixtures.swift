import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Values of `Fixtures/seed_text_lines.rs` (`== busy`), as a typed heartbeat.
func busyHeartbeat() -> Heartbeat {
    let mainLabel = "BMS coord_corrections \"pass 2\""
    let messy = "cafe\u{301}\n\tC:\\tmp"
    return Heartbeat(
        sequence: 7,
        timestamp: Date(timeIntervalSince1970: 1_795_725_143.123),
        trigger: .scheduled,
        processID: 4242,
        elapsed: .milliseconds(3_725_900),
        resources: ResourceUsage(
            rssBytes: 1_572_864 * 1024,
            peakRSSBytes: 2_097_151 * 1024,
            threads: 74,
            readBytes: 12_582_912,
            writeBytes: 0
        ),
        cpu: CPUUsage(coresBusy: 68.25, availableCores: 72, window: .seconds(60)),
        instrumentedLanes: 11,
        active: Heartbeat.ActivePhase(
            lane: .thread(3, name: "worker"),
            label: mainLabel,
            age: .milliseconds(142_700),
            progress: ProgressReading(current: 41, total: 128, elapsed: .milliseconds(142_700))
        ),
        stalls: [
            Heartbeat.Stall(lane: .thread(3, name: "worker"), label: mainLabel, age: .milliseconds(142_700)),
            Heartbeat.Stall(lane: .task(7), label: messy, age: .seconds(120)),
        ],
        phases: [
            Heartbeat.Phase(
                lane: .thread(3, name: "worker"), depth: 2, label: mainLabel, age: .milliseconds(142_700),
                sinceLastChange: .milliseconds(142_700),
                progress: ProgressReading(current: 41, total: 128, elapsed: .milliseconds(142_700))
            ),
            Heartbeat.Phase(lane: .task(7), depth: 1, label: messy, age: .seconds(120), sinceLastChange: .seconds(3)),
            Heartbeat.Phase(
                lane: .thread(1, name: "main"), depth: 4,
                label: "a\u{a0}b \u{1b}[31m 👨\u{200d}👩 日本 é ' \u{fffd}", age: .milliseconds(59_999),
                sinceLastChange: .milliseconds(59_999),
                progress: ProgressReading(current: 17, total: 0, elapsed: .seconds(4))
            ),
            Heartbeat.Phase(
                lane: .thread(12), depth: 1, label: "", age: .seconds(3600), sinceLastChange: .zero,
                progress: ProgressReading(current: 999, total: 1000, elapsed: .zero)
            ),
        ],
        omittedPhases: 3,
        stallThreshold: .seconds(120)
    )
}

let busySeedLines = [
    #"[process-monitor] elapsed=1h02m05s rss=1.5GiB peak_rss=2.0GiB process_threads=74 read_bytes=12.0MiB write_bytes=0B cpu=68.2/72 cores (avg over 1m00s) instrumented_threads=11 active="BMS coord_corrections \"pass 2\"" for 2m22s progress=41/128 (32%)"#,
    #"[process-monitor][STALL] thread=ThreadId(3)/worker phase="BMS coord_corrections \"pass 2\"" stuck=2m22s"#,
    #"[process-monitor][STALL] thread=TaskId(7) phase="cafe\u{301}\n\tC:\\tmp" stuck=2m00s"#,
    #"[process-monitor] phase thread=ThreadId(3)/worker depth=2 deepest="BMS coord_corrections \"pass 2\"" in_frame=2m22s updated_ago=2m22s progress=41/128 (32%)"#,
    #"[process-monitor] phase thread=TaskId(7) depth=1 deepest="cafe\u{301}\n\tC:\\tmp" in_frame=2m00s updated_ago=3s"#,
    #"[process-monitor] phase thread=ThreadId(1)/main depth=4 deepest="a\u{a0}b \u{1b}[31m 👨\u{200d}👩 日本 é ' �" in_frame=59s updated_ago=59s progress=17/?"#,
    #"[process-monitor] phase thread=ThreadId(12) depth=1 deepest="" in_frame=1h00m00s updated_ago=0s progress=999/1000 (100%)"#,
    #"[process-monitor] phase ... and 3 more active thread(s) omitted"#,
]

func idleHeartbeat(elapsed: Duration = .zero, resources: ResourceUsage = ResourceUsage(), cpu: CPUUsage = CPUUsage(),
                   lanes: Int = 0, active: Heartbeat.ActivePhase? = nil) -> Heartbeat {
    Heartbeat(
        sequence: 1, timestamp: Date(timeIntervalSince1970: 0), trigger: .requested, processID: 1,
        elapsed: elapsed, resources: resources, cpu: cpu, instrumentedLanes: lanes, active: active,
        stalls: [], phases: [], omittedPhases: 0, stallThreshold: .seconds(120)
    )
}

func texts(_ format: TextFormat, _ heartbeat: Heartbeat) -> [String] {
    format.render(heartbeat, context: FormatContext()).map(\.text)
}

/// A heartbeat with `count` stalled lanes and no phases.
func manyStalls(_ count: Int) -> Heartbeat {
    var heartbeat = idleHeartbeat(lanes: count)
    heartbeat.stalls = (1 ... count).map { Heartbeat.Stall(lane: .thread(UInt64($0)), label: "s\($0)", age: .seconds(200)) }
    return heartbeat
}
