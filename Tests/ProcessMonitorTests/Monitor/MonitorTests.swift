import Foundation
import ProcessMonitorTesting
import Synchronization
import Testing
import TestSupport

@testable import ProcessMonitor

struct ObserverFailure: Error {}

@Suite struct MonitorTests {
    func makeMonitor(
        observers: [any HeartbeatObserver],
        clock: ManualMonitorClock = ManualMonitorClock(),
        sampler: FixedSampler = FixedSampler(ProcessSample(cpuTime: .seconds(10), affinityCores: 2)),
        configuration: MonitorConfiguration? = nil
    ) throws -> ProcessMonitor {
        let monitor = try ProcessMonitor(
            configuration: try configuration ?? MonitorConfiguration(interval: .seconds(3600), stallThreshold: .seconds(30)),
            observers: observers, clock: clock, sampler: sampler
        )
        monitor.reportWarnings(to: reports.append)
        return monitor
    }

    /// The monitor's own warnings, kept off the terminal; a test that causes one checks it here.
    let reports = CapturedReports()

    @Test func emitNowDeliversAndReturnsTheHeartbeat() throws {
        let recorder = HeartbeatRecorder()
        let clock = ManualMonitorClock()
        let sampler = FixedSampler(ProcessSample(cpuTime: .seconds(10), affinityCores: 2))
        let monitor = try makeMonitor(observers: [recorder], clock: clock, sampler: sampler)
        #expect(monitor.emitNow() == nil, "not running yet")
        try monitor.start()
        clock.advance(by: .seconds(20))
        sampler.set(ProcessSample(cpuTime: .seconds(48), affinityCores: 2))
        let heartbeat = try #require(monitor.emitNow())
        #expect(heartbeat.trigger == .requested)
        #expect(heartbeat.sequence == 1)
        #expect(heartbeat.elapsed == .seconds(20))
        #expect(heartbeat.timestamp == Date(timeIntervalSince1970: 1_800_000_020))
        // The baseline taken at start gives the first heartbeat a figure over the real window.
        #expect(heartbeat.cpu == CPUUsage(coresBusy: 1.9, availableCores: 2, affinityCores: 2, window: .seconds(20), totalTime: .seconds(48)))
        // emitNow returns once the heartbeat is handed off; delivery follows on the observer's thread.
        #expect(waitUntil { recorder.heartbeats == [heartbeat] })
        monitor.stop()
    }

    @Test func stopEmitsAFinalHeartbeatDeliveredBeforeItReturns() throws {
        let recorder = HeartbeatRecorder()
        let monitor = try makeMonitor(observers: [recorder])
        try monitor.start()
        #expect(monitor.isRunning)
        monitor.emitNow()
        monitor.stop()
        #expect(!monitor.isRunning)
        #expect(recorder.heartbeats.map(\.trigger) == [.requested, .final])
        #expect(recorder.heartbeats.map(\.sequence) == [1, 2])
        #expect(recorder.stopCount == 1)
        monitor.stop()
        #expect(recorder.heartbeats.count == 2, "a second stop is a no-op")
        #expect(recorder.stopCount == 1)
        #expect(monitor.emitNow() == nil)
        #expect(throws: MonitorError.self) { try monitor.start() }
    }

    @Test func startingTwiceIsAnError() throws {
        let monitor = try makeMonitor(observers: [])
        try monitor.start()
        defer { monitor.stop() }
        do {
            try monitor.start()
            Issue.record("second start accepted")
        } catch {
            #expect(error.code == .alreadyRunning)
        }
    }

