import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The heartbeat loop: every interval (and on demand) it snapshots every scope lane, samples
/// the process, builds a ``Heartbeat`` and hands it to the observers.
///
/// The monitor runs on a thread of its own. Scopes never wait for it: it copies the list of
/// lanes under a short lock, reads each lane without one, and calls observers with no lock held.
/// An observer that throws is reported once on stderr and skipped for that heartbeat; the
/// others and the monitor carry on.
///
/// ```swift
/// let monitor = try ProcessMonitor.start(
///     configuration: MonitorConfiguration(interval: .seconds(30)),
///     observers: [HeartbeatExporter(format: TextFormat(), sink: StandardStreamSink.standardError)]
/// )
/// defer { monitor.stop() }  // emits a final heartbeat and waits until it is delivered
/// try await runJob()
/// ```
public final class ProcessMonitor: Sendable {
    /// The validated configuration.
    public let configuration: MonitorConfiguration
    private let observers: [any HeartbeatObserver]
    private let clock: any MonitorClock
    private let sampler: any ProcessSampler
    private let registry: LaneRegistry
    fileprivate let control: MonitorControl

    /// Creates a monitor without starting it.
    ///
    /// Inject `clock` and `sampler` to make heartbeats deterministic in tests.
    ///
    /// ```swift
    /// let monitor = try ProcessMonitor(configuration: .init(interval: .seconds(5)), observers: [observer])
    /// try monitor.start()
    /// ```
    public init(
        configuration: MonitorConfiguration = MonitorConfiguration(),
        observers: [any HeartbeatObserver],
        clock: any MonitorClock = SystemMonitorClock(),
        sampler: any ProcessSampler = ProcSelfSampler()
    ) throws(MonitorError) {
        try configuration.validate()
        self.configuration = configuration
        self.observers = observers
        self.clock = clock
        self.sampler = sampler
        self.registry = .shared
        self.control = MonitorControl()
    }

    /// Creates and starts a monitor in one step.
    ///
    /// ```swift
    /// let monitor = try ProcessMonitor.start(observers: [exporter])
    /// ```
    @discardableResult
    public static func start(
        configuration: MonitorConfiguration = MonitorConfiguration(),
        observers: [any HeartbeatObserver]
    ) throws(MonitorError) -> ProcessMonitor {
        let monitor = try ProcessMonitor(configuration: configuration, observers: observers)
        try monitor.start()
        return monitor
    }

    /// Starts the heartbeat thread. Throws ``MonitorError/Code/alreadyRunning`` if it runs.
    ///
    /// The CPU baseline is taken here, so the first heartbeat already reports cores busy.
    ///
    /// ```swift
    /// try monitor.start()
    /// ```
    public func start() throws(MonitorError) {
        let previous = control.state.withLock { state -> MonitorControl.Phase in
            defer { if state.phase == .idle { state.phase = .running } }
            return state.phase
        }
        switch previous {
        case .idle: break
        case .running:
            throw MonitorError(code: .alreadyRunning, message: "the monitor is already running")
        case .stopped:
            throw MonitorError(code: .alreadyRunning, message: "the monitor was stopped; create a new one to start again")
        }
        let started = clock.monotonicNanoseconds()
        let origin = monotonicPrecise()
        let baseline = sampler.sample()
        var tracker = CPUTracker()
        _ = tracker.update(cpuTime: baseline.cpuTime, now: started, availableCores: baseline.availableCores)
        let loop = MonitorLoop(monitor: self, started: started, origin: origin, tracker: tracker)
        let thread = Thread { loop.run() }
        thread.name = "process-monitor"
        thread.start()
    }

    /// Produces a heartbeat now, delivers it to every observer, and returns it.
    ///
    /// Returns `nil` when the monitor is not running, or when called from an observer (the
    /// monitor's own thread cannot wait for itself).
    ///
    /// ```swift
    /// // A heartbeat on demand with `kill -USR1 <pid>` (never call it from a raw signal handler).
    /// signal(SIGUSR1, SIG_IGN)
    /// let source = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: .global())
    /// source.setEventHandler { monitor.emitNow() }
    /// source.resume()
    /// ```
    @discardableResult
    public func emitNow() -> Heartbeat? {
        guard !control.isMonitorThread else { return nil }
        return control.state.withLock { state -> UInt64? in
            guard state.phase == .running else { return nil }
            state.requestsMade += 1
            control.wake()
            return state.requestsMade
        }.flatMap { ticket in
            control.wait { state in
                state.requestsServed >= ticket || state.phase != .running ? state.lastHeartbeat : nil
            }
        }
    }

    /// Stops the monitor: emits a final heartbeat, delivers it, tells every observer to flush
    /// and close, and returns once all of that is done. Safe to call more than once.
    ///
    /// Called from an observer, it asks the loop to stop and returns without waiting.
    ///
    /// ```swift
    /// defer { monitor.stop() }
    /// ```
    public func stop() {
        _ = stop(waitingAtMost: nil)
    }

    /// Like ``stop()``, but waits at most `timeout` for the final heartbeat to be delivered.
    ///
    /// Returns `false` if an observer is still busy when the time is up (a sink blocked on a
    /// full pipe or a hung network mount, say); the monitor then finishes in the background
    /// whenever the observer returns. Use it on shutdown paths that must not hang.
    ///
    /// ```swift
    /// if !monitor.stop(timeout: .seconds(5)) {
    ///     print("heartbeat exporter still busy; exiting anyway")
    /// }
    /// ```
    @discardableResult
    public func stop(timeout: Duration) -> Bool {
        stop(waitingAtMost: max(.zero, timeout))
    }

