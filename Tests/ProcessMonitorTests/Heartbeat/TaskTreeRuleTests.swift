import Foundation
import ProcessMonitorTesting
import Synchronization
import Testing
import TestSupport

@testable import ProcessMonitor

/// The waiting rule, per-scope thresholds and the stall lifecycle, on synthetic lanes with a
/// fixed `now`, then once with real tasks.
@Suite struct TaskTreeRuleTests {
    static let second: UInt64 = 1_000_000_000
    static let now: UInt64 = 10_000 * second

    func lane(
        _ number: UInt64, label: String, age: Duration, depth: Int = 1, changedAgo: Duration? = nil,
        key: UInt, parent: UInt? = nil, threshold: UInt64? = nil
    ) -> LaneRecord {
        LaneRecord(
            id: .task(number), depth: depth, label: .text(label),
            entered: Self.now - UInt64(age.wholeMilliseconds) * 1_000_000,
            lastChange: Self.now - UInt64((changedAgo ?? age).wholeMilliseconds) * 1_000_000,
            progress: nil, key: key, parentKey: parent, stallThresholdMilliseconds: threshold
        )
    }

    func build(_ lanes: [LaneRecord], threshold: Duration = .seconds(60), stallEnds: [Heartbeat.StallEnd] = []) -> BuiltHeartbeat {
        var configuration = MonitorConfiguration()
        configuration.stallThreshold = threshold
        configuration.maxPhaseLines = 100
        return HeartbeatBuilder.build(HeartbeatInputs(
            snapshot: MonitorSnapshot(lanes: lanes), sample: ProcessSample(), cpu: CPUUsage(),
            now: Self.now, started: Self.now - 3600 * Self.second, timestamp: Date(timeIntervalSince1970: 0),
            sequence: 1, trigger: .scheduled, processID: 1, configuration: configuration, stallEnds: stallEnds
        ))
    }

    @Test func aParentWithProgressingChildrenIsWaitingNotStalled() {
        let heartbeat = build([
            lane(1, label: "job", age: .seconds(600), key: 1),
            lane(2, label: "fetch 0", age: .seconds(5), key: 2, parent: 1),
            lane(3, label: "fetch 1", age: .seconds(2), key: 3, parent: 1),
        ]).heartbeat
        #expect(heartbeat.stalls.isEmpty, "the old parent scope waits on live children")
        let parent = heartbeat.phases.first { $0.label == "job" }
        #expect(parent?.activeDescendants == 2)
        #expect(heartbeat.phases.first { $0.label == "fetch 0" }?.parent == .task(1))
        #expect(heartbeat.active?.label == "job", "the seed's active rule is unchanged")
    }

    @Test func aHungChildIsTheStallAndItsParentWaits() {
        let heartbeat = build([
            lane(1, label: "job", age: .seconds(600), key: 1),
            lane(2, label: "fetch 0", age: .seconds(5), key: 2, parent: 1),
            lane(3, label: "stuck fetch", age: .seconds(300), key: 3, parent: 1),
        ]).heartbeat
        #expect(heartbeat.stalls.map(\.label) == ["stuck fetch"])
        #expect(heartbeat.stalls.first?.lane == .task(3))
    }

    @Test func grandchildrenCountForEveryAncestor() {
        let heartbeat = build([
            lane(1, label: "root", age: .seconds(900), key: 10),
            lane(2, label: "middle", age: .seconds(800), key: 20, parent: 10),
            lane(3, label: "leaf", age: .seconds(1), key: 30, parent: 20),
            lane(4, label: "leaf 2", age: .seconds(1), key: 40, parent: 20),
        ]).heartbeat
        #expect(heartbeat.stalls.isEmpty)
        #expect(heartbeat.phases.first { $0.label == "root" }?.activeDescendants == 3)
        #expect(heartbeat.phases.first { $0.label == "middle" }?.activeDescendants == 2)
        #expect(heartbeat.phases.first { $0.label == "leaf" }?.activeDescendants == 0)
    }

    @Test func aParentWhoseChildrenEndedStallsAgain() {
        // The children ended: their lanes are idle and not in the snapshot.
        let heartbeat = build([lane(1, label: "job", age: .seconds(600), key: 1)]).heartbeat
        #expect(heartbeat.stalls.map(\.label) == ["job"])
        #expect(heartbeat.phases.first?.activeDescendants == 0)
    }

    @Test func aLinkToALaneThatIsNotOpenEndsTheChainAndCyclesTerminate() {
        let heartbeat = build([
            lane(1, label: "orphan", age: .seconds(600), key: 1, parent: 99),
            lane(2, label: "a", age: .seconds(600), key: 2, parent: 3),
            lane(3, label: "b", age: .seconds(600), key: 3, parent: 2),
        ]).heartbeat
        #expect(heartbeat.stalls.map(\.label) == ["orphan"], "a and b each count the other (a cycle ends the walk)")
        #expect(heartbeat.phases.first { $0.label == "orphan" }?.parent == nil)
        let lone = build([lane(1, label: "orphan", age: .seconds(600), key: 1, parent: 99)]).heartbeat
        #expect(lone.stalls.map(\.label) == ["orphan"])
    }

