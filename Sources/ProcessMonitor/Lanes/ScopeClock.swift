#if canImport(Glibc)
public import Glibc
#elseif canImport(Musl)
public import Musl
#elseif canImport(Darwin)
public import Darwin
#endif
public import Synchronization

/// The clock scopes stamp their frames with, and the rule for which scope exits read it.
///
/// **One time base.** Everything in this package measures time on `CLOCK_MONOTONIC`. Scopes
/// read its coarse form, `CLOCK_MONOTONIC_COARSE`: the same clock as of the kernel's last
/// tick (1–4 ms ago, 4 ms on this project's machines), about 4 ns instead of 22 ns for the
/// precise read. The monitor reads the precise form through ``SystemMonitorClock``, so an age
/// (now minus a stamp) is never shorter than the truth and at most one tick longer.
///
/// **One read per scope pair.** A scope's entry always reads the clock: its age, and so every
/// stall, depends on it. Its exit reads the clock only if the scope began at or before the
/// latest snapshot of a running monitor (``exitWatermark``): a scope a heartbeat may have
/// shown, the only kind a stall report, or its end, can be about. A scope that began and ended
/// between two snapshots ends untimed; its lane's last change (a heartbeat's `updated_ago`)
/// stays the time of the lane's last entry, at most that short scope's length before the exit.
/// With no monitor running every exit is timed, so a monitor started later sees exact times.
///
/// A clock-thread "ticker" word (a thread that publishes the time every 1–4 ms) was measured
/// instead: on this project's virtual machines each wake-up costs 18–31 µs of CPU, so 250 a
/// second is 0.45–0.6 % of a core, five times the monitor's budget of 0.1 %.
///
/// Each lane holds the one shared instance, so a scope reaches it through the lane it already
/// has in a register, without a call to a global's accessor.
@usableFromInline
final class ScopeClock: Sendable {
    @usableFromInline static let shared = ScopeClock()

    /// Scopes that began at or before this time read the clock when they end; `UInt64.max`
    /// while no monitor runs. Written only under `running`'s lock.
    @usableFromInline let exitWatermark = Atomic<UInt64>(.max)

    /// The vDSO's own `clock_gettime` as a bit pattern, or libc's where there is none: a direct
    /// call skips libc's wrapper, 3.8 ns instead of 5.4 ns per read on this project's machines.
    @usableFromInline let clockGettime: UInt

    /// How many monitors are running.
    private let running = LockedValue(0)

    /// Creates a clock reading through `clockGettime` (tests pass a fake), or through the vDSO's
    /// `clock_gettime`, else libc's.
    init(clockGettime: ClockGettime? = nil) {
        let libc: ClockGettime = { clock, time in clock_gettime(clock, time) }
        let vdso = Self.findVDSOClockGettime()
        let function = clockGettime ?? (vdso != 0 ? nil : libc)
        self.clockGettime = function.map { UInt(bitPattern: unsafeBitCast($0, to: UnsafeRawPointer.self)) } ?? vdso
    }

    /// `clock_gettime`'s C signature.
    @usableFromInline typealias ClockGettime = @convention(c) (clockid_t, UnsafeMutablePointer<timespec>) -> Int32

    #if os(Linux)
    @usableFromInline static let coarse = CLOCK_MONOTONIC_COARSE
    #else
    @usableFromInline static let coarse = CLOCK_MONOTONIC_RAW_APPROX
    #endif

    /// Now, on the coarse monotonic clock, read into `scratch` (which must be the caller's
    /// own: a lane's, on its owner thread, keeps the hot path free of a stack buffer).
    @inlinable @inline(__always)
    func now(into scratch: UnsafeMutablePointer<timespec>) -> UInt64 {
        _ = unsafeBitCast(clockGettime, to: ClockGettime.self)(Self.coarse, scratch)
        return UInt64(truncatingIfNeeded: scratch.pointee.tv_sec) &* 1_000_000_000 &+ UInt64(truncatingIfNeeded: scratch.pointee.tv_nsec)
    }

    /// Now, on the coarse monotonic clock.
    func now() -> UInt64 {
        var ts = timespec()
        return now(into: &ts)
    }

    /// The vDSO's `clock_gettime` (vdso(7) names it per architecture), or 0. The vDSO is part of
    /// every Linux process's image, so the handle is never closed.
    private static func findVDSOClockGettime() -> UInt {
        #if os(Linux)
        #if arch(x86_64)
        let symbol = "__vdso_clock_gettime"
        #elseif arch(arm64)
        let symbol = "__kernel_clock_gettime"
        #else
        return 0
        #endif
        guard let vdso = dlopen("linux-vdso.so.1", RTLD_NOW | RTLD_NOLOAD), let function = dlsym(vdso, symbol) else {
            return 0
        }
        // Only a function that answers like libc's is used.
        var direct = timespec()
        var libc = timespec()
        guard unsafeBitCast(function, to: ClockGettime.self)(CLOCK_MONOTONIC_COARSE, &direct) == 0,
              clock_gettime(CLOCK_MONOTONIC_COARSE, &libc) == 0,
              abs(libc.tv_sec - direct.tv_sec) <= 1
        else { return 0 }
        return UInt(bitPattern: function)
        #else
        return 0
        #endif
    }

    // MARK: Monitors (cold path)

    /// A monitor starts: scopes open now keep timed exits; later ones go untimed until the next
    /// snapshot.
    func monitorStarted() {
        running.withLock { count in
            count += 1
            if count == 1 { exitWatermark.store(now(), ordering: .relaxed) }
        }
    }

    /// A monitor is about to read the lanes: every scope open now gets a timed exit. Call it
    /// before the read, so no scope the snapshot shows can end untimed.
    func monitorWillSnapshot() {
        running.withLock { count in
            guard count > 0 else { return }
            let now = now()
            if exitWatermark.load(ordering: .relaxed) < now { exitWatermark.store(now, ordering: .relaxed) }
        }
    }

    /// A monitor stopped; with none left, every exit is timed again.
    func monitorStopped() {
        running.withLock { count in
            count = max(0, count - 1)
            if count == 0 { exitWatermark.store(.max, ordering: .relaxed) }
        }
    }
}
