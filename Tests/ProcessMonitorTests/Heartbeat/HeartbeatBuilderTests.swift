import Foundation
import Testing

@testable import ProcessMonitor

/// The builder is pure, so every rule is checked with hand-made lanes and a fixed `now`.
@Suite struct HeartbeatBuilderTests {
    static let second: UInt64 = 1_000_000_000
    static let now: UInt64 = 10_000 * second

    func lane(
        _ id: LaneID, label: String, age: Duration, depth: Int = 1,
        lastChange: Duration? = nil, progress: (UInt64, UInt64, Duration)? = nil,
        key: UInt = 0, parent: UInt? = nil, threshold: UInt64? = nil
    ) -> LaneRecord {
        LaneRecord(
            id: id,
            depth: depth,
            label: .text(label),
            entered: Self.now - UInt64(age.wholeMilliseconds) * 1_000_000,
            lastChange: Self.now - UInt64((lastChange ?? age).wholeMilliseconds) * 1_000_000,
            progress: progress.map {
                RawProgress(current: $0.0, total: $0.1, entered: Self.now - UInt64($0.2.wholeMilliseconds) * 1_000_000)
            },
            key: key,
            parentKey: parent,
            stallThresholdMilliseconds: threshold
        )
    }

    func build(
        _ lanes: [LaneRecord],
        configuration: MonitorConfiguration = MonitorConfiguration(),
        cpu: CPUUsage = CPUUsage()
    ) -> Heartbeat {
        HeartbeatBuilder.build(
            HeartbeatInputs(
                snapshot: MonitorSnapshot(lanes: lanes),
                sample: ProcessSample(resources: ResourceUsage(rssBytes: 4096, threads: 3)),
                cpu: cpu,
                now: Self.now,
                started: Self.now - 142 * Self.second - 999_999_999,
                timestamp: Date(timeIntervalSince1970: 1_800_000_000.1234),
                sequence: 7,
                trigger: .scheduled,
                processID: 4242,
                configuration: configuration
            )
        ).heartbeat
    }

    @Test func idleProcessHasNoActivePhase() {
        let heartbeat = build([])
        #expect(heartbeat.active == nil)
        #expect(heartbeat.phases.isEmpty)
        #expect(heartbeat.stalls.isEmpty)
        #expect(heartbeat.instrumentedLanes == 0)
        #expect(heartbeat.omittedPhases == 0)
        #expect(heartbeat.level == .info)
    }

    @Test func headlineValuesAreCarriedAndTruncatedToMilliseconds() {
        let heartbeat = build([])
        #expect(heartbeat.sequence == 7)
        #expect(heartbeat.processID == 4242)
        #expect(heartbeat.elapsed == .milliseconds(142_999))
        #expect(heartbeat.resources.rssBytes == 4096)
        #expect(heartbeat.timestamp == Date(timeIntervalSince1970: 1_800_000_000.123))
        #expect(heartbeat.stallThreshold == .seconds(120))
    }

    @Test func activeIsTheLaneWithTheOldestInnermostFrame() {
        let heartbeat = build([
            lane(.thread(1, name: "main"), label: "young", age: .seconds(5)),
            lane(.thread(2), label: "old", age: .seconds(50)),
            lane(.task(1), label: "middle", age: .seconds(20)),
        ])
        #expect(heartbeat.active?.label == "old")
        #expect(heartbeat.active?.lane == .thread(2))
        #expect(heartbeat.active?.age == .seconds(50))
        #expect(heartbeat.phases.map(\.label) == ["old", "middle", "young"])
        #expect(heartbeat.instrumentedLanes == 3)
    }

    @Test func tiesBreakByLaneIdNumericallyThreadsBeforeTasks() {
        let age = Duration.seconds(30)
        let heartbeat = build([
            lane(.thread(10), label: "ten", age: age),
            lane(.task(1), label: "task", age: age),
            lane(.thread(9), label: "nine", age: age),
            lane(.thread(2), label: "two", age: age),
        ])
        // The seed compared ids as text, which put ThreadId(10) before ThreadId(2).
        #expect(heartbeat.phases.map(\.label) == ["two", "nine", "ten", "task"])
        #expect(heartbeat.active?.label == "two")
    }

    @Test(arguments: [
        (Duration.milliseconds(119_999), false),
        (Duration.seconds(120), true),
        (Duration.seconds(121), true),
    ])
    func stallThresholdIsInclusive(age: Duration, stalls: Bool) {
        let heartbeat = build([lane(.thread(1), label: "load", age: age)])
        #expect(heartbeat.stalls.isEmpty == !stalls)
        #expect(heartbeat.level == (stalls ? .warning : .info))
        if stalls {
            #expect(heartbeat.stalls == [Heartbeat.Stall(lane: .thread(1), label: "load", age: age)])
        }
    }

    @Test func phasesAreCappedAndTheRestCountedButStallsNeverAre() {
        let lanes = (1...12).map { lane(.thread(UInt64($0)), label: "l\($0)", age: .seconds(Int64(200 + $0))) }
        var configuration = MonitorConfiguration()
        configuration.maxPhaseLines = 3
        let heartbeat = build(lanes, configuration: configuration)
        #expect(heartbeat.phases.map(\.label) == ["l12", "l11", "l10"])
        #expect(heartbeat.omittedPhases == 9)
        #expect(heartbeat.stalls.count == 12)
        #expect(heartbeat.stalls.first?.label == "l12")
        #expect(heartbeat.stalls.last?.label == "l1")
        #expect(heartbeat.instrumentedLanes == 12)
    }

