#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A `pthread_mutex_t` on the heap.
///
/// We use it instead of `Synchronization.Mutex` for the registry and the sinks: on this
/// toolchain the thread sanitizer reports false races on data guarded by a contended `Mutex`,
/// and the TSan run of the stress tests must stay clean. It is never used on the scope hot path.
// @unchecked Sendable: the only stored state is the mutex, which exists to be shared between threads.
package final class PosixLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let rc = pthread_mutex_init(mutex, nil)
        precondition(rc == 0, "pthread_mutex_init failed: \(rc)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func lock() { pthread_mutex_lock(mutex) }
    package func unlock() { pthread_mutex_unlock(mutex) }

    package func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock()
        defer { unlock() }
        return try body()
    }

    /// The raw mutex, for a condition variable to wait on.
    package var raw: UnsafeMutablePointer<pthread_mutex_t> { mutex }
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
