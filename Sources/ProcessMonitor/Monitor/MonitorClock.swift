public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The monitor's time: a monotonic clock for ages, elapsed time and the heartbeat schedule,
/// and a wall clock for timestamps.
///
/// Everything the monitor does with time goes through the one clock it was given: the ages and
/// figures in a heartbeat, its timestamp, and when the next scheduled heartbeat is due. So a
/// test that injects a fake (`ManualMonitorClock` in `ProcessMonitorTesting`) controls all of
/// it: advancing the fake fires the scheduled heartbeats. The monotonic reading must be on the
/// time base scopes stamp their entry with, `CLOCK_MONOTONIC` (see ``SystemMonitorClock``), or
/// ages come out wrong. (Callers' own timeouts, such as `stop(timeout:)`, are real time.)
///
/// ```swift
/// struct FrozenClock: MonitorClock {
///     func monotonicNanoseconds() -> UInt64 { 5_000_000_000 }
///     func now() -> Date { Date(timeIntervalSince1970: 1_800_000_000) }
/// }
/// ```
public protocol MonitorClock: Sendable {
    /// Nanoseconds on the monotonic time base scopes are stamped with.
    func monotonicNanoseconds() -> UInt64
    /// The current wall-clock time, for heartbeat timestamps.
    func now() -> Date
    /// Arranges for the monitor to look at this clock again when its monotonic reading reaches
    /// `deadline`, when the next scheduled heartbeat is due.
    ///
    /// Returns how long, in real time, the monitor's thread may sleep before it reads the clock
    /// again, or `nil` to sleep until `wake` is called (or a heartbeat or a stop is asked for).
    /// The default, for a clock that moves with real time, returns the time left until
    /// `deadline`. A clock that moves only when told returns `nil` and calls `wake` after each
    /// move; `wake` may be called from any thread, any number of times.
    func scheduleWakeUp(at deadline: UInt64, wake: @escaping @Sendable () -> Void) -> Duration?
}

extension MonitorClock {
    /// The time left until `deadline`: the clock moves with real time.
    public func scheduleWakeUp(at deadline: UInt64, wake: @escaping @Sendable () -> Void) -> Duration? {
        let now = monotonicNanoseconds()
        return .nanoseconds(Int64(clamping: deadline > now ? deadline - now : 0))
    }
}

/// The real clocks: `CLOCK_MONOTONIC` (`CLOCK_MONOTONIC_RAW` on Darwin) and the system wall clock.
///
/// Scopes stamp their entry with the coarse form of the same clock (`CLOCK_MONOTONIC_COARSE`,
/// the time at the kernel's last tick), which is never ahead of this one and at most a tick
/// (1-4 ms) behind: an age is never shorter than the truth, and at most a tick longer.
public struct SystemMonitorClock: MonitorClock {
    /// Creates the system clock.
    public init() {}

    public func monotonicNanoseconds() -> UInt64 { monotonicPrecise() }

    public func now() -> Date { Date() }
}
