import Dispatch
import Foundation
import Testing
import TestSupport

@testable import ProcessMonitor

/// Snapshot helpers: tests run in parallel and share the process-wide registry, so each test
/// looks only at lanes carrying its own labels.
func openLanes() -> [(record: LaneRecord, label: String)] {
    let snapshot = Snapshotter().take()
    return snapshot.lanes.map { ($0, snapshot.resolve($0.label)) }
}

func lanes(labelled label: String) -> [LaneRecord] {
    openLanes().filter { $0.label == label }.map(\.record)
}

@Suite struct ScopeTests {
    @Test func syncScopeIsVisibleWhileOpenAndGoneAfter() {
        let label = "scope-visible-\(UUID())"
        withScope(label: label) {
            let seen = lanes(labelled: label)
            #expect(seen.count == 1)
            #expect(seen.first?.depth == 1)
            #expect(seen.first?.id.kind == .thread)
        }
        #expect(lanes(labelled: label).isEmpty)
    }

    @Test func nestedScopesShowTheInnermostLabelAndDepth() {
        let outer = "outer-\(UUID())"
        withScope(label: outer) {
            withScope("scope-tests-static-inner") {
                let mine = openLanes().filter { $0.label == "scope-tests-static-inner" }
                #expect(mine.count == 1)
                #expect(mine.first?.record.depth == 2)
                #expect(lanes(labelled: outer).isEmpty)
            }
            #expect(lanes(labelled: outer).first?.depth == 1)
        }
    }

    @Test func staticLabelsCostNoCopyAndReadBackExactly() {
        withScope("static label with ümlaut and emoji 🚀") {
            #expect(openLanes().contains { $0.label == "static label with ümlaut and emoji 🚀" })
        }
    }

    @Test func dynamicLabelsOfAnyContentReadBackExactly() {
        let labels = ["", "with \"quotes\" and \\", "line\nbreak\r\t", "e\u{301}", "\u{1b}[31mred", "👨‍👩‍👧", String(repeating: "x", count: 300)]
        for base in labels {
            let label = base + "#\(UUID())"
            withScope(label: label) {
                #expect(lanes(labelled: label).count == 1, "label \(label.debugDescription)")
            }
        }
    }

    @Test func hugeDynamicLabelsAreCutAtAScalarBoundary() {
        let label = String(repeating: "é", count: 5000)  // 10 000 bytes
        withScope(label: label) {
            let found = openLanes().filter { $0.label.hasPrefix("éééé") }
            #expect(found.count == 1)
            let kept = found.first?.label ?? ""
            #expect(kept.utf8.count <= Lane.maxStoredLabelBytes)
            #expect(kept.utf8.count >= Lane.maxStoredLabelBytes - 1)
            #expect(kept.allSatisfy { $0 == "é" })
        }
    }

    @Test func arenaOverflowKeepsStackCorrect() {
        // 64 nested 1000-byte labels need far more than the arena holds; later labels shrink to
        // what is left but the stack stays right and unwinds cleanly.
        func nest(_ level: Int) {
            guard level < 20 else {
                withScope("arena-overflow-innermost") {
                    let mine = openLanes().filter { $0.label == "arena-overflow-innermost" }
                    #expect(mine.first?.record.depth == 21)
                }
                return
            }
            withScope(label: String(repeating: "a", count: 1000) + "\(level)") { nest(level + 1) }
        }
        nest(0)
        withScope(label: "after-overflow-\(level0)") {
            #expect(lanes(labelled: "after-overflow-\(level0)").count == 1)
        }
    }
    let level0 = UUID()

    @Test func dynamicLabelsTooDeepToStoreDoNotLeakLabelSpace() {
        func nest(_ level: Int) {
            if level == Lane.capacity {
                // Far more label bytes than the arena holds, all on frames too deep to store.
                for i in 0..<600 { withScope(label: "too-deep-\(i)-" + String(repeating: "z", count: 40)) {} }
                return
            }
            withScope("static-level") { nest(level + 1) }
        }
        nest(0)
        let label = "after-deep-dynamic-\(UUID())"
        withScope(label: label) {
            #expect(lanes(labelled: label).count == 1, "the arena must be empty again at depth 1")
        }
    }