    @Test func aScopesOwnThresholdWinsAndNeverMeansNever() {
        let heartbeat = build([
            lane(1, label: "serve", age: .seconds(3000), key: 1, threshold: 7_200_000),
            lane(2, label: "quick", age: .seconds(2), key: 2, threshold: 1_000),
            lane(3, label: "forever", age: .seconds(9_000), key: 3, threshold: .max),
            lane(4, label: "default", age: .seconds(61), key: 4),
        ]).heartbeat
        #expect(heartbeat.stalls.map(\.label) == ["default", "quick"])
    }

    @Test func stallThresholdValuesAreCheckedLikeTheConfiguration() throws {
        #expect(try StallThreshold(.seconds(90)).duration == .seconds(90))
        #expect(StallThreshold.hours(2).duration == .seconds(7200))
        #expect(StallThreshold.minutes(3).duration == .seconds(180))
        #expect(StallThreshold.milliseconds(1).isValid)
        #expect(StallThreshold.never.isValid && StallThreshold.never.duration == nil)
        for bad in [Duration.zero, .seconds(-1), .seconds(366 * 86_400), .seconds(Int64.max), .seconds(Int64.min)] {
            #expect(throws: MonitorError.self) { _ = try StallThreshold(bad) }
            #expect(!StallThreshold.after(bad).isValid)
        }
        #expect(!StallThreshold.hours(Int.max).isValid)
        #expect(!StallThreshold.minutes(-5).isValid)
    }

    /// A rejected threshold is counted when a scope uses it, and the first heartbeat after it
    /// says so, once per process. In a child process: the count and the warning are the
    /// process's, and a rejection here would make other tests' monitors warn.
    @Test func aRejectedThresholdIsCountedAndReportedOncePerProcess() async {
        await #expect(processExitsWith: .success) {
            func check(_ condition: Bool, _ what: String) {
                guard condition else { FileHandle.standardError.write(Data("FAILED: \(what)\n".utf8)); exit(1) }
            }
            func beat() -> [String] {
                let warnings = CapturedReports()
                // The configuration is valid: only the rejected scope can cause a warning.
                guard let monitor = try? ProcessMonitor(
                    configuration: MonitorConfiguration(interval: .seconds(3600)), observers: [],
                    clock: ManualMonitorClock(), sampler: FixedSampler()
                ) else { return ["cannot make a monitor"] }
                monitor.reportWarnings(to: warnings.append)
                try? monitor.start()
                monitor.emitNow()
                monitor.stop()
                return warnings.lines
            }
            check(beat().isEmpty, "a warning before any threshold was rejected")
            check(StallThreshold.rejectedCount == 0, "a fresh process has rejected nothing")
            withScope("rejected threshold", stallThreshold: .seconds(0)) {}
            withScope("rejected threshold", stallThreshold: .hours(-1)) {}
            withScope("accepted threshold", stallThreshold: .seconds(1)) {}
            check(StallThreshold.rejectedCount == 2, "two rejections counted")
            let first = beat()
            check(first.count == 1 && first[0].hasPrefix("[process-monitor] 2 scope(s) gave a stall threshold out of range"),
                  "the first monitor after a rejection warns: \(first)")
            check(beat().isEmpty, "a second monitor does not repeat it")
        }
    }

    @Test func theTrackerReportsAStallOnceWhenItsScopeEnds() {
        var tracker = StallTracker()
        let lanes = [lane(1, label: "flush", age: .seconds(200), depth: 2, key: 7)]
        let built = build(lanes)
        #expect(built.heartbeat.stalls.map(\.label) == ["flush"])
        tracker.record(built, snapshot: MonitorSnapshot(lanes: lanes))
        tracker.record(built, snapshot: MonitorSnapshot(lanes: lanes))
        #expect(tracker.tracked.count == 1, "the same scope is tracked once")
        let entered = lanes[0].entered
        // Still open at the next heartbeat (even under a newer scope): nothing ends.
        #expect(tracker.ended(now: Self.now + Self.second) { _ in .init(enteredAtDepth: entered, lastChange: Self.now) }.isEmpty)
        // It ended 10 s later; the lane went back to depth 1 and changed nothing since.
        let endedAt = entered + 210 * Self.second
        let ends = tracker.ended(now: Self.now + 60 * Self.second) { scope in
            #expect(scope.depth == 2)
            return .init(enteredAtDepth: nil, lastChange: endedAt)
        }
        #expect(ends == [Heartbeat.StallEnd(lane: .task(1), label: "flush", duration: .seconds(210))])
        #expect(tracker.ended(now: Self.now + 120 * Self.second) { _ in nil }.isEmpty, "reported once")
    }

    @Test func aScopeReplacedAtTheSameDepthEndsAtTheHeartbeatAtMost() {
        var tracker = StallTracker()
        let lanes = [lane(1, label: "load", age: .seconds(100), key: 7)]
        tracker.record(build(lanes), snapshot: MonitorSnapshot(lanes: lanes))
        let later = Self.now + 30 * Self.second
        // A new scope at the same depth: a different entry time, so the tracked one ended, at a
        // time the tracker cannot know exactly: it says "at most until this heartbeat".
        let ends = tracker.ended(now: later) { _ in .init(enteredAtDepth: later - Self.second, lastChange: later - Self.second) }
        #expect(ends.map(\.duration) == [.seconds(130)])
        #expect(ends.first?.label == "load")
    }
}