    private func stop(waitingAtMost timeout: Duration?) -> Bool {
        let wasRunning = control.state.withLock { state -> Bool in
            guard state.phase == .running else { return false }
            state.stopRequested = true
            control.wake()
            return true
        }
        // Not running: nothing to deliver. From an observer: the loop stops once it returns,
        // so the final heartbeat cannot have been delivered yet.
        guard wasRunning else { return true }
        guard !control.isMonitorThread else { return false }
        let deadline = timeout.map { monotonicPrecise() + UInt64($0.wholeMilliseconds) * 1_000_000 }
        return control.wait(until: deadline) { state in state.phase == .stopped ? true : nil } ?? false
    }

    /// Whether the heartbeat thread is running.
    ///
    /// ```swift
    /// if !monitor.isRunning { try monitor.start() }
    /// ```
    public var isRunning: Bool { control.state.withLock { $0.phase == .running } }

    /// How many times an observer threw, over the monitor's life.
    ///
    /// ```swift
    /// assert(monitor.observerFailures == 0)
    /// ```
    public var observerFailures: Int { control.state.withLock { $0.observerFailures } }

    // MARK: The loop (monitor thread only)

    fileprivate func makeHeartbeat(
        snapshotter: Snapshotter,
        tracker: inout CPUTracker,
        started: UInt64,
        sequence: UInt64,
        trigger: Heartbeat.Trigger
    ) -> Heartbeat {
        // Sample before the snapshot: a slow `/proc` read must not age the lanes' view.
        let sample = sampler.sample()
        let now = clock.monotonicNanoseconds()
        let cpu = tracker.update(cpuTime: sample.cpuTime, now: now, availableCores: sample.availableCores)
        let snapshot = snapshotter.take()
        return HeartbeatBuilder.build(
            HeartbeatInputs(
                snapshot: snapshot,
                sample: sample,
                cpu: cpu,
                now: now,
                started: started,
                timestamp: clock.now(),
                sequence: sequence,
                trigger: trigger,
                processID: getpid(),
                configuration: configuration
            )
        )
    }

    fileprivate func deliver(_ heartbeat: Heartbeat) {
        for (index, observer) in observers.enumerated() {
            do {
                try observer.observe(heartbeat)
            } catch {
                let first = control.state.withLock { state -> Bool in
                    state.observerFailures += 1
                    return state.failedObservers.insert(index).inserted
                }
                if first {
                    reportToStandardError(
                        "[process-monitor] observer #\(index + 1) (\(type(of: observer))) threw: \(error); "
                            + "further failures of it are counted, not printed\n"
                    )
                }
            }
        }
    }

    fileprivate func finish() {
        for observer in observers { observer.monitorDidStop() }
    }

}

/// The monitor thread's body. Its mutable state (the snapshot buffers, the CPU tracker, the
/// sequence number) is touched by that one thread only.
// @unchecked Sendable: handed to the monitor thread once; no other thread touches it after.
private final class MonitorLoop: @unchecked Sendable {
    let monitor: ProcessMonitor
    let started: UInt64
    let origin: UInt64
    var tracker: CPUTracker
    let snapshotter = Snapshotter()
    var sequence: UInt64 = 0

    init(monitor: ProcessMonitor, started: UInt64, origin: UInt64, tracker: CPUTracker) {
        self.monitor = monitor
        self.started = started
        self.origin = origin
        self.tracker = tracker
    }

    func run() {
        let control = monitor.control
        control.markMonitorThread()
        let interval = UInt64(monitor.configuration.interval.wholeMilliseconds) * 1_000_000
        // Beats land on whole intervals after start, plus a few milliseconds: the coarse clock
        // that ages are measured on lags the precise one by up to a tick, and without the slack
        // a beat at 2 s would read `elapsed=1s`.
        let slack: UInt64 = 5_000_000
        var deadline = origin + interval + slack
        while true {
            let (stop, requested) = control.waitForWork(deadline: deadline)
            let trigger: Heartbeat.Trigger
            if stop {
                trigger = .final
            } else if requested > 0 {
                trigger = .requested
            } else {
                trigger = .scheduled
                let now = monotonicPrecise()
                deadline += interval
                // After a long observer or a suspended machine, do not fire a burst to catch up:
                // skip to the next whole interval.
                if deadline <= now {
                    let missed = (now - deadline) / interval + 1
                    deadline += missed * interval
                }
            }
            sequence += 1
            let heartbeat = monitor.makeHeartbeat(
                snapshotter: snapshotter, tracker: &tracker, started: started,
                sequence: sequence, trigger: trigger
            )
            monitor.deliver(heartbeat)
            if stop {
                monitor.finish()
                control.state.withLock { state in
                    state.lastHeartbeat = heartbeat
                    state.requestsServed = state.requestsMade
                    state.phase = .stopped
                }
                control.broadcastDone()
                return
            }
            control.state.withLock { state in
                state.lastHeartbeat = heartbeat
                state.requestsServed += requested
            }
            control.broadcastDone()
        }
    }
}

/// Shared state between callers (`emitNow`, `stop`) and the monitor thread, with a condition
/// variable each way.
// @unchecked Sendable: every stored property is either immutable or the pthread objects whose
// purpose is cross-thread signalling; `state` is only touched under `lock`.
private final class MonitorControl: @unchecked Sendable {
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

private func pthreadSelfBits() -> UInt {
    #if os(Linux)
    return UInt(pthread_self())
    #else
    return UInt(bitPattern: pthread_self())
    #endif
}

/// The precise monotonic clock, for the loop's deadlines (condition variables wait on it).
private func monotonicPrecise() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Writes a diagnostic straight to fd 2 with one `write`, bypassing any buffering, so it
/// cannot interleave with or be lost behind the host's own output.
func reportToStandardError(_ message: String) {
    var message = message
    message.withUTF8 { bytes in
        _ = write(2, bytes.baseAddress, bytes.count)
    }
}