    @Test func framesDeeperThanCapacityAreCountedButNotStored() {
        func nest(_ level: Int) {
            if level == 70 {
                let mine = openLanes().filter { $0.label == "deep-63" }
                #expect(mine.count == 1)
                #expect(mine.first?.record.depth == 70)
                return
            }
            withScope(label: "deep-\(level)") { nest(level + 1) }
        }
        nest(0)
        #expect(openLanes().filter { $0.label.hasPrefix("deep-") }.isEmpty)
    }

    @Test func throwingBodyStillEndsTheScope() {
        struct Boom: Error {}
        let label = "throws-\(UUID())"
        #expect(throws: Boom.self) {
            try withScope(label: label) { throw Boom() }
        }
        #expect(lanes(labelled: label).isEmpty)
        // Typed throws pass through unchanged.
        let result: Result<Int, Boom> = Result { () throws(Boom) -> Int in try withScope("typed") { () throws(Boom) -> Int in throw Boom() } }
        #expect(throws: Boom.self) { try result.get() }
    }

    @Test func progressIsReadFromTheInnermostCountedFrame() {
        let label = "progress-\(UUID())"
        withScope(label: "outer-progress", total: 10) { outer in
            outer.increment(by: 3)
            withScope(label: label, total: 1000) { progress in
                progress.increment()
                progress.increment(by: 9)
                #expect(progress.current == 10)
                withScope("no-counter-innermost") {
                    let record = openLanes().first { $0.label == "no-counter-innermost" }?.record
                    #expect(record?.progress?.current == 10)
                    #expect(record?.progress?.total == 1000)
                }
                progress.set(current: 500, total: 0)
                #expect(lanes(labelled: label).first?.progress?.total == 0)
                #expect(lanes(labelled: label).first?.progress?.current == 500)
            }
            let record = lanes(labelled: "outer-progress").first
            #expect(record?.progress?.current == 3)
            #expect(record?.progress?.total == 10)
        }
    }

    @Test func progressFromConcurrentWorkersAddsUp() {
        let label = "concurrent-progress-\(UUID())"
        withScope(label: label, total: 4000) { progress in
            DispatchQueue.concurrentPerform(iterations: 4000) { _ in progress.increment() }
            #expect(progress.current == 4000)
            #expect(lanes(labelled: label).first?.progress?.current == 4000)
        }
    }

    @Test func progressThatEscapedItsScopeIsIgnored() {
        var escaped = ScopeProgress.detached
        withScope("escape-1", total: 10) { progress in
            progress.increment(by: 7)
            escaped = progress
        }
        // Dead as soon as its scope ends, before anything reuses the slot.
        #expect(escaped.current == 0)
        #expect(escaped.total == 0)
        escaped.increment(by: 5)
        #expect(escaped.current == 0)
        withScope("escape-2", total: 10) { progress in
            escaped.increment(by: 5)
            escaped.set(current: 9, total: 9)
            #expect(progress.current == 0)
            #expect(progress.total == 10)
        }
        #expect(escaped.current == 0)
        ScopeProgress.detached.increment()
        #expect(ScopeProgress.detached.current == 0)
    }

    @Test func manualGuardEndsOnEndAndOnDeinit() {
        let label = "guard-\(UUID())"
        do {
            let scope = enterScope(label: label)
            #expect(lanes(labelled: label).count == 1)
            scope.end()
        }
        #expect(lanes(labelled: label).isEmpty)
        do {
            let scope = enterScope("guard-deinit-static")
            _ = scope.progress
            #expect(openLanes().contains { $0.label == "guard-deinit-static" })
        }
        #expect(!openLanes().contains { $0.label == "guard-deinit-static" })
        let counted = enterScope("guard-progress", total: 8)
        counted.progress.increment(by: 2)
        #expect(openLanes().first { $0.label == "guard-progress" }?.record.progress?.current == 2)
        counted.end()
    }

    @Test func guardEndedOnAnotherThreadLeavesBothLanesIntact() {
        let before = ScopeGuard.endedOnAnotherThread
        let label = "foreign-\(UUID())"
        let mine = "foreign-test-thread-\(UUID())"
        let box = GuardBox()
        let entered = DispatchSemaphore(value: 0)
        let finish = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.scope = enterScope(label: label)
            entered.signal()
            finish.wait()
        }
        thread.start()
        entered.wait()
        withScope(label: mine) {
            // End it here, on the test's thread: the monitor counts it and touches no lane.
            box.endScope()
            #expect(ScopeGuard.endedOnAnotherThread >= before + 1, "other tests may end foreign guards too")
            // This thread's own scope is untouched...
            #expect(lanes(labelled: mine).first?.depth == 1)
            // ...and so is the other thread's: its frame is still there, to show (and stall).
            #expect(lanes(labelled: label).first?.depth == 1)
        }
        finish.signal()
    }

    @Test func threadLanesAreNamedAndRetiredWithTheirThread() {
        let label = "named-thread-\(UUID())"
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let box = LaneBox()
        let thread = Thread {
            // Linux's Foundation does not pass `Thread.name` to the OS; name it as C code would.
            try? "pm-worker".write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
            withScope(label: label) {
                box.lane = existingThreadLane()
                inside.signal()
                release.wait()
            }
        }
        thread.start()
        inside.wait()
        let id = lanes(labelled: label).first?.id
        #expect(id?.name == "pm-worker")
        #expect(id?.description.hasPrefix("ThreadId(") == true)
        #expect(id?.description.hasSuffix(")/pm-worker") == true)
        func registered() -> Bool {
            var all: [Lane] = []
            LaneRegistry.shared.lanes(into: &all)
            return all.contains { $0 === box.lane }
        }
        #expect(registered())
        release.signal()
        // The lane goes when the thread's destructors run: wait for that, with a generous bound.
        #expect(waitUntil { !registered() }, "the exited thread's lane was retired")
    }
}

