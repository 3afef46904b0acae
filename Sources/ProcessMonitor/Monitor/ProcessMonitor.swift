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
/// lanes under a short lock and reads each lane without one. Each observer gets the heartbeat
/// through a bounded queue and a delivery thread of its own, so a slow or blocked observer
/// delays neither the schedule nor any other observer (see ``HeartbeatObserver``). An observer
/// that throws is reported once on stderr and skipped for that heartbeat; the others and the
/// monitor carry on.
///
/// ```swift
/// let monitor = try ProcessMonitor.start(
///     configuration: MonitorConfiguration(interval: .seconds(30)),
///     observers: [HeartbeatExporter(format: TextFormat(), sink: StandardStreamSink.standardError)]
/// )
/// try await runJob()
/// await monitor.shutdown()  // emits a final heartbeat and waits until it is delivered
/// ```
public final class ProcessMonitor: Sendable {
    /// The validated configuration.
    public let configuration: MonitorConfiguration
    private let observers: [any HeartbeatObserver]
    let clock: any MonitorClock
    private let sampler: any ProcessSampler
    private let registry: LaneRegistry
    let control: MonitorControl

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
    @discardableResult
    public static func start(
        configuration: MonitorConfiguration = MonitorConfiguration(),
        observers: [any HeartbeatObserver]
    ) throws(MonitorError) -> ProcessMonitor {
        let monitor = try ProcessMonitor(configuration: configuration, observers: observers)
        try monitor.start()
        return monitor
    }

    /// Starts the heartbeat thread and one delivery thread per observer. Throws
    /// ``MonitorError/Code/alreadyRunning`` if it runs or has run.
    ///
    /// The CPU baseline is taken here, so the first heartbeat already reports cores busy.
    public func start() throws(MonitorError) {
        guard configuration.isEnabled else { return }
        switch startIfIdle() {
        case .idle: return
        case .running:
            throw MonitorError(code: .alreadyRunning, message: "the monitor is already running")
        case .stopped:
            throw MonitorError(code: .alreadyRunning, message: "the monitor was stopped; create a new one to start again")
        }
    }

    /// Starts the threads if the monitor is idle, deciding that under the control lock so two
    /// callers never both start it; returns the phase the monitor was in before.
    private func startIfIdle() -> MonitorControl.Phase {
        let previous = control.withState { state -> MonitorControl.Phase in
            defer { if state.phase == .idle { state.phase = .running } }
            return state.phase
        }
        guard previous == .idle else { return previous }
        let started = clock.monotonicNanoseconds()
        let baseline = sampler.sample()
        var tracker = CPUTracker()
        _ = tracker.update(baseline, now: started)
        let mailboxes = observers.enumerated().map { index, observer in
            // Weak: the control object holds the mailboxes, so a strong capture here would keep
            // both (and every observer) alive after stop.
            ObserverMailbox(observer: observer, index: index) { [weak control] index, observer, error in
                control?.recordFailure(of: observer, at: index, error)
            }
        }
        control.withState { $0.mailboxes = mailboxes }
        for mailbox in mailboxes { mailbox.start() }
        let loop = MonitorLoop(monitor: self, mailboxes: mailboxes, started: started, tracker: tracker)
        let thread = Thread { loop.run() }
        thread.name = "process-monitor"
        thread.start()
        return .idle
    }

    /// Produces a heartbeat now, hands it to every observer's queue, and returns it.
    ///
    /// Returns once the heartbeat is built and handed off (a few milliseconds: one `/proc`
    /// sample and one snapshot), not when observers have written it, so a blocked sink never
    /// blocks the caller. `nil` when the monitor is not running. From `async` code, use
    /// `await monitor.emit()`.
    ///
    /// For a heartbeat on `kill -USR1 <pid>`, use ``emitOnSignal(_:)``: never call this from a raw
    /// signal handler.
    @available(*, noasync, message: "blocks a thread until the heartbeat is built; use await emit()")
    @discardableResult
    public func emitNow() -> Heartbeat? {
        blockingEmitNow()
    }

