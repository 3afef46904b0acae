#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Shared state between callers (`emitNow`, `stop`) and the monitor thread, with a condition
/// variable each way.
// @unchecked Sendable: every stored property is either immutable or the pthread objects whose
// purpose is cross-thread signalling; `state` is only touched under `lock`.
final class MonitorControl: @unchecked Sendable {
    enum Phase { case idle, running, stopped }

    struct State {
        var phase: Phase = .idle
        var stopRequested = false
        var requestsMade: UInt64 = 0
        var requestsServed: UInt64 = 0
        var lastHeartbeat: Heartbeat?
        var observerFailures = 0
        var failedObservers: Set<Int> = []
    }

    let lock = PosixLock()
    private var _state = State()
    private let workCondition: UnsafeMutablePointer<pthread_cond_t>
    private let doneCondition: UnsafeMutablePointer<pthread_cond_t>
    private let monitorThread = Atomic<UInt>(0)

    init() {
        workCondition = .allocate(capacity: 1)
        doneCondition = .allocate(capacity: 1)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if os(Linux)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(workCondition, &attributes)
        pthread_cond_init(doneCondition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(workCondition)
        pthread_cond_destroy(doneCondition)
        workCondition.deallocate()
        doneCondition.deallocate()
    }

    var state: StateAccess { StateAccess(control: self) }

    struct StateAccess {
        let control: MonitorControl
        func withLock<T>(_ body: (inout State) -> T) -> T {
            control.lock.withLock { body(&control._state) }
        }
    }

    /// Call with the lock held.
    func wake() { pthread_cond_signal(workCondition) }

    func broadcastDone() {
        lock.withLock { _ = pthread_cond_broadcast(doneCondition) }
    }

    func markMonitorThread() {
        monitorThread.store(pthreadSelfBits(), ordering: .relaxed)
    }

    var isMonitorThread: Bool {
        monitorThread.load(ordering: .relaxed) == UInt(pthreadSelfBits())
    }

    /// Waits until `ready` returns a value, rechecking each time the monitor finishes a beat;
    /// `nil` if the monitor never started or `deadline` (precise monotonic ns) passed first.
    func wait<T>(until deadline: UInt64? = nil, _ ready: (State) -> T?) -> T? {
        lock.withLock {
            while true {
                if let value = ready(_state) { return value }
                if _state.phase == .idle { return nil }
                guard let deadline else {
                    pthread_cond_wait(doneCondition, lock.raw)
                    continue
                }
                let now = monotonicPrecise()
                if now >= deadline { return nil }
                #if os(Linux)
                var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
                pthread_cond_timedwait(doneCondition, lock.raw, &ts)
                #else
                let remaining = deadline - now
                var ts = timespec(tv_sec: Int(remaining / 1_000_000_000), tv_nsec: Int(remaining % 1_000_000_000))
                pthread_cond_timedwait_relative_np(doneCondition, lock.raw, &ts)
                #endif
            }
        }
    }

    /// Blocks the monitor thread until the deadline, a request or a stop.
    func waitForWork(deadline: UInt64) -> (stop: Bool, requested: UInt64) {
        lock.withLock {
            while true {
                if _state.stopRequested { return (true, _state.requestsMade - _state.requestsServed) }
                let pending = _state.requestsMade - _state.requestsServed
                if pending > 0 { return (false, pending) }
                if monotonicPrecise() >= deadline { return (false, 0) }
                #if os(Linux)
                var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
                pthread_cond_timedwait(workCondition, lock.raw, &ts)
                #else
                let remaining = deadline - monotonicPrecise()
                var ts = timespec(tv_sec: Int(remaining / 1_000_000_000), tv_nsec: Int(remaining % 1_000_000_000))
                pthread_cond_timedwait_relative_np(workCondition, lock.raw, &ts)
                #endif
            }
        }
    }
}
