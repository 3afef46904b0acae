/// What callers (`emitNow`, `stop`, `run`) and the monitor thread share: the monitor's phase,
/// pending requests, the last heartbeat, and a condition variable each way.
// @unchecked Sendable: `state` is only read or written while `lock` is held; the rest is
// immutable or is the pthread objects whose purpose is cross-thread signalling.
final class MonitorControl: @unchecked Sendable {
    enum Phase { case idle, running, stopped }

    struct State {
        var phase: Phase = .idle
        var stopRequested = false
        var requestsMade: UInt64 = 0
        var requestsServed: UInt64 = 0
        /// The monitor's clock moved by itself (a test clock's advance): look at it again.
        var clockMoved = false
        var lastHeartbeat: Heartbeat?
        var observerFailures = 0
        var failedObservers: Set<Int> = []
        /// `run()` callers waiting for someone to ask the monitor to stop.
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
        /// Each observer's queue and thread, from `start()` on.
        var mailboxes: [ObserverMailbox] = []
        /// Test seam: runs inside `run()` once the monitor is started, before `run()` waits for
        /// a stop request, so a test can stop the monitor in exactly that window.
        var runDidStart: (@Sendable () async -> Void)?
        /// Where the monitor's own warnings go: stderr, unless redirected before start.
        var report: @Sendable (String) -> Void = reportToStandardError
        /// Test seam: stalled threads read per heartbeat (``StallInspector/threadBudget``).
        var inspectedThreadBudget = StallInspector.maxInspectedThreads
    }

    private let lock = PosixLock()
    /// Signalled for the monitor thread: a request, a stop.
    private let work = PosixCondition()
    /// Broadcast by the monitor thread after each heartbeat and when it has stopped.
    private let done = PosixCondition()
    private var state = State()

    func withState<T>(_ body: (inout State) -> T) -> T {
        lock.withLock { body(&state) }
    }

    /// Asks the loop to emit its final heartbeat and stop; wakes `run()` callers. Returns
    /// whether the monitor was running.
    func requestStop() -> Bool {
        let (wasRunning, waiters) = lock.withLock { () -> (Bool, [CheckedContinuation<Void, Never>]) in
            guard state.phase == .running else { return (false, []) }
            state.stopRequested = true
            work.signal()
            defer { state.stopWaiters.removeAll() }
            return (true, state.stopWaiters)
        }
        for waiter in waiters { waiter.resume() }
        return wasRunning
    }

    /// Asks for a heartbeat now; the ticket to wait for, or `nil` when not running.
    func request() -> UInt64? {
        lock.withLock {
            guard state.phase == .running, !state.stopRequested else { return nil }
            state.requestsMade += 1
            work.signal()
            return state.requestsMade
        }
    }

    /// Suspends until someone asks the monitor to stop (or it is not running).
    func waitForStopRequest() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waiting = lock.withLock { () -> Bool in
                guard state.phase == .running, !state.stopRequested else { return false }
                state.stopWaiters.append(continuation)
                return true
            }
            if !waiting { continuation.resume() }
        }
    }

    /// Called by the monitor thread once a heartbeat is handed to every observer: the
    /// `emitNow()` calls it answers return it. The final heartbeat answers every pending call,
    /// before the loop waits for observers to finish: one of them may be waiting here.
    func handedOff(_ heartbeat: Heartbeat, served requests: UInt64, final: Bool) {
        lock.withLock {
            state.lastHeartbeat = heartbeat
            state.requestsServed = final ? state.requestsMade : state.requestsServed + requests
            done.broadcast()
        }
    }

    /// Called by the monitor thread once every observer has the final heartbeat and has stopped.
    func stopped() {
        lock.withLock {
            state.phase = .stopped
            // The observers are done: let them (and their sinks) go with the mailboxes, even
            // while the caller keeps the monitor.
            state.mailboxes = []
            done.broadcast()
        }
    }

    /// Waits until `ready` returns a value, rechecking each time the monitor finishes a beat;
    /// `nil` if the monitor never started or `deadline` (precise monotonic ns) passed first.
    func wait<T>(until deadline: UInt64? = nil, _ ready: (State) -> T?) -> T? {
        lock.withLock {
            while true {
                if let value = ready(state) { return value }
                if state.phase == .idle { return nil }
                if let deadline, monotonicPrecise() >= deadline { return nil }
                done.wait(lock, until: deadline)
            }
        }
    }

    /// Blocks the monitor thread until a request, a stop, a move of its clock, or the end of
    /// `pause` (real time; `nil`: no end), whichever comes first. The caller then reads its
    /// clock again: an early return (a spurious wake-up) only costs it that.
    func waitForWork(pause: Duration?) -> (stop: Bool, requested: UInt64) {
        lock.withLock {
            var waited = false
            while true {
                let pending = state.requestsMade - state.requestsServed
                if state.stopRequested { return (true, pending) }
                if pending > 0 { return (false, pending) }
                if state.clockMoved {
                    state.clockMoved = false
                    return (false, 0)
                }
                if waited { return (false, 0) }
                if let pause {
                    guard pause > .zero else { return (false, 0) }
                    work.wait(lock, for: pause)
                } else {
                    work.wait(lock)
                }
                waited = true
            }
        }
    }

    /// Wakes the monitor thread to look at its clock again (see `MonitorClock.scheduleWakeUp`).
    func clockDidMove() {
        lock.withLock {
            state.clockMoved = true
            work.signal()
        }
    }
}

extension MonitorControl {
    /// Counts an observer's failure; the first of each observer is reported.
    func recordFailure(of observer: any HeartbeatObserver, at index: Int, _ error: any Error) {
        let (first, report) = withState { state -> (Bool, @Sendable (String) -> Void) in
            state.observerFailures += 1
            return (state.failedObservers.insert(index).inserted, state.report)
        }
        if first {
            report(
                "[process-monitor] observer #\(index + 1) (\(type(of: observer))) threw: \(error); "
                    + "further failures of it are counted, not printed\n"
            )
        }
    }

    /// Whether the calling thread delivers heartbeats to an observer.
    var isObserverThread: Bool {
        withState { $0.mailboxes }.contains { $0.isCurrentThread }
    }
}
