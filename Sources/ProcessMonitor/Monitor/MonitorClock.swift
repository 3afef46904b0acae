import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The two clocks a heartbeat needs: a monotonic one for ages and a wall clock for timestamps.
///
/// The monotonic reading must be on the time base scopes stamp their entry with (the coarse
/// monotonic clock, see ``SystemMonitorClock``), or ages come out wrong. Tests inject a fake
/// to make every age and timestamp deterministic.
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
}

/// The real clocks: `CLOCK_MONOTONIC_COARSE` and the system wall clock.
///
/// Scopes stamp their entry with the coarse monotonic clock because it costs ~3 ns instead of
/// ~22 ns for the precise one; its 1-4 ms resolution is far below the whole seconds a heartbeat
/// shows.
///
/// ```swift
/// let clock = SystemMonitorClock()
/// let t0 = clock.monotonicNanoseconds()
/// ```
public struct SystemMonitorClock: MonitorClock {
    /// Creates the system clock.
    ///
    /// ```swift
    /// let monitor = try ProcessMonitor(observers: [], clock: SystemMonitorClock())
    /// ```
    public init() {}

    public func monotonicNanoseconds() -> UInt64 { coarseMonotonicNanoseconds() }

    public func now() -> Date { Date() }
}

/// The hot path's clock. See ``SystemMonitorClock`` for why it is the coarse one.
///
/// Inlinable, so a scope calls `clock_gettime` directly: as a call into this module it cost
/// two extra calls (the optimizer merged it with ``SystemMonitorClock/monotonicNanoseconds()``
/// into a shared thunk), ~40 instructions per read where the vDSO read itself needs ~20.
@inlinable @inline(__always)
func coarseMonotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    #if os(Linux)
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
    #else
    clock_gettime(CLOCK_MONOTONIC_RAW_APPROX, &ts)
    #endif
    return UInt64(truncatingIfNeeded: ts.tv_sec) &* 1_000_000_000 &+ UInt64(truncatingIfNeeded: ts.tv_nsec)
}
