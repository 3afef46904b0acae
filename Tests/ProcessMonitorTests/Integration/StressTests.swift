// Integration: scopes, lanes, snapshots and the monitor loop together, under load (and TSan in CI).

import Dispatch
import Foundation
import ProcessMonitorTesting
import Synchronization
import Testing
import TestSupport

@testable import ProcessMonitor

/// Threads and tasks enter and leave scopes flat out while heartbeats fire every few
/// milliseconds. CI also runs this under the thread sanitizer. What must hold: every label a
/// heartbeat shows is one that was really open on that lane kind, depths stay in range,
/// progress never exceeds what was counted, and every stack unwinds to empty.
@Suite struct StressTests {
    static let threadLabels: Set<String> = ["stress-a", "stress-b", "stress-c"]
    static let taskLabels: Set<String> = ["stress-task-outer", "stress-task-inner"]

    static let iterations: UInt64 = 200_000

    @Test func scopesChurnWhileHeartbeatsFire() async throws {
        let seenBad = LockedValue<[String]>([])
        let beats = Atomic<Int>(0)
        let checked = Atomic<Int>(0)
        let checker = ClosureObserver { heartbeat in
            beats.add(1, ordering: .relaxed)
            for phase in heartbeat.phases where phase.label.hasPrefix("stress") || phase.label.hasPrefix("dyn-stress") {
                checked.add(1, ordering: .relaxed)
                let ok: Bool
                switch phase.lane.kind {
                case .thread:
                    ok = (Self.threadLabels.contains(phase.label) || phase.label.hasPrefix("dyn-stress-"))
                        && (1...3).contains(phase.depth)
                case .task:
                    ok = Self.taskLabels.contains(phase.label) && (1...2).contains(phase.depth)
                }
                if !ok { seenBad.withLock { $0.append("\(phase.lane) \(phase.depth) \(phase.label)") } }
                // Each counted scope increments once before it ends: anything else is a torn read.
                if let progress = phase.progress, progress.current > 1 || progress.total != Self.iterations {
                    seenBad.withLock { $0.append("progress \(progress.current)") }
                }
            }
        }
        let monitor = try ProcessMonitor(
            configuration: try MonitorConfiguration(interval: .milliseconds(10), stallThreshold: .seconds(60), maxPhaseLines: 10_000),
            observers: [checker]
        )
        monitor.reportWarnings(to: CapturedReports().append)
        try monitor.start()

        let iterations = Int(Self.iterations)
        // The churn goes on past its iterations until a heartbeat has shown one of its phases,
        // so the test checks phases however the threads are scheduled (bounded, so a monitor
        // that never delivers fails the test instead of hanging it).
        let churnUntil = ContinuousClock.now + .seconds(120)
        let threads = (0..<4).map { worker in
            Thread {
                withScope("stress-a") {
                    var i = 0
                    while i < iterations || (checked.load(ordering: .relaxed) == 0 && ContinuousClock.now < churnUntil) {
                        defer { i += 1 }
                        if i % 3 == 0 {
                            withScope("stress-b", total: UInt64(iterations)) { progress in
                                progress.increment()
                                withScope(label: "dyn-stress-\(worker)") {}
                            }
                        } else {
                            withScope("stress-c") {}
                        }
                    }
                }
            }
        }
        threads.forEach { $0.start() }
        let finished = Atomic<Int>(0)
        let workers = (0..<2).map { _ in
            Thread {
                for _ in 0..<iterations { withScope("stress-c") {} }
                finished.add(1, ordering: .relaxed)
            }
        }
        workers.forEach { $0.start() }

        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    for _ in 0..<50 {
                        await withScope("stress-task-outer") {
                            await withScope("stress-task-inner") {
                                await Task.yield()
                            }
                        }
                    }
                }
            }
        }
        // Bounded waits: a regression fails the test instead of hanging CI.
        #expect(await waitUntil { finished.load(ordering: .relaxed) == workers.count })
        #expect(await waitUntil { threads.allSatisfy(\.isFinished) })
        #expect(await waitUntil { beats.load(ordering: .relaxed) >= 5 })
        await monitor.shutdown()

        #expect(seenBad.withLock { $0 } == [])
        #expect(beats.load(ordering: .relaxed) >= 5)
        #expect(checked.load(ordering: .relaxed) > 0, "heartbeats landed while scopes churned, so phases were checked")
        // Every stack unwound.
        let leftovers = openLanes().filter { $0.label.hasPrefix("stress") || $0.label.hasPrefix("dyn-stress") }
        #expect(leftovers.isEmpty)
    }
}
