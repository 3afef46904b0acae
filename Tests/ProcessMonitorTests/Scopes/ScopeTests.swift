import Dispatch
import Foundation
import Testing
import TestSupport

@testable import ProcessMonitor

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