/// A monitor keeps one snapshotter, which copies the registry's list only when it changed:
/// a lane that joins or leaves between two of its snapshots must still show up, or go.
@Suite struct SnapshotterTests {
    @Test func oneSnapshotterSeesLanesThatJoinAndLeaveBetweenSnapshots() {
        let snapshotter = Snapshotter()
        let label = "snapshotter-reuse-\(UUID())"
        func shown() -> Int {
            let snapshot = snapshotter.take()
            return snapshot.lanes.filter { snapshot.resolve($0.label) == label }.count
        }
        func registered(_ lane: Lane?) -> Bool {
            var all: [Lane] = []
            LaneRegistry.shared.lanes(into: &all)
            return all.contains { $0 === lane }
        }
        #expect(shown() == 0)
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let box = LaneBox()
        let thread = Thread {
            let lane = currentThreadLane()
            box.lane = lane
            // Never popped: the thread exits with the frame open, so only retirement hides it.
            lane.push(string: label)
            inside.signal()
            release.wait()
        }
        thread.start()
        inside.wait()
        #expect(shown() == 1, "a new thread's lane joined the list")
        #expect(shown() == 1, "and stays in it")
        release.signal()
        #expect(waitUntil { !registered(box.lane) })
        #expect(shown() == 0, "the retired lane left the list, open frame and all")
    }

    @Test func oneSnapshotterSeesAThreadRenamedBetweenSnapshots() {
        let snapshotter = Snapshotter()
        let label = "snapshotter-rename-\(UUID())"
        func names() -> [String?] {
            let snapshot = snapshotter.take()
            return snapshot.lanes.filter { snapshot.resolve($0.label) == label }.map(\.id.name)
        }
        _ = names()
        let renamed = DispatchSemaphore(value: 0)
        let checked = DispatchSemaphore(value: 0)
        let inside = DispatchSemaphore(value: 0)
        let thread = Thread {
            nameCurrentThread("before")
            withScope(label: label) {
                inside.signal()
                checked.wait()
                nameCurrentThread("after")
                renamed.signal()
                checked.wait()
            }
        }
        thread.start()
        inside.wait()
        #expect(names() == ["before"])
        checked.signal()
        renamed.wait()
        #expect(names() == ["after"], "a rename changes the list the snapshotter keeps")
        checked.signal()
    }
}

final class LaneBox: @unchecked Sendable {
    // @unchecked Sendable: written once by the thread before it signals, read after the wait.
    var lane: Lane?
}

/// Moves a guard between threads for the misuse test.
final class GuardBox: @unchecked Sendable {
    // @unchecked Sendable: accessed by one thread at a time, handed over by a semaphore.
    var scope: ScopeGuard?

    func endScope() {
        scope.take()?.end()
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
