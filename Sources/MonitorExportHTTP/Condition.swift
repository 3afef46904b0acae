#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ProcessMonitor

/// A condition variable paired with a ``PosixLock``, timed on the monotonic clock so a change
/// of the wall clock cannot stretch or cut a wait.
// @unchecked Sendable: the only stored state is the pthread condition, which exists to be
// shared between threads; every wait and signal happens with the paired lock held.
final class Condition: @unchecked Sendable {
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if os(Linux)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    /// Wakes every waiter. Call with `lock` held.
    func broadcast() { pthread_cond_broadcast(condition) }

    /// Waits until woken. Call with `lock` held; it is held again on return.
    func wait(_ lock: PosixLock) { pthread_cond_wait(condition, lock.raw) }

    /// Waits until woken or until `nanoseconds` have passed. Call with `lock` held.
    func wait(_ lock: PosixLock, nanoseconds: UInt64) {
        #if os(Linux)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        // Capped at a day per wait: callers loop, and a huge value must not overflow tv_sec.
        let capped = min(nanoseconds, 86_400 * 1_000_000_000)
        let total = UInt64(now.tv_nsec) + capped % 1_000_000_000
        var deadline = timespec(
            tv_sec: now.tv_sec + Int(capped / 1_000_000_000) + Int(total / 1_000_000_000),
            tv_nsec: Int(total % 1_000_000_000)
        )
        pthread_cond_timedwait(condition, lock.raw, &deadline)
        #else
        var relative = timespec(tv_sec: Int(min(nanoseconds, 86_400 * 1_000_000_000) / 1_000_000_000),
                                tv_nsec: Int(nanoseconds % 1_000_000_000))
        pthread_cond_timedwait_relative_np(condition, lock.raw, &relative)
        #endif
    }
}

extension Duration {
    /// Whole nanoseconds, 0 when negative, saturated at `Int64.max`.
    var clampedNanoseconds: UInt64 { UInt64(max(0, wholeNanoseconds)) }

    /// Seconds as a `Double`, for Foundation APIs and messages.
    var asSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
