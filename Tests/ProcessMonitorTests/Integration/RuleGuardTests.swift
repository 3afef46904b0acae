// Integration: rules from several folders (Heartbeat warnings, CPU baseline, phase age, Scopes) in one place.

import Foundation
import ProcessMonitorTesting
import Synchronization
import Testing
import TestSupport

@testable import ProcessMonitor

/// Rules that an outside test found unguarded: each test here fails if its rule is broken
/// (the 90 % boundary, the CPU baseline, a phase's age, `.never` on a real scope).
@Suite struct RuleGuardTests {
    @Test func theWarningStartsAtExactlyNinetyPercent() {
        let at = ResourceUsage(memoryLimitBytes: 1000, memoryUsageBytes: 900, openFileDescriptors: 90, fileDescriptorLimit: 100)
        #expect(ResourceWarning.warnings(for: at).map(\.resource) == [.memory, .fileDescriptors])
        #expect(ResourceWarning.anyWarning(for: at))
        let below = ResourceUsage(memoryLimitBytes: 1000, memoryUsageBytes: 899, openFileDescriptors: 89, fileDescriptorLimit: 100)
        #expect(ResourceWarning.warnings(for: below).isEmpty)
        #expect(!ResourceWarning.anyWarning(for: below))
        // Exact in integers where a Double would round: 90 % of 2^64 - 1.
        let huge = UInt64.max
        #expect(ResourceWarning.warnings(for: ResourceUsage(memoryLimitBytes: huge, memoryUsageBytes: huge / 10 * 9 + 4)).isEmpty)
        #expect(ResourceWarning.warnings(for: ResourceUsage(memoryLimitBytes: huge, memoryUsageBytes: huge / 10 * 9 + 5)).count == 1)
    }

    @Test func aShortWindowDoesNotMoveTheCPUBaseline() {
        var tracker = CPUTracker()
        let second: UInt64 = 1_000_000_000
        func sample(_ cpu: Duration) -> ProcessSample {
            ProcessSample(cpuTime: cpu, cpuTimeResolution: .milliseconds(10), affinityCores: 4)
        }
        _ = tracker.update(sample(.seconds(100)), now: 0)
        let first = tracker.update(sample(.seconds(110)), now: 10 * second)
        #expect(first.window == .seconds(10) && first.coresBusy == 1)
        // 5 ms later, under two ticks: measured from the baseline before (0 s), which stays.
        let short = tracker.update(sample(.milliseconds(110_010)), now: 10 * second + 5_000_000)
        #expect(short.window == .milliseconds(10_005))
        // The next window runs from 10 s, not from the short one's 10.005 s.
        let next = tracker.update(sample(.seconds(130)), now: 20 * second)
        #expect(next.window == .seconds(10))
        #expect(next.coresBusy == 2)
    }

    @Test func aPhasesAgeIsItsInnermostScopes() throws {
        // Lanes live for the whole process (anything may hold one unretained): keep this one.
        let lane = Unmanaged.passRetained(Lane(kind: .thread)).takeUnretainedValue()
        lane.push("outer")
        let outerEntered = try #require(lane.enteredTime(ofFrameAt: 1))
        // Wait for the scopes' clock to tick, so the inner scope's time differs.
        #expect(waitUntil { ScopeClock.shared.now() > outerEntered })
        lane.push("inner")
        var bytes: [UInt8] = []
        guard case .open(let state) = lane.read(into: &bytes) else {
            Issue.record("the lane should read as open")
            return
        }
        #expect(state.depth == 2)
        #expect(state.entered == lane.enteredTime(ofFrameAt: 2))
        #expect(state.entered > outerEntered, "the age comes from the innermost frame, not the outermost")
        lane.pop()
        lane.pop()
    }

    @Test func neverOnARealScopeIsKept() throws {
        let label = "never probe \(UUID())"
        let release = Atomic<Bool>(false)
        let entered = Atomic<Bool>(false)
        Thread {
            withScope(label: label, stallThreshold: .never) {
                entered.store(true, ordering: .releasing)
                while !release.load(ordering: .relaxed) { usleep(500) }
            }
        }.start()
        defer { release.store(true, ordering: .relaxed) }
        #expect(waitUntil { entered.load(ordering: .acquiring) })
        let clock = ManualMonitorClock()
        let monitor = try ProcessMonitor(
            configuration: MonitorConfiguration(interval: .seconds(3600), stallThreshold: .seconds(1), maxPhaseLines: 10_000),
            observers: [], clock: clock, sampler: FixedSampler()
        )
        monitor.reportWarnings(to: CapturedReports().append)  // another suite's bad threshold is not this test's
        try monitor.start()
        defer { monitor.stop() }
        clock.advance(by: .seconds(86_400))
        let heartbeat = try #require(monitor.emitNow())
        let phase = try #require(heartbeat.phases.first { $0.label == label })
        #expect(phase.stallThreshold == nil, "never travels with the phase")
        #expect(!heartbeat.stalls.contains { $0.label == label })
    }
}
