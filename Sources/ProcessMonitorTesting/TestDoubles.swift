public import Foundation
public import ProcessMonitor

/// A clock that only moves when told to, for deterministic heartbeats in tests.
///
/// Its monotonic reading starts at the real monotonic time, so scopes entered during a test
/// (stamped by the real clock) get sensible ages; advance it to age them. A monitor schedules
/// its heartbeats on it: advancing the clock to a due time fires the scheduled heartbeat (a
/// moment later, on the monitor's thread), and ``requestedWakeUps`` says which times the
/// monitor asked for.
///
/// ```swift
/// let clock = ManualMonitorClock()
/// let monitor = try ProcessMonitor(observers: [observer], clock: clock, sampler: FixedSampler())
/// clock.advance(by: .seconds(90))
/// ```
public final class ManualMonitorClock: MonitorClock {
    private struct Schedule {
        var offset: Int64 = 0
        var wakes: [@Sendable () -> Void] = []
        var requested: [Duration] = []
    }

    private let schedule = LockedValue(Schedule())
    private let base: UInt64
    private let wallBase: Date

    /// Creates a clock at the current monotonic time and `wallClock`.
    public init(wallClock: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        base = SystemMonitorClock().monotonicNanoseconds()
        wallBase = wallClock
    }

    /// Moves both clocks forward, then wakes every monitor waiting on this clock so it looks
    /// at the new time. A negative duration moves nothing; the offset saturates.
    public func advance(by duration: Duration) {
        let step = max(0, duration.wholeNanoseconds)
        let wakes = schedule.withLock { schedule in
            let (sum, overflow) = schedule.offset.addingReportingOverflow(step)
            schedule.offset = overflow ? .max : sum
            defer { schedule.wakes.removeAll() }
            return schedule.wakes
        }
        // Outside the lock: a monitor that wakes may ask this clock for a wake-up at once.
        for wake in wakes { wake() }
    }

    /// The times monitors asked to be woken at, as durations since this clock was created, one
    /// entry each time a monitor went to sleep on this clock, in order. A monitor that looks at
    /// the clock and finds its heartbeat not yet due asks for the same time again, so a new
    /// entry also says the monitor has seen the latest ``advance(by:)``.
    public var requestedWakeUps: [Duration] { schedule.withLock { $0.requested } }

    /// How far the clock has been advanced.
    public var elapsed: Duration { .nanoseconds(schedule.withLock { $0.offset }) }

    public func monotonicNanoseconds() -> UInt64 {
        base.adding(saturating: elapsed)
    }

    public func now() -> Date {
        wallBase.addingTimeInterval(elapsed.secondsAsDouble)
    }

    /// Records the deadline and keeps `wake` for the next ``advance(by:)``: this clock never
    /// moves by itself, so the monitor sleeps until it is moved.
    public func scheduleWakeUp(at deadline: UInt64, wake: @escaping @Sendable () -> Void) -> Duration? {
        let requested = Duration.nanoseconds(Int64(clamping: deadline &- base))
        schedule.withLock { schedule in
            schedule.wakes.append(wake)
            schedule.requested.append(requested)
        }
        return nil
    }
}

/// A sampler that returns readings you set, for deterministic resource figures in tests.
///
/// ```swift
/// let sampler = FixedSampler(ProcessSample(resources: ResourceUsage(rssBytes: 1 << 20), cpuTime: .zero))
/// sampler.set(ProcessSample(cpuTime: .seconds(30)))
/// ```
public final class FixedSampler: ProcessSampler {
    private let current: LockedValue<ProcessSample>

    /// Creates a sampler returning `sample` until told otherwise.
    public init(_ sample: ProcessSample = ProcessSample()) {
        current = LockedValue(sample)
    }

    /// Changes what the next samples return.
    public func set(_ sample: ProcessSample) {
        current.withLock { $0 = sample }
    }

    public func sample() -> ProcessSample {
        current.withLock { $0 }
    }
}

/// An observer that keeps every heartbeat, for assertions.
///
/// ```swift
/// let recorder = HeartbeatRecorder()
/// let monitor = try ProcessMonitor.start(observers: [recorder])
/// monitor.stop()
/// #expect(recorder.heartbeats.last?.trigger == .final)
/// ```
public final class HeartbeatRecorder: HeartbeatObserver {
    private let state = LockedValue<(beats: [Heartbeat], stopped: Int)>(([], 0))

    /// Creates an empty recorder.
    public init() {}

    /// Every heartbeat received, in order.
    public var heartbeats: [Heartbeat] { state.withLock { $0.beats } }

    /// How many times the monitor reported it stopped.
    public var stopCount: Int { state.withLock { $0.stopped } }

    public func observe(_ heartbeat: Heartbeat) {
        state.withLock { $0.beats.append(heartbeat) }
    }

    public func monitorDidStop() {
        state.withLock { $0.stopped += 1 }
    }
}
