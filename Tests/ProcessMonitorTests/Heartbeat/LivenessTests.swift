import Foundation
import ProcessMonitorTesting
import Synchronization
import Testing
import TestSupport

@testable import ProcessMonitor

/// The stall rule: a scope is stuck only when it is old, its counter is not moving, and no
/// child of it is alive. Driven by hand-made snapshots and a fixed clock, then through a real
/// monitor with a real scope.
@Suite struct LivenessTests {
    static let second: UInt64 = 1_000_000_000
    static let millisecond: UInt64 = 1_000_000
    static let start: UInt64 = 1_000 * second

    /// One counting lane entered at `start`, as the snapshot would read it at `now`.
    func snapshot(current: UInt64, total: UInt64 = 1000, threshold: UInt64? = nil, key: UInt = 0x1000) -> MonitorSnapshot {
        MonitorSnapshot(lanes: [
            LaneRecord(
                id: .thread(1, name: "main"), depth: 1, label: .text("score rows"),
                entered: Self.start, lastChange: Self.start,
                progress: RawProgress(current: current, total: total, entered: Self.start, epoch: 3),
                key: key, stallThresholdMilliseconds: threshold
            ),
        ])
    }

    func build(_ snapshot: MonitorSnapshot, now: UInt64, configuration: MonitorConfiguration) -> Heartbeat {
        HeartbeatBuilder.build(
            HeartbeatInputs(
                snapshot: snapshot, sample: ProcessSample(), cpu: CPUUsage(), now: now, started: Self.start,
                timestamp: Date(timeIntervalSince1970: 1_800_000_000), sequence: 1, trigger: .scheduled,
                processID: 1, configuration: configuration
            )
        ).heartbeat
    }

    @Test func aCountingScopeOlderThanItsThresholdIsNoStall() throws {
        let configuration = try MonitorConfiguration(interval: .seconds(1), stallThreshold: .seconds(5))
        var watch = ProgressWatch()
        var count: UInt64 = 0
        // 2,658 rows a second for a minute, one heartbeat a second: never a stall.
        for second in 1...60 {
            count += 2658
            var taken = snapshot(current: count)
            let now = Self.start + UInt64(second) * Self.second
            watch.observe(&taken, now: now)
            let heartbeat = build(taken, now: now, configuration: configuration)
            #expect(heartbeat.stalls.isEmpty, "a moving counter at \(second) s")
            #expect(heartbeat.phases.first?.age == .seconds(Int64(second)), "the age shown stays the scope's age")
            #expect(heartbeat.phases.first?.progress?.sinceLastMove == .zero)
        }
    }

    @Test func aCounterThatStopsBecomesAStallAtExactlyItsThreshold() throws {
        let configuration = try MonitorConfiguration(interval: .seconds(1), stallThreshold: .seconds(5))
        var watch = ProgressWatch()
        // Moves every heartbeat until 10 s, then stops at 10.
        var firstStall: UInt64?
        var now = Self.start
        var value: UInt64 = 0
        while now < Self.start + 30 * Self.second {
            now += 250 * Self.millisecond
            if now <= Self.start + 10 * Self.second { value += 1 }
            var taken = snapshot(current: value)
            watch.observe(&taken, now: now)
            let heartbeat = build(taken, now: now, configuration: configuration)
            if firstStall == nil, let stall = heartbeat.stalls.first {
                firstStall = now
                #expect(stall.age == .seconds(15), "the stall's age is the scope's age")
                #expect(stall.threshold == .seconds(5))
                #expect(stall.progress?.sinceLastMove == .seconds(5))
                #expect(stall.progress?.current == 40)
            }
        }
        #expect(firstStall == Self.start + 15 * Self.second, "the last move was seen at 10 s; threshold 5 s")
    }

    @Test func aCounterStillAtZeroHasNeverMoved() throws {
        let configuration = try MonitorConfiguration(interval: .seconds(1), stallThreshold: .seconds(5))
        var watch = ProgressWatch()
        var taken = snapshot(current: 0)
        let now = Self.start + 5 * Self.second
        watch.observe(&taken, now: now)
        let heartbeat = build(taken, now: now, configuration: configuration)
        #expect(heartbeat.stalls.map(\.label) == ["score rows"], "first seen at zero, five seconds in: stuck since the start")
        #expect(heartbeat.stalls.first?.progress?.sinceLastMove == .seconds(5))
    }

    @Test func aCounterFirstSeenAboveZeroCountsAsJustMoved() throws {
        let configuration = try MonitorConfiguration(interval: .seconds(1), stallThreshold: .seconds(5))
        var watch = ProgressWatch()
        var taken = snapshot(current: 12)
        let now = Self.start + 60 * Self.second
        watch.observe(&taken, now: now)
        #expect(build(taken, now: now, configuration: configuration).stalls.isEmpty)
        // Unchanged for exactly the threshold after that: a stall.
        var later = snapshot(current: 12)
        watch.observe(&later, now: now + 5 * Self.second)
        #expect(build(later, now: now + 5 * Self.second, configuration: configuration).stalls.count == 1)
    }

    @Test func aNewScopeAtTheSameDepthIsANewCounter() {
        var watch = ProgressWatch()
        var first = snapshot(current: 7)
        watch.observe(&first, now: Self.start + Self.second)
        // Same lane and value, but another frame (epoch): its first sighting, not "unchanged".
        var second = snapshot(current: 0)
        second.lanes[0].progress?.epoch = 4
        watch.observe(&second, now: Self.start + 2 * Self.second)
        #expect(second.lanes[0].progressMovedAt == nil)
        var third = snapshot(current: 0)
        third.lanes[0].progress?.epoch = 4
        third.lanes[0].progress?.current = 7
        watch.observe(&third, now: Self.start + 3 * Self.second)
        #expect(third.lanes[0].progressMovedAt == Self.start + 3 * Self.second)
    }

