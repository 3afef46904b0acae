#if canImport(Glibc)
package import Glibc
#elseif canImport(Musl)
package import Musl
#elseif canImport(Darwin)
package import Darwin
#endif

// Locking lives here. We use `pthread_mutex_t` instead of `Synchronization.Mutex` for the
// registry, the monitor's control state and the sinks: on this toolchain the thread sanitizer
// reports false races on data guarded by a contended `Mutex`, and the TSan run of the stress
// tests must stay clean. None of it is ever used on the scope hot path. As swift-log's
// `Locks.swift` does, return codes are checked in debug builds: a failure there is a bug in this
// file (a destroyed or foreign mutex), never something a caller's input can cause.

/// A `pthread_mutex_t` on the heap.
// @unchecked Sendable: the only stored state is the mutex, which exists to be shared between threads.
package final class PosixLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let rc = pthread_mutex_init(mutex, nil)
        assert(rc == 0, "pthread_mutex_init failed: \(rc)")
    }

    deinit {
        let rc = pthread_mutex_destroy(mutex)
        assert(rc == 0, "pthread_mutex_destroy failed: \(rc)")
        mutex.deallocate()
    }

    package func lock() {
        let rc = pthread_mutex_lock(mutex)
        assert(rc == 0, "pthread_mutex_lock failed: \(rc)")
    }

    package func unlock() {
        let rc = pthread_mutex_unlock(mutex)
        assert(rc == 0, "pthread_mutex_unlock failed: \(rc)")
    }

    package func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock()
        defer { unlock() }
        return try body()
    }

    /// The raw mutex, for a condition variable to wait on.
    package var raw: UnsafeMutablePointer<pthread_mutex_t> { mutex }
}

/// A `pthread_cond_t` on the heap that waits on the precise monotonic clock, so a deadline is
/// not moved by someone setting the wall clock.
// @unchecked Sendable: the only stored state is the condition, which exists to be shared.
package final class PosixCondition: @unchecked Sendable {
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    package init() {
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if os(Linux)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        let rc = pthread_cond_init(condition, &attributes)
        assert(rc == 0, "pthread_cond_init failed: \(rc)")
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        let rc = pthread_cond_destroy(condition)
        assert(rc == 0, "pthread_cond_destroy failed: \(rc)")
        condition.deallocate()
    }

    /// Wakes one waiter.
    package func signal() { pthread_cond_signal(condition) }

    /// Wakes every waiter.
    package func broadcast() { pthread_cond_broadcast(condition) }

    /// Waits (with `lock` held) until signalled or until `duration` has passed; a negative
    /// duration returns at once, a huge one waits as long as it takes.
    package func wait(_ lock: PosixLock, for duration: Duration) {
        wait(lock, until: monotonicPrecise().adding(saturating: duration))
    }

    /// Waits (with `lock` held) until signalled, or until `deadline` in precise monotonic
    /// nanoseconds when given. Spurious wake-ups happen: callers loop on their condition.
    package func wait(_ lock: PosixLock, until deadline: UInt64? = nil) {
        guard let deadline else {
            pthread_cond_wait(condition, lock.raw)
            return
        }
        #if os(Linux)
        var ts = timespec(tv_sec: Int(clamping: deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        pthread_cond_timedwait(condition, lock.raw, &ts)
        #else
        // One clock read: the remaining time cannot underflow, whatever happened since.
        let now = monotonicPrecise()
        let remaining = deadline > now ? deadline - now : 0
        var ts = timespec(tv_sec: Int(clamping: remaining / 1_000_000_000), tv_nsec: Int(remaining % 1_000_000_000))
        pthread_cond_timedwait_relative_np(condition, lock.raw, &ts)
        #endif
    }
}

/// A value guarded by a ``PosixLock``.
// @unchecked Sendable: `value` is only read or written inside `lock.withLock`.
package final class LockedValue<Value>: @unchecked Sendable {
    private let lock = PosixLock()
    private var value: Value

    package init(_ value: Value) { self.value = value }

    package func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        try lock.withLock { () throws(E) -> T in try body(&value) }
    }
}
