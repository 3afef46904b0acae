import Foundation
import ProcessMonitor
import Synchronization

/// A clock that only moves when told to, for deterministic heartbeats in tests.
///
/// Its monotonic reading starts at the real coarse monotonic time, so scopes entered during a
/// test (stamped by the real clock) get sensible ages; advance it to age them.
///
/// ```swift
/// let clock = ManualMonitorClock()
/// let monitor = try ProcessMonitor(observers: [observer], clock: clock, sampler: FixedSampler())
/// clock.advance(by: .seconds(90))
/// ```
public final class ManualMonitorClock: MonitorClock {
    private let offset = Atomic<Int64>(0)
    private let base: UInt64
    private let wallBase: Date

    /// Creates a clock at the current monotonic time and `wallClock`.
    ///
    /// ```swift
    /// let clock = ManualMonitorClock(wallClock: Date(timeIntervalSince1970: 1_800_000_000))
    /// ```
    public init(wallClock: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        base = SystemMonitorClock().monotonicNanoseconds()
        wallBase = wallClock
    }

    /// Moves both clocks forward.
    ///
    /// ```swift
    /// clock.advance(by: .milliseconds(1500))
    /// ```
    public func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        offset.add(seconds * 1_000_000_000 + attoseconds / 1_000_000_000, ordering: .relaxed)
    }

    public func monotonicNanoseconds() -> UInt64 {
        UInt64(Int64(base) + offset.load(ordering: .relaxed))
    }

    public func now() -> Date {
        wallBase.addingTimeInterval(Double(offset.load(ordering: .relaxed)) / 1e9)
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
    ///
    /// ```swift
    /// let sampler = FixedSampler()
    /// ```
    public init(_ sample: ProcessSample = ProcessSample()) {
        current = LockedValue(sample)
    }

    /// Changes what the next samples return.
    ///
    /// ```swift
    /// sampler.set(ProcessSample(cpuTime: .seconds(2), availableCores: 4))
    /// ```
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
    ///
    /// ```swift
    /// let recorder = HeartbeatRecorder()
    /// ```
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
