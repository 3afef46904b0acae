#if canImport(Glibc)
import Glibc
#endif
import ProcessMonitorTesting
import Synchronization
import Testing
import TestSupport

@testable import ProcessMonitor

/// The fake coarse clock's reading, in nanoseconds: a C function pointer captures nothing, so
/// the fake reads a global (and the suite that moves it runs its tests one at a time).
private let fakeNanoseconds = Atomic<UInt64>(0)

private let fakeClockGettime: ScopeClock.ClockGettime = { _, time in
    let now = fakeNanoseconds.load(ordering: .relaxed)
    time.pointee = timespec(tv_sec: Int(now / 1_000_000_000), tv_nsec: Int(now % 1_000_000_000))
    return 0
}

/// A clock on the fake time and a lane that reads it, private to these tests (the shared ones
/// see every other test's monitors). Lanes are never freed, so they live in statics.
private let testClock = ScopeClock(clockGettime: fakeClockGettime)
private let testLane = Lane(kind: .thread, clock: testClock)

private func at(seconds: UInt64) { fakeNanoseconds.store(seconds * 1_000_000_000, ordering: .relaxed) }
private func seconds(_ nanoseconds: UInt64) -> UInt64 { nanoseconds / 1_000_000_000 }

/// Which scope exits read the clock (one clock read per scope pair): every exit while no
/// monitor runs, and only the exits of scopes a monitor's snapshot may have seen while one does.
@Suite(.serialized) struct ScopeClockTests {
    let lane = testLane

    init() {
        #expect(lane.depth == 0, "a previous test left scopes open")
    }

    @Test func withNoMonitorEveryExitIsTimed() {
        at(seconds: 10)
        lane.push("outer")
        lane.push("inner")
        at(seconds: 15)
        lane.pop()
        #expect(seconds(lane.lastChange.load(ordering: .relaxed)) == 15, "a monitor started later must see when it ended")
        lane.pop()
    }

    @Test func aScopeThatBeganAfterTheLatestSnapshotEndsUntimed() {
        at(seconds: 100)
        testClock.monitorStarted()
        defer { testClock.monitorStopped() }
        lane.push("outer")  // entered at the watermark: seen
        at(seconds: 101)
        lane.push("inner")  // entered after it: no snapshot can have shown it
        at(seconds: 102)
        lane.pop()
        #expect(seconds(lane.lastChange.load(ordering: .relaxed)) == 101, "the last change stays the last entry")
        at(seconds: 103)
        lane.pop()
        #expect(seconds(lane.lastChange.load(ordering: .relaxed)) == 103, "a scope open at the start is timed")
    }

    @Test func aScopeOpenAtASnapshotEndsTimed() {
        at(seconds: 200)
        testClock.monitorStarted()
        defer { testClock.monitorStopped() }
        at(seconds: 201)
        lane.push("stalls")
        at(seconds: 202)
        lane.push("child")
        at(seconds: 250)
        testClock.monitorWillSnapshot()
        at(seconds: 260)
        lane.pop()
        #expect(seconds(lane.lastChange.load(ordering: .relaxed)) == 260)
        lane.pop()
        #expect(seconds(lane.lastChange.load(ordering: .relaxed)) == 260)
        #expect(seconds(testClock.exitWatermark.load(ordering: .relaxed)) == 250)
    }

    @Test func theWatermarkNeverMovesBackAndClearsWhenTheLastMonitorStops() {
        at(seconds: 300)
        testClock.monitorStarted()
        at(seconds: 310)
        testClock.monitorStarted()
        #expect(seconds(testClock.exitWatermark.load(ordering: .relaxed)) == 300, "a second monitor keeps the first one's")
        testClock.monitorWillSnapshot()
        at(seconds: 305)  // a snapshot read on a clock that lags must not lower it
        testClock.monitorWillSnapshot()
        #expect(seconds(testClock.exitWatermark.load(ordering: .relaxed)) == 310)
        testClock.monitorStopped()
        #expect(seconds(testClock.exitWatermark.load(ordering: .relaxed)) == 310, "one monitor still runs")
        at(seconds: 320)
        lane.push("young")
        at(seconds: 321)
        lane.pop()
        #expect(seconds(lane.lastChange.load(ordering: .relaxed)) == 320)
        testClock.monitorStopped()
        #expect(testClock.exitWatermark.load(ordering: .relaxed) == .max)
        testClock.monitorStopped()  // one stop too many changes nothing
        testClock.monitorWillSnapshot()
        #expect(testClock.exitWatermark.load(ordering: .relaxed) == .max, "no monitor: a snapshot sets nothing")
        lane.push("timed again")
        at(seconds: 322)
        lane.pop()
        #expect(seconds(lane.lastChange.load(ordering: .relaxed)) == 322)
    }

    @Test func framesTooDeepToStoreAreAlwaysTimed() {
        at(seconds: 400)
        testClock.monitorStarted()
        defer { testClock.monitorStopped() }
        at(seconds: 401)
        for _ in 0...Lane.capacity { lane.push("deep") }
        at(seconds: 402)
        lane.pop()  // the 65th frame: no stored entry time to compare
        #expect(seconds(lane.lastChange.load(ordering: .relaxed)) == 402)
        lane.pop()  // the 64th: entered after the watermark
        #expect(seconds(lane.lastChange.load(ordering: .relaxed)) == 402)
        for _ in 0..<(Lane.capacity - 1) { lane.pop() }
    }

    @Test func theSharedClockReadsTheCoarseMonotonicClock() {
        var before = timespec()
        var after = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &before)
        let now = ScopeClock.shared.now()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &after)
        let low = UInt64(before.tv_sec) * 1_000_000_000 + UInt64(before.tv_nsec)
        let high = UInt64(after.tv_sec) * 1_000_000_000 + UInt64(after.tv_nsec)
        #expect(now >= low && now <= high)
        // The monitor's clock is the same one, read precisely: never behind a scope's stamp.
        #expect(SystemMonitorClock().monotonicNanoseconds() >= ScopeClock.shared.now())
    }

    @Test func aRunningMonitorRaisesTheSharedWatermarkBeforeEachSnapshot() throws {
        let monitor = try ProcessMonitor(
            configuration: try MonitorConfiguration(interval: .seconds(3600)),
            observers: [], clock: ManualMonitorClock(), sampler: FixedSampler()
        )
        monitor.reportWarnings(to: CapturedReports().append)  // another suite's bad threshold is not this test's
        try monitor.start()
        defer { monitor.stop() }
        #expect(waitUntil { ScopeClock.shared.exitWatermark.load(ordering: .relaxed) != .max })
        let before = ScopeClock.shared.now()
        monitor.emitNow()
        let watermark = ScopeClock.shared.exitWatermark.load(ordering: .relaxed)
        #expect(watermark >= before && watermark != .max)
    }
}
