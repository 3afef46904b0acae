/// The monitor thread's body. Its mutable state (the snapshot buffers, the CPU tracker, the
/// stall tracker, the sequence number) is touched by that one thread only.
// @unchecked Sendable: handed to the monitor thread once; no other thread touches it after.
final class MonitorLoop: @unchecked Sendable {
    let monitor: ProcessMonitor
    let mailboxes: [ObserverMailbox]
    let started: UInt64
    var tracker: CPUTracker
    var stalls = StallTracker()
    var watch: HeartbeatWatch
    let snapshotter = Snapshotter()
    var sequence: UInt64 = 0

    init(monitor: ProcessMonitor, mailboxes: [ObserverMailbox], started: UInt64, tracker: CPUTracker) {
        self.monitor = monitor
        self.mailboxes = mailboxes
        self.started = started
        self.tracker = tracker
        self.watch = HeartbeatWatch(configuration: monitor.configuration)
        watch.inspector.threadBudget = monitor.control.withState { $0.inspectedThreadBudget }
    }

    func run() {
        nameCurrentThreadForOS("process-monitor")
        ScopeClock.shared.monitorStarted()
        defer { ScopeClock.shared.monitorStopped() }
        let control = monitor.control
        let interval = UInt64(max(1, monitor.configuration.interval.wholeNanoseconds))
        // Beats land on whole intervals after start, on the monitor's own clock, the one that
        // also measures their elapsed time.
        var deadline = started.adding(saturating: monitor.configuration.interval)
        while true {
            let (stop, requested) = waitForWork(until: deadline)
            let trigger: Heartbeat.Trigger
            if stop {
                trigger = .final
            } else if requested > 0 {
                trigger = .requested
            } else {
                trigger = .scheduled
                deadline = Self.deadline(after: deadline, interval: interval, now: monitor.clock.monotonicNanoseconds())
            }
            sequence += 1
            let heartbeat = monitor.makeHeartbeat(
                snapshotter: snapshotter, tracker: &tracker, stalls: &stalls, watch: &watch, started: started,
                sequence: sequence, trigger: trigger
            )
            if let warning = StallThreshold.takeRejectionWarning() { monitor.report(warning) }
            // A hand-off, not a call: each observer has its own thread and queue.
            for mailbox in mailboxes { mailbox.post(heartbeat) }
            control.handedOff(heartbeat, served: requested, final: stop)
            if stop {
                for mailbox in mailboxes { mailbox.close() }
                // Waits for slow observers here, on the monitor's own thread, so that
                // `stop(timeout:)` can give up waiting while delivery still completes.
                for mailbox in mailboxes { _ = mailbox.waitUntilFinished() }
                control.stopped()
                return
            }
        }
    }

    /// Waits for a request, a stop, or the monitor's clock reaching `deadline`; `(false, 0)`
    /// means the deadline came. Requests and stops go first, as they are never late.
    func waitForWork(until deadline: UInt64) -> (stop: Bool, requested: UInt64) {
        let control = monitor.control
        let clock = monitor.clock
        while true {
            let due = clock.monotonicNanoseconds() >= deadline
            let pause = due ? .zero : clock.scheduleWakeUp(at: deadline) { [weak control] in control?.clockDidMove() }
            let work = control.waitForWork(pause: pause)
            if work.stop || work.requested > 0 || due { return work }
        }
    }

    /// The next scheduled beat after the one due at `deadline`: one interval later, or, when the
    /// clock has jumped past that (a suspended machine or process), the first whole interval
    /// after `now`, so a wake-up never fires a burst of beats to catch up.
    static func deadline(after deadline: UInt64, interval: UInt64, now: UInt64) -> UInt64 {
        let next = deadline.addingReportingOverflow(interval)
        guard !next.overflow else { return .max }
        guard next.partialValue <= now else { return next.partialValue }
        let missed = (now - next.partialValue) / interval + 1
        let product = missed.multipliedReportingOverflow(by: interval)
        let skipped = next.partialValue.addingReportingOverflow(product.partialValue)
        return product.overflow || skipped.overflow ? .max : skipped.partialValue
    }
}