    /// Produces a heartbeat now and returns it once it is handed to every observer; the
    /// `async` form of `emitNow()`, which suspends instead of blocking a thread. (A name of its
    /// own: with two `emitNow()`s, top-level code in `main.swift` would pick the blocking one.)
    @discardableResult
    public func emit() async -> Heartbeat? {
        await offloaded { $0.blockingEmitNow() }
    }

    private func blockingEmitNow() -> Heartbeat? {
        guard let ticket = control.request() else { return nil }
        return control.wait { state in
            state.requestsServed >= ticket || state.phase != .running ? state.lastHeartbeat : nil
        }
    }

    /// Stops the monitor: emits a final heartbeat, waits until every observer has it, has
    /// flushed and closed, and returns. Safe to call more than once.
    ///
    /// Called from inside an observer, it asks the monitor to stop and returns without waiting
    /// (the final heartbeat cannot be delivered while that observer is busy). From `async`
    /// code, use `await monitor.shutdown()`.
    ///
    /// ```swift
    /// defer { monitor.stop() }
    /// try runBatch()
    /// ```
    @available(*, noasync, message: "blocks a thread until observers finish; use await shutdown()")
    public func stop() {
        _ = blockingStop(waitingAtMost: nil)
    }

    /// Like `stop()`, but waits at most `timeout` for the final heartbeat to be
    /// delivered.
    ///
    /// Returns `false` if an observer is still busy when the time is up (a sink blocked on a
    /// full pipe or a hung network mount, say); the monitor then finishes in the background
    /// whenever the observer returns. Use it on shutdown paths that must not hang. A negative
    /// timeout counts as zero and a huge one as "wait for ever"; no value traps.
    ///
    /// ```swift
    /// if !monitor.stop(timeout: .seconds(5)) {
    ///     print("heartbeat exporter still busy; exiting anyway")
    /// }
    /// ```
    @available(*, noasync, message: "blocks a thread until observers finish; use await shutdown(timeout:)")
    @discardableResult
    public func stop(timeout: Duration) -> Bool {
        blockingStop(waitingAtMost: timeout)
    }

    /// Stops the monitor and returns once every observer has the final heartbeat and has
    /// closed; the `async` form of `stop()`, which suspends instead of blocking a thread. (A
    /// name of its own: with two `stop()`s, top-level code in `main.swift` would pick the
    /// blocking one.)
    public func shutdown() async {
        _ = await offloaded { $0.blockingStop(waitingAtMost: nil) }
    }

    /// Like `await shutdown()`, but waits at most `timeout`; `false` if an observer was still busy.
    @discardableResult
    public func shutdown(timeout: Duration) async -> Bool {
        await offloaded { $0.blockingStop(waitingAtMost: timeout) }
    }

    /// Runs the monitor until the calling task is cancelled (or someone calls `stop`), then
    /// emits the final heartbeat and returns once observers have it: the shape of
    /// swift-service-lifecycle's `Service.run()`. Starts the monitor if it is not running yet.
    ///
    /// A `ServiceGroup` ends services on SIGTERM by *graceful shutdown*, which cancels nothing:
    /// wrap the call in `cancelWhenGracefulShutdown { try await monitor.run() }` (as
    /// `Examples/`'s `ProcessMonitorService` does), or let the group cancel on the signal
    /// (`cancellationSignals`), where `extension ProcessMonitor: @retroactive Service {}` is
    /// enough.
    ///
    /// - Throws: ``MonitorError`` with ``MonitorError/Code/alreadyRunning`` when the monitor
    ///   was already stopped when `run()` was called. A stop that comes at any time after the
    ///   call (even before `run()` has started the monitor's threads) makes it return normally.
    ///
    /// ```swift
    /// let task = Task { try await monitor.run() }
    /// // ... on shutdown:
    /// task.cancel()
    /// try await task.value  // the final heartbeat has been delivered
    /// ```
    public func run() async throws {
        guard configuration.isEnabled else {
            // Disabled: nothing to run, but a service group still expects run() to last.
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            return
        }
        // One decision, under the lock: a monitor that this call started, or that was already
        // running, may be stopped by someone else at any moment from here on, and run() then
        // returns; only a monitor stopped before the call is an error.
        if startIfIdle() == .stopped {
            throw MonitorError(code: .alreadyRunning, message: "the monitor was stopped; create a new one to run again")
        }
        if let hook = control.withState({ $0.runDidStart }) { await hook() }
        await withTaskCancellationHandler {
            await control.waitForStopRequest()
        } onCancel: {
            _ = control.requestStop()
        }
        await shutdown()
    }

