// Integration: lane bursts from scopes, tasks and threads, serialized across Scopes, Lanes and the task-tree rule.

import Dispatch
import Foundation
import ProcessMonitorTesting
import Synchronization
import Testing
import TestSupport

@testable import ProcessMonitor

/// Tests that create hundreds of lanes at once or count every lane in the process: run one at
/// a time, so one's burst never lands inside another's count.
@Suite(.serialized) struct LaneHungryTests {}

extension LaneHungryTests {
    /// A burst of tasks must not leave every later heartbeat scanning its idle lanes.
    @Test func idleTaskLanesLeaveTheListTheMonitorReads() async {
        let children = 2000
        let gate = AsyncGate(count: children)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<children {
                group.addTask {
                    await withScope(label: "burst-\(i)") { await gate.arrive() }
                }
            }
            await gate.waitForAll()
            // Other suites' lanes come and go meanwhile: compare with what only ours explain.
            #expect(LaneRegistry.shared.laneCount >= children)
            await gate.release()
        }
        // Each thread keeps at most one idle task lane at hand; the rest are pooled, unread.
        #expect(LaneRegistry.shared.laneCount < children - 500)
        #expect(LaneRegistry.shared.pooledTaskLaneCount >= children - 500)
        // And pooled lanes are reused, not leaked: a second burst of 1000 concurrent tasks
        // would add 1000 lanes without reuse; other tests running alongside add far fewer.
        func allLanes() -> Int { LaneRegistry.shared.laneCount + LaneRegistry.shared.pooledTaskLaneCount }
        let total = allLanes()
        let second = AsyncGate(count: 1000)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<1000 { group.addTask { await withScope("reuse") { await second.arrive() } } }
            await second.waitForAll()
            await second.release()
        }
        #expect(allLanes() < total + 500)
    }
}

/// The waiting rule with real tasks: 200 children that each await inside their scopes under a
/// parent scope, one held on a semaphore the test controls, while a manual clock passes the
/// threshold. The outcome does not depend on scheduling: every other child has finished before
/// the heartbeat is taken, and the held one cannot finish.
extension LaneHungryTests {
    @Test func theParentWaitsAndExactlyTheHeldChildStalls() async throws {
        let clock = ManualMonitorClock()
        let recorder = HeartbeatRecorder()
        let monitor = try ProcessMonitor(
            configuration: try MonitorConfiguration(interval: .seconds(3600), stallThreshold: .seconds(30), maxPhaseLines: 10_000),
            observers: [recorder], clock: clock, sampler: FixedSampler()
        )
        monitor.reportWarnings(to: CapturedReports().append)
        try monitor.start()
        let gate = AsyncGate(count: 1)
        let finished = LockedValue(0)
        let parentLabel = "tree parent \(UUID())"
        let heldLabel = "held child \(UUID())"

        let parent = Task {
            await withScope(label: parentLabel) {
                await withTaskGroup(of: Void.self) { group in
                    for index in 0 ..< 200 {
                        group.addTask {
                            await withScope(label: index == 117 ? heldLabel : "tree child \(index)") {
                                if index == 117 {
                                    await gate.arrive()
                                } else {
                                    await Task.yield()
                                }
                            }
                            finished.withLock { $0 += 1 }
                        }
                    }
                }
            }
        }
        #expect(await waitUntil { finished.withLock { $0 } == 199 })
        clock.advance(by: .seconds(45))
        let heartbeat = try #require(await monitor.emit())
        let parentPhase = try #require(heartbeat.phases.first { $0.label == parentLabel })
        let heldPhase = try #require(heartbeat.phases.first { $0.label == heldLabel })
        #expect(parentPhase.activeDescendants == 1)
        #expect(heldPhase.parent == parentPhase.lane)
        let ours = heartbeat.stalls.filter { $0.label == parentLabel || $0.label == heldLabel }
        #expect(ours.map(\.label) == [heldLabel], "the parent waits; exactly the held child stalls")
        #expect(!heartbeat.phases.contains { $0.label.hasPrefix("tree child") }, "finished children are gone")

        await gate.release()
        await parent.value
        // The next heartbeat says the reported stall ended, once. (Lanes of tests running
        // beside this one age on this clock too: look at ours only.)
        let after = try #require(await monitor.emit())
        let ended = after.stallEnds.filter { $0.label == heldLabel }
        #expect(ended.count == 1)
        #expect(ended.first?.lane == heldPhase.lane)
        let again = try #require(await monitor.emit())
        #expect(!again.stallEnds.contains { $0.label == heldLabel })
        await monitor.shutdown()
    }
}