    @Test func aScopesOwnThresholdIsReachedAtExactlyItsValue() throws {
        let configuration = try MonitorConfiguration(interval: .seconds(1), stallThreshold: .seconds(100))
        let record = { (age: UInt64, own: UInt64?) in
            MonitorSnapshot(lanes: [
                LaneRecord(id: .thread(2), depth: 1, label: .text("compact"), entered: Self.start,
                           lastChange: Self.start, stallThresholdMilliseconds: own),
            ])
        }
        let at = { (ms: UInt64) in Self.start + ms * Self.millisecond }
        #expect(build(record(0, 5000), now: at(4999), configuration: configuration).stalls.isEmpty)
        let stall = try #require(build(record(0, 5000), now: at(5000), configuration: configuration).stalls.first)
        #expect(stall.threshold == .seconds(5), "the scope's own threshold travels with the stall")
        #expect(build(record(0, nil), now: at(99_999), configuration: configuration).stalls.isEmpty)
        #expect(build(record(0, nil), now: at(100_000), configuration: configuration).stalls.first?.threshold == .seconds(100))
        let never = build(record(0, .max), now: at(86_400_000), configuration: configuration)
        #expect(never.stalls.isEmpty)
        #expect(never.phases.first?.stallThreshold == nil, "never: no threshold")
        #expect(build(record(0, 5000), now: at(1), configuration: configuration).phases.first?.stallThreshold == .seconds(5))
        #expect(build(record(0, nil), now: at(1), configuration: configuration).phases.first?.stallThreshold == .seconds(100))
    }

    @Test func lanesThatMayStallByTheNextBeatAreMarkedForAThreadReading() throws {
        let configuration = try MonitorConfiguration(interval: .seconds(2), stallThreshold: .seconds(5))
        let lanes = [3000, 2999, 6000].enumerated().map { index, ageMs in
            LaneRecord(id: .thread(UInt64(index + 1)), depth: 1, label: .text("l\(index)"),
                       entered: Self.start, lastChange: Self.start, threadID: Int32(100 + index))
        }
        let built = lanes.indices.map { index in
            HeartbeatBuilder.build(HeartbeatInputs(
                snapshot: MonitorSnapshot(lanes: [lanes[index]]), sample: ProcessSample(), cpu: CPUUsage(),
                now: Self.start + UInt64([3000, 2999, 6000][index]) * Self.millisecond, started: Self.start,
                timestamp: Date(), sequence: 1, trigger: .scheduled, processID: 1, configuration: configuration
            ))
        }
        #expect(built[0].nearStallRecords == [0], "3 s old, 5 s threshold, 2 s interval: may stall by the next beat")
        #expect(built[1].nearStallRecords.isEmpty)
        #expect(built[2].nearStallRecords.isEmpty && built[2].stalledRecords == [0], "a stall is not also near one")
    }

    /// A real scope on a real thread, through a real monitor: counting keeps it alive; when the
    /// count stops, the STALL comes one threshold after the last heartbeat that saw it move.
    @Test func aRealCountingScopeStallsOnlyOnceItsCounterStops() throws {
        let step = Mutex<Int>(0)   // the worker increments while `step` is odd
        let worked = Atomic<Int>(0)
        let finish = Atomic<Bool>(false)
        let label = "liveness probe \(UUID())"
        let entered = Atomic<Bool>(false)
        let worker = Thread {
            withScope(label: label, total: 0) { progress in
                entered.store(true, ordering: .releasing)
                var done = 0
                while !finish.load(ordering: .relaxed) {
                    let current = step.withLock { $0 }
                    if current > done {
                        progress.increment()
                        done = current
                        worked.store(done, ordering: .releasing)
                    }
                    usleep(200)
                }
            }
        }
        worker.start()
        defer { finish.store(true, ordering: .relaxed) }
        #expect(waitUntil { entered.load(ordering: .acquiring) })
        // Started after the scope, so the scope is at least as old as the clock says.
        let clock = ManualMonitorClock()
        let monitor = try ProcessMonitor(
            configuration: MonitorConfiguration(interval: .seconds(3600), stallThreshold: .seconds(5)),
            observers: [], clock: clock, sampler: FixedSampler()
        )
        monitor.reportWarnings(to: CapturedReports().append)  // another suite's bad threshold is not this test's
        try monitor.start()
        defer { monitor.stop() }
        func beat(advancing seconds: Int, move: Bool) -> Heartbeat.Stall? {
            if move {
                let target = step.withLock { value -> Int in value += 1; return value }
                _ = waitUntil { worked.load(ordering: .acquiring) >= target }
            }
            clock.advance(by: .seconds(seconds))
            return monitor.emitNow()?.stalls.first { $0.label == label }
        }
        for _ in 0..<5 { #expect(beat(advancing: 3, move: true) == nil, "counting") }
        #expect(beat(advancing: 4, move: false) == nil, "4 s without a move")
        let stall = try #require(beat(advancing: 1, move: false), "5 s without a move")
        #expect(stall.threshold == .seconds(5))
        #expect(stall.progress?.current == 5)
        #expect(stall.progress?.sinceLastMove == .seconds(5))
    }
}
