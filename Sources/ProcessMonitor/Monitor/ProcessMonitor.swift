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
        _ = tracker.update(baseline, now: started)
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
        let deadline = timeout.map { monotonicPrecise().adding(saturating: $0) }
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

    func makeHeartbeat(
        snapshotter: Snapshotter,
        tracker: inout CPUTracker,
        started: UInt64,
        sequence: UInt64,
        trigger: Heartbeat.Trigger
    ) -> Heartbeat {
        // Sample before the snapshot: a slow `/proc` read must not age the lanes' view.
        let sample = sampler.sample()
        let now = clock.monotonicNanoseconds()
        let cpu = tracker.update(sample, now: now)
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

    func deliver(_ heartbeat: Heartbeat) {
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

    func finish() {
        for observer in observers { observer.monitorDidStop() }
    }

}