extension LaneHungryTests {
    /// A thread that exits with a scope still open (its guard kept elsewhere) must not leave
    /// that frame to the next thread that reuses its lane, nor keep showing it.
    @Test func aReusedThreadLaneStartsEmptyWithANewId() {
        let label = "exits-open-\(UUID())"
        let box = GuardBox()
        let lanesBox = LaneBox()
        let progressBox = LockedValue(ScopeProgress.detached)
        let counted = GuardBox()
        let progressBox2 = LockedValue(ScopeProgress.detached)
        let firstIDBox = LockedValue<LaneID?>(nil)
        let first = Thread {
            box.scope = enterScope(label: label)
            lanesBox.lane = existingThreadLane()
            firstIDBox.withLock { $0 = lanes(labelled: label).first?.id }
            withScope("escaping-counter", total: 3) { progress in progressBox.withLock { $0 = progress } }
            // A counted scope left open as the thread exits: its counter must die with it.
            let scope = enterScope("left-open-counter", total: 7)
            scope.progress.increment(by: 2)
            progressBox2.withLock { $0 = scope.progress }
            counted.scope = consume scope
        }
        first.start()
        #expect(waitUntil { first.isFinished })
        #expect(waitUntil { lanes(labelled: label).isEmpty }, "a retired lane is not read")
        #expect(lanesBox.lane != nil)
        let firstID = firstIDBox.withLock { $0 }
        // New threads take pooled lanes; none may show the old frame. Other suites' threads
        // take and retire pooled lanes meanwhile (one may hold the retired lane for a while),
        // so rounds of holders, each enough to drain the pool as it stands, run until one of
        // them gets the retired lane.
        let second = "reuser-\(UUID())"
        let seen = LockedValue<[LaneRecord]>([])
        let idsOnRetired = LockedValue<[LaneID]>([])
        var rounds = 0
        let reused = waitUntil {
            rounds += 1
            let gotRetired = LockedValue(0)
            let holders = max(128, LaneRegistry.shared.pooledThreadLaneCount + 32)
            let entered = DispatchSemaphore(value: 0)
            let leave = DispatchSemaphore(value: 0)
            let threads = (0..<holders).map { _ in
                Thread {
                    withScope(label: second) {
                        let mine = lanes(labelled: second)
                        if existingThreadLane() === lanesBox.lane {
                            gotRetired.withLock { $0 += 1 }
                            idsOnRetired.withLock { $0.append(contentsOf: mine.map(\.id)) }
                        }
                        seen.withLock { $0.append(contentsOf: mine) }
                        entered.signal()
                        leave.wait()
                    }
                }
            }
            threads.forEach { $0.start() }
            for _ in 0..<holders { entered.wait() }
            for _ in 0..<holders { leave.signal() }
            _ = waitUntil { threads.allSatisfy(\.isFinished) }
            let got = gotRetired.withLock { $0 }
            #expect(got <= 1, "holders alive at once never share a lane")
            return got == 1
        }
        #expect(reused, "a new thread got the retired lane (after \(rounds) rounds)")
        #expect(seen.withLock { $0 }.allSatisfy { $0.depth == 1 })
        #expect(firstID != nil)
        #expect(idsOnRetired.withLock { $0 }.allSatisfy { $0 != firstID }, "the new owner has a new id")
        #expect(lanes(labelled: label).isEmpty)
        let escaped = progressBox.withLock { $0 }
        escaped.increment()
        #expect(escaped.current == 0, "a counter that outlived its thread is dead")
        let leftOpen = progressBox2.withLock { $0 }
        leftOpen.increment()
        #expect(leftOpen.current == 0 && leftOpen.total == 0, "so is one whose scope was open when its thread exited")
        box.endScope()
        counted.endScope()
    }
}
