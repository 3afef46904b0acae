import Foundation
import ProcessMonitor
import Synchronization

/// Hand-built heartbeats: the observers are plain functions of a `Heartbeat`, so most tests
/// need no monitor and no clock.
enum Fixture {
    static let busy = Heartbeat(
        sequence: 7,
        timestamp: Date(timeIntervalSince1970: 1_800_000_000),
        trigger: .scheduled,
        processID: 4242,
        elapsed: .milliseconds(142_318),
        resources: ResourceUsage(
            rssBytes: 200 << 20, peakRSSBytes: 300 << 20, threads: 12, readBytes: 4096, writeBytes: 8192
        ),
        cpu: CPUUsage(coresBusy: 1.5, availableCores: 2, affinityCores: 2, window: .seconds(60)),
        instrumentedLanes: 3,
        active: Heartbeat.ActivePhase(
            lane: .thread(1, name: "main"), label: "score rows", age: .milliseconds(4_250),
            progress: ProgressReading(current: 250, total: 1000, elapsed: .seconds(10))
        ),
        stalls: [],
        phases: [
            Heartbeat.Phase(lane: .thread(1, name: "main"), depth: 2, label: "score rows", age: .seconds(4),
                  sinceLastChange: .seconds(1)),
            Heartbeat.Phase(lane: .task(5), depth: 1, label: "fetch", age: .seconds(1), sinceLastChange: .seconds(1)),
        ],
        omittedPhases: 1,
        stallThreshold: .seconds(120)
    )

    static let stalled: Heartbeat = {
        var heartbeat = busy
        heartbeat.sequence = 8
        heartbeat.stalls = [
            Heartbeat.Stall(lane: .task(5), label: "fetch", age: .seconds(300)),
            // Truncated to the millisecond when written, like the file formats: "120.500".
            Heartbeat.Stall(lane: .thread(2, name: "io"), label: "flush", age: .nanoseconds(120_500_999_999)),
        ]
        return heartbeat
    }()

    /// Nothing known, nothing open: what a platform without `/proc` reports when idle.
    static let unknown = Heartbeat(
        sequence: 9, timestamp: Date(timeIntervalSince1970: 1_800_000_060), trigger: .final, processID: 4242,
        elapsed: .seconds(200), resources: ResourceUsage(), cpu: CPUUsage(), instrumentedLanes: 0, active: nil,
        stalls: [], phases: [], omittedPhases: 0, stallThreshold: .seconds(120)
    )

    /// Memory at 95 % of the cgroup limit: a resource warning without a stall.
    static let nearMemoryLimit: Heartbeat = {
        var heartbeat = busy
        heartbeat.resources.memoryLimitBytes = 1000 << 20
        heartbeat.resources.memoryUsageBytes = 950 << 20
        return heartbeat
    }()
}

/// Keeps every heartbeat an observer gets.
final class Collected: HeartbeatObserver {
    private let beats = Mutex<[Heartbeat]>([])
    var heartbeats: [Heartbeat] { beats.withLock { $0 } }
    func observe(_ heartbeat: Heartbeat) { beats.withLock { $0.append(heartbeat) } }
}
