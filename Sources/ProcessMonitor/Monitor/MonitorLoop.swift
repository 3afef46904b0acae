/// The monitor thread's body. Its mutable state (the snapshot buffers, the CPU tracker, the
/// stall tracker, the sequence number) is touched by that one thread only.
// @unchecked Sendable: handed to the monitor thread once; no other thread touches it after.
final class MonitorLoop: @unchecked Sendable {
    let monitor: ProcessMonitor
    let mailboxes: [ObserverMailbox]
    let started: UInt64
    let origin: UInt64
    var tracker: CPUTracker
    var stalls = StallTracker()
    var watch: HeartbeatWatch
    let snapshotter = Snapshotter()
    var sequence: UInt64 = 0
    /// Whether the once-only warning about rejected per-scope thresholds went out.
    var warnedAboutThresholds = false

    init(monitor: ProcessMonitor, mailboxes: [ObserverMailbox], started: UInt64, origin: UInt64, tracker: CPUTracker) {
        self.monitor = monitor
        self.mailboxes = mailboxes
        self.started = started
        self.origin = origin
        self.tracker = tracker
        self.watch = HeartbeatWatch(configuration: monitor.configuration)
    }

    func run() {
        nameCurrentThreadForOS("process-monitor")
        let control = monitor.control
        let interval = UInt64(max(1, monitor.configuration.interval.wholeNanoseconds))
        // Beats land on whole intervals after start, plus a few milliseconds: the coarse clock
        // that ages are measured on lags the precise one by up to a tick, and without the slack
        // a beat at 2 s would read `elapsed=1s`.
        let slack: UInt64 = 5_000_000
        var deadline = origin.addingReportingOverflow(interval + slack).overflow ? .max : origin + interval + slack
        while true {
            let (stop, requested) = control.waitForWork(deadline: deadline)
            let trigger: Heartbeat.Trigger
            if stop {
                trigger = .final
            } else if requested > 0 {
                trigger = .requested
            } else {
                trigger = .scheduled
                // After a suspended machine, do not fire a burst to catch up: skip to the next
                // whole interval.
                let now = monotonicPrecise()
                let next = deadline.addingReportingOverflow(interval)
                deadline = next.overflow ? .max : next.partialValue
                if deadline <= now {
                    let missed = (now - deadline) / interval + 1
                    let skipped = deadline.addingReportingOverflow(missed.multipliedReportingOverflow(by: interval).partialValue)
                    deadline = skipped.overflow ? .max : skipped.partialValue
                }
            }
            sequence += 1
            let heartbeat = monitor.makeHeartbeat(
                snapshotter: snapshotter, tracker: &tracker, stalls: &stalls, watch: &watch, started: started,
                sequence: sequence, trigger: trigger
            )
            if !warnedAboutThresholds, StallThreshold.rejectedCount > 0 {
                warnedAboutThresholds = true
                monitor.report(
                    "[process-monitor] \(StallThreshold.rejectedCount) scope(s) gave a stall threshold out of range "
                        + "(zero, negative or over 365 days); they use the monitor's (reported once)\n"
                )
            }
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
}