    @Test func phaseCarriesDepthAgeAndTimeSinceLastChange() {
        let heartbeat = build([
            lane(.thread(3, name: "io"), label: "read", age: .seconds(40), depth: 4, lastChange: .seconds(2))
        ])
        #expect(
            heartbeat.phases == [
                Heartbeat.Phase(lane: .thread(3, name: "io"), depth: 4, label: "read", age: .seconds(40), sinceLastChange: .seconds(2))
            ])
    }

    @Test func progressComesFromTheInnermostCountedFrameWithItsOwnElapsedTime() {
        let heartbeat = build([
            lane(.thread(1), label: "inner", age: .seconds(10), depth: 3, progress: (250, 1000, .seconds(100)))
        ])
        // Built by hand, so never seen moving: quiet since its scope began.
        let expected = ProgressReading(current: 250, total: 1000, elapsed: .seconds(100), sinceLastMove: .seconds(100))
        #expect(heartbeat.active?.progress == expected)
        #expect(heartbeat.phases.first?.progress == expected)
        #expect(expected.unitsPerSecond == 2.5)
        #expect(expected.estimatedRemaining == .seconds(300))
        #expect(expected.fraction == 0.25)
    }

    @Test func unknownTotalHasNoFractionOrEstimate() {
        let reading = ProgressReading(current: 17, total: 0, elapsed: .seconds(3))
        #expect(reading.fraction == nil)
        #expect(reading.estimatedRemaining == nil)
        #expect(ProgressReading(current: 0, total: 10, elapsed: .zero).unitsPerSecond == nil)
        #expect(ProgressReading(current: 10, total: 10, elapsed: .seconds(1)).estimatedRemaining == .zero)
    }

    @Test func cpuTrackerMeasuresCoresOverTheMeasuredWindow() {
        var tracker = CPUTracker()
        let start: UInt64 = 1_000 * Self.second
        let tick = Duration.milliseconds(10)
        func sample(_ cpu: Duration?, quota: Double? = nil) -> ProcessSample {
            ProcessSample(cpuTime: cpu, cpuTimeResolution: tick, affinityCores: 2, cpuQuotaCores: quota)
        }
        let first = tracker.update(sample(.seconds(10)), now: start)
        #expect(first.coresBusy == nil)
        #expect(first.availableCores == 2)
        let second = tracker.update(sample(.seconds(48)), now: start + 20 * Self.second)
        #expect(second.coresBusy == 1.9)
        #expect(second.window == .seconds(20))
        // 5 ms later (a final heartbeat right after a scheduled one): shorter than two ticks, so
        // the figure is taken over the window before, from the older baseline: 38.5 s in 20.005 s.
        let short = tracker.update(sample(.milliseconds(48_500)), now: start + 20 * Self.second + 5_000_000)
        #expect(short.window == .milliseconds(20_005))
        #expect(short.coresBusy == 38.5 / 20.005)
        // Unknown CPU time: no figure.
        #expect(tracker.update(sample(nil), now: start + 30 * Self.second).coresBusy == nil)
    }

    @Test func cpuTrackerHasNoFigureBeforeTwoTicksAndNeverExceedsTheCoresAvailable() {
        var tracker = CPUTracker()
        let start: UInt64 = 1_000 * Self.second
        let tick = Duration.milliseconds(10)
        _ = tracker.update(ProcessSample(cpuTime: .zero, cpuTimeResolution: tick, affinityCores: 2), now: start)
        // 15 ms and one tick of CPU time: 0.67 cores, or 2.5 with a second tick; noise either way.
        let early = tracker.update(ProcessSample(cpuTime: .milliseconds(20), cpuTimeResolution: tick, affinityCores: 2),
                                   now: start + 15_000_000)
        #expect(early.coresBusy == nil)
        #expect(early.window == nil)
        // Under a half-core quota, a window that reads more (ticks landing at the edge) is capped.
        let capped = tracker.update(ProcessSample(cpuTime: .milliseconds(40), cpuTimeResolution: tick,
                                                  affinityCores: 2, cpuQuotaCores: 0.5), now: start + 60_000_000)
        #expect(capped.availableCores == 0.5)
        #expect(capped.quotaCores == 0.5)
        #expect(capped.affinityCores == 2)
        #expect(capped.coresBusy == 0.5)
    }

    @Test func laneIdsReadAndParseLikeRust() {
        #expect(LaneID.thread(1, name: "main").description == "ThreadId(1)/main")
        #expect(LaneID.thread(12).description == "ThreadId(12)")
        #expect(LaneID.task(3).description == "TaskId(3)")
        #expect(LaneID(parsing: "ThreadId(3)/io/x") == .thread(3, name: "io/x"))
        #expect(LaneID(parsing: "TaskId(9)") == .task(9))
        #expect(LaneID(parsing: "Thread(9)") == nil)
        #expect(LaneID(parsing: "ThreadId(x)") == nil)
        #expect(LaneID(parsing: "ThreadId()") == nil)
        #expect(LaneID(parsing: "ThreadId(+3)") == nil)
        #expect(LaneID(parsing: "ThreadId(3)/\u{93E}x") == .thread(3, name: "\u{93E}x"), "combining mark after the slash")
        #expect(LaneID.thread(2) < LaneID.thread(10))
        #expect(LaneID.thread(99) < LaneID.task(1))
    }
}