    private func blockingStop(waitingAtMost timeout: Duration?) -> Bool {
        _ = control.requestStop()
        // Never started, or already stopped: nothing to deliver.
        guard control.withState({ $0.phase == .running }) else { return true }
        // From an observer's own thread: the loop waits for that observer to finish, so
        // waiting here would never end.
        guard !control.isObserverThread else { return false }
        let deadline = timeout.map { monotonicPrecise().adding(saturating: $0) }
        return control.wait(until: deadline) { state in state.phase == .stopped ? true : nil } ?? false
    }

    /// Runs a blocking wait on a thread of its own and resumes the caller with its result, so
    /// `async` callers never block a thread of the cooperative pool.
    private func offloaded<T: Sendable>(_ body: @escaping @Sendable (ProcessMonitor) -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let thread = Thread { [self] in continuation.resume(returning: body(self)) }
            thread.name = "process-monitor-wait"
            thread.start()
        }
    }

    /// Sends the monitor's own warnings (an observer that threw, out-of-range thresholds),
    /// one line each with its newline, to `report` instead of stderr; for tests that trigger
    /// them on purpose. Call it before `start()`.
    package func reportWarnings(to report: @escaping @Sendable (String) -> Void) {
        control.withState { $0.report = report }
    }

    /// Reads what every stalled thread is doing, not only the oldest 64, for tests whose probe
    /// thread shares the process with other tests' stalled threads. Call it before `start()`.
    package func inspectEveryStalledThread() {
        control.withState { $0.inspectedThreadBudget = .max }
    }

    /// Passes one of the monitor's own warnings on, to stderr unless redirected.
    func report(_ message: String) {
        control.withState { $0.report }(message)
    }

    /// Whether the heartbeat thread is running.
    public var isRunning: Bool { control.withState { $0.phase == .running } }

    /// How many times an observer threw, over the monitor's life.
    public var observerFailures: Int { control.withState { $0.observerFailures } }

    // MARK: The loop (monitor thread only)

    func makeHeartbeat(
        snapshotter: Snapshotter,
        tracker: inout CPUTracker,
        stalls: inout StallTracker,
        watch: inout HeartbeatWatch,
        started: UInt64,
        sequence: UInt64,
        trigger: Heartbeat.Trigger
    ) -> Heartbeat {
        // Sample before the snapshot: a slow `/proc` read must not age the lanes' view.
        let sample = sampler.sample()
        let now = clock.monotonicNanoseconds()
        let cpu = tracker.update(sample, now: now)
        var snapshot = snapshotter.take()
        watch.progress.observe(&snapshot, now: now)
        let ends = stalls.ended(now: now) { scope in
            // Keys are lane addresses, and lanes are never freed.
            guard let pointer = UnsafeRawPointer(bitPattern: scope.key) else { return nil }
            return Unmanaged<Lane>.fromOpaque(pointer)._withUnsafeGuaranteedRef { $0.stallProbe(depth: scope.depth) }
        }
        var built = HeartbeatBuilder.build(
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
                configuration: configuration,
                stallEnds: ends
            )
        )
        watch.inspector.inspect(&built, snapshot: snapshot, now: now) { key in
            // Keys are lane addresses, and lanes are never freed.
            UnsafeRawPointer(bitPattern: key).map { Unmanaged<Lane>.fromOpaque($0).takeUnretainedValue() }
        }
        if let forecasts = watch.forecaster?.update(sample.resources, now: now) {
            built.heartbeat.forecasts = forecasts
        }
        stalls.record(built, snapshot: snapshot)
        snapshotter.recycle(snapshot)
        return built.heartbeat
    }

}