    @Test func aThrowingObserverDoesNotStopTheOthersOrTheMonitor() throws {
        let before = HeartbeatRecorder()
        let after = HeartbeatRecorder()
        let calls = Atomic<Int>(0)
        let failing = ClosureObserver { _ in
            calls.add(1, ordering: .relaxed)
            throw ObserverFailure()
        }
        let monitor = try makeMonitor(observers: [before, failing, after])
        try monitor.start()
        monitor.emitNow()
        monitor.emitNow()
        monitor.stop()
        #expect(before.heartbeats.count == 3)
        #expect(after.heartbeats.count == 3)
        #expect(calls.load(ordering: .relaxed) == 3)
        #expect(monitor.observerFailures == 3)
        // Reported once, naming the observer and the error; the other failures are only counted.
        #expect(reports.lines.filter { $0.contains("threw") } == [
            "[process-monitor] observer #2 (ClosureObserver) threw: ObserverFailure(); further failures of it are counted, not printed\n",
        ])
    }

    @Test func observersMayCallBackIntoTheMonitorWithoutDeadlock() throws {
        let box = MonitorBox()
        let nested = LockedValue<[UInt64?]>([])
        let reentrant = ClosureObserver { heartbeat in
            guard let monitor = box.monitor else { return }
            switch heartbeat.sequence {
            case 1:
                // The monitor thread only hands heartbeats off, so an observer can wait for one.
                let next = monitor.emitNow()
                nested.withLock { $0.append(next?.sequence) }
            case 2:
                // Stopping from inside an observer cannot wait for that observer: it returns.
                #expect(monitor.stop(timeout: .seconds(3600)) == false)
            default:
                break
            }
        }
        let monitor = try makeMonitor(observers: [reentrant])
        box.monitor = monitor
        try monitor.start()
        monitor.emitNow()
        #expect(waitUntil { !monitor.isRunning })
        #expect(nested.withLock { $0 } == [2])
    }

    @Test func timeoutsOfAnySizeNeverTrap() throws {
        for timeout in [Duration.seconds(Int64.max), .seconds(Int64.min), .zero, .nanoseconds(-1),
                        Duration(secondsComponent: .max, attosecondsComponent: 999_999_999_999_999_999)] {
            let monitor = try makeMonitor(observers: [HeartbeatRecorder()])
            #expect(monitor.stop(timeout: timeout), "not running: nothing to wait for")
            try monitor.start()
            // Zero and negative timeouts may or may not see the final heartbeat delivered.
            let delivered = monitor.stop(timeout: timeout)
            if timeout > .seconds(1) { #expect(delivered) }
            #expect(waitUntil { !monitor.isRunning })
        }
    }

    @Test func asyncForms() async throws {
        let recorder = HeartbeatRecorder()
        let monitor = try makeMonitor(observers: [recorder])
        #expect(await monitor.emit() == nil)
        try monitor.start()
        let heartbeat = try #require(await monitor.emit())
        #expect(heartbeat.trigger == .requested)
        await monitor.shutdown()
        #expect(recorder.heartbeats.map(\.trigger) == [.requested, .final])
        #expect(await monitor.shutdown(timeout: .seconds(1)), "already stopped")
    }

    @Test func runUntilCancelledThenEmitsTheFinalHeartbeat() async throws {
        let recorder = HeartbeatRecorder()
        let monitor = try makeMonitor(observers: [recorder])
        let task = Task { try await monitor.run() }
        #expect(await waitUntil { monitor.isRunning })
        _ = await monitor.emit()
        task.cancel()
        try await task.value
        #expect(!monitor.isRunning)
        #expect(recorder.heartbeats.map(\.trigger) == [.requested, .final])
        #expect(recorder.stopCount == 1)
        await #expect(throws: MonitorError.self) { try await monitor.run() }
    }

    @Test func runReturnsWhenSomeoneElseStopsTheMonitor() async throws {
        let recorder = HeartbeatRecorder()
        let monitor = try makeMonitor(observers: [recorder])
        let task = Task { try await monitor.run() }
        #expect(await waitUntil { monitor.isRunning })
        await monitor.shutdown()
        try await task.value
        #expect(recorder.heartbeats.map(\.trigger) == [.final])
    }

    /// The window the race lived in: `run()` has started the monitor and someone stops it
    /// before `run()` waits for a stop. The seam runs a whole shutdown in that window, every
    /// time, so the test does not depend on the scheduler to hit it.
    @Test func runReturnsWhenStoppedRightAfterItStartedTheMonitor() async throws {
        let recorder = HeartbeatRecorder()
        let monitor = try makeMonitor(observers: [recorder])
        let box = MonitorBox()
        box.monitor = monitor
        monitor.control.withState { $0.runDidStart = { await box.monitor?.shutdown() } }
        try await monitor.run()
        #expect(!monitor.isRunning)
        #expect(recorder.heartbeats.map(\.trigger) == [.final])
        #expect(recorder.stopCount == 1)
        // A monitor stopped before the call is still an error.
        await #expect(throws: MonitorError.self) { try await monitor.run() }
    }

    /// Each start/stop cycle used to leak its control object, mailboxes and observers (the
    /// control held the mailboxes, whose failure handler held the control). After stop,
    /// nothing but the caller's own references keeps them.
    @Test func aStoppedMonitorFreesItsControlMailboxesAndObservers() throws {
        final class Weak<T: AnyObject>: @unchecked Sendable {
            // @unchecked Sendable: written once before the monitor stops, read after.
            weak var value: T?
        }
        let monitorRef = Weak<ProcessMonitor>()
        let controlRef = Weak<MonitorControl>()
        let mailboxRefs = [Weak<ObserverMailbox>(), Weak<ObserverMailbox>()]
        let recorderRef = Weak<HeartbeatRecorder>()
        let failingRef = Weak<FailingObserver>()
        let failures: Int = try {
            let recorder = HeartbeatRecorder()
            // A failing observer exercises the failure handler, the edge that closed the cycle.
            let failing = FailingObserver()
            let monitor = try makeMonitor(observers: [recorder, failing])
            monitorRef.value = monitor
            controlRef.value = monitor.control
            recorderRef.value = recorder
            failingRef.value = failing
            try monitor.start()
            for (ref, mailbox) in zip(mailboxRefs, monitor.control.withState { $0.mailboxes }) { ref.value = mailbox }
            monitor.emitNow()
            monitor.stop()
            #expect(recorder.heartbeats.count == 2)
            #expect(monitor.control.withState { $0.mailboxes.isEmpty }, "a stopped monitor keeps no mailboxes")
            return monitor.observerFailures
        }()
        #expect(failures == 2)
        // The threads end just after stop() returns; wait for them, then nothing may remain.
        #expect(waitUntil {
            monitorRef.value == nil && controlRef.value == nil
                && mailboxRefs.allSatisfy { $0.value == nil } && recorderRef.value == nil && failingRef.value == nil
        })
        #expect(monitorRef.value == nil, "the monitor leaked")
        #expect(controlRef.value == nil, "the control object leaked")
        #expect(mailboxRefs.allSatisfy { $0.value == nil }, "a mailbox leaked")
        #expect(recorderRef.value == nil && failingRef.value == nil, "an observer leaked")
    }

    /// Scheduled heartbeats run on the injected clock: each is due exactly one interval after
    /// the last, fires when the clock gets there and not before, and measures its elapsed time
    /// on the same clock.
    @Test func scheduledHeartbeatsFireOnTheInterval() throws {
        let recorder = HeartbeatRecorder()
        let clock = ManualMonitorClock()
        let monitor = try makeMonitor(
            observers: [recorder], clock: clock,
            configuration: try MonitorConfiguration(interval: .seconds(60), stallThreshold: .seconds(30))
        )
        try monitor.start()
        defer { monitor.stop() }
        #expect(waitUntil { clock.requestedWakeUps == [.seconds(60)] }, "the first beat is due one interval after start")

        // One second short of the interval: the monitor looks, goes back to sleep, fires nothing.
        clock.advance(by: .seconds(59))
        #expect(waitUntil { clock.requestedWakeUps.count == 2 })
        #expect(clock.requestedWakeUps.last == .seconds(60))
        #expect(monitor.emitNow()?.sequence == 1, "no scheduled heartbeat before the interval")

        clock.advance(by: .seconds(1))
        #expect(waitUntil { recorder.heartbeats.contains { $0.trigger == .scheduled } })
        let beat = try #require(recorder.heartbeats.first { $0.trigger == .scheduled })
        #expect(beat.sequence == 2)
        #expect(beat.elapsed == .seconds(60))
        #expect(waitUntil { clock.requestedWakeUps.last == .seconds(120) }, "the next one is due an interval later")
    }

    /// After the clock jumps several intervals at once (a suspended machine or process), one
    /// heartbeat fires, not a burst, and the next is due on the first whole interval after now.
    @Test func aJumpOfSeveralIntervalsFiresOneBeatAndSkipsTheMissedOnes() throws {
        let recorder = HeartbeatRecorder()
        let clock = ManualMonitorClock()
        let monitor = try makeMonitor(
            observers: [recorder], clock: clock,
            configuration: try MonitorConfiguration(interval: .seconds(60), stallThreshold: .seconds(30))
        )
        try monitor.start()
        defer { monitor.stop() }
        #expect(waitUntil { clock.requestedWakeUps == [.seconds(60)] })
        clock.advance(by: .seconds(60))
        #expect(waitUntil { clock.requestedWakeUps.last == .seconds(120) })

        clock.advance(by: .seconds(330))  // now 390 s: the beats due at 120 ... 360 s were missed
        #expect(waitUntil { clock.requestedWakeUps.last == .seconds(420) })
        #expect(!clock.requestedWakeUps.contains(.seconds(180)), "no deadline was asked for in the gap")
        #expect(monitor.emitNow()?.sequence == 3, "exactly one scheduled heartbeat for the jump")
        #expect(waitUntil { recorder.heartbeats.count == 3 })
        #expect(recorder.heartbeats.map(\.trigger) == [.scheduled, .scheduled, .requested])
        #expect(recorder.heartbeats.map(\.elapsed) == [.seconds(60), .seconds(390), .seconds(390)])
    }

    /// The next deadline after a beat, including the skip after a jump, and no overflow.
    @Test func nextDeadlineSkipsMissedIntervalsAndSaturates() {
        let second: UInt64 = 1_000_000_000
        #expect(MonitorLoop.deadline(after: 60 * second, interval: 60 * second, now: 60 * second) == 120 * second)
        #expect(MonitorLoop.deadline(after: 60 * second, interval: 60 * second, now: 119 * second) == 120 * second)
        // At exactly the next deadline that beat counts as missed too: it is due now.
        #expect(MonitorLoop.deadline(after: 60 * second, interval: 60 * second, now: 120 * second) == 180 * second)
        #expect(MonitorLoop.deadline(after: 60 * second, interval: 60 * second, now: 390 * second) == 420 * second)
        #expect(MonitorLoop.deadline(after: .max - 10, interval: 60 * second, now: .max - 5) == .max)
        #expect(MonitorLoop.deadline(after: 1, interval: .max / 2, now: .max - 1) == .max)
    }

    /// With the real clock, scheduled heartbeats come by themselves, each at least its whole
    /// number of intervals after start (never early; how late depends on the machine).
    @Test func scheduledHeartbeatsComeOnTheSystemClock() throws {
        let recorder = HeartbeatRecorder()
        let monitor = try ProcessMonitor(
            configuration: try MonitorConfiguration(interval: .milliseconds(10), stallThreshold: .seconds(1)),
            observers: [recorder], clock: SystemMonitorClock(), sampler: FixedSampler()
        )
        try monitor.start()
        #expect(waitUntil { recorder.heartbeats.count >= 3 })
        monitor.stop()
        let beats = recorder.heartbeats
        #expect(beats.prefix(3).allSatisfy { $0.trigger == .scheduled })
        for (index, beat) in beats.prefix(3).enumerated() {
            #expect(beat.elapsed >= .milliseconds(10 * (index + 1)), "beat \(index + 1) came early: \(beat.elapsed)")
        }
        #expect(beats.last?.trigger == .final)
        #expect(beats.map(\.sequence) == Array(1...UInt64(beats.count)))
    }

    @Test func heartbeatShowsOpenScopesWithAgesFromTheClock() throws {
        let label = "monitor-visible-\(UUID())"
        let beforeScope = ContinuousClock.now
        try withScope(label: label, total: 10) { progress in
            progress.increment(by: 4)
            // The clock starts at the real time now, after the scope was stamped, so the age
            // is 45 s plus the real time spent since, measured rather than assumed, plus how far
            // the coarse clock that stamped the scope lagged: one tick (4 ms here) normally, but
            // a VM that loses ticks can lag more, so the bound only rules out a wrong time base.
            let clock = ManualMonitorClock()
            let spent = beforeScope.duration(to: .now)
            // Other tests' lanes run in parallel and age on this clock too: show every phase.
            let monitor = try makeMonitor(
                observers: [], clock: clock,
                configuration: try MonitorConfiguration(interval: .seconds(3600), stallThreshold: .seconds(30), maxPhaseLines: 10_000)
            )
            try monitor.start()
            defer { monitor.stop() }
            clock.advance(by: .seconds(45))
            let heartbeat = try #require(monitor.emitNow())
            let phase = try #require(heartbeat.phases.first { $0.label == label } ?? nil)
            #expect(phase.depth == 1)
            #expect(phase.age >= .seconds(45))
            #expect(phase.age <= .seconds(45) + spent + .seconds(1))
            #expect(phase.progress?.current == 4)
            #expect(phase.progress?.total == 10)
            // First seen above zero, the counter counts as just moved; still at 4 a threshold
            // later, the scope is stuck.
            #expect(!heartbeat.stalls.contains { $0.label == label })
            clock.advance(by: .seconds(30))
            let later = try #require(monitor.emitNow())
            #expect(later.stalls.contains { $0.label == label })
            #expect(later.level == .warning)
        }
    }

    @Test func staticStartCreatesAndStartsARealMonitor() throws {
        let recorder = HeartbeatRecorder()
        let monitor = try ProcessMonitor.start(
            configuration: try MonitorConfiguration(interval: .seconds(3600)),
            observers: [recorder]
        )
        // Before the first beat: the hour-long interval leaves time for it.
        monitor.reportWarnings(to: reports.append)
        let heartbeat = try #require(monitor.emitNow())
        monitor.stop()
        #expect(heartbeat.processID == getpid())
        #expect(heartbeat.resources.rssBytes != nil)
        #expect(heartbeat.cpu.availableCores != nil)
        #expect(recorder.heartbeats.last?.trigger == .final)
    }
}

/// An observer that always throws, as a class so a test can hold it weakly.
final class FailingObserver: HeartbeatObserver {
    func observe(_ heartbeat: Heartbeat) throws { throw ObserverFailure() }
}

final class MonitorBox: @unchecked Sendable {
    // @unchecked Sendable: set once before the monitor starts, read only afterwards.
    var monitor: ProcessMonitor?
}
