#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The monitor thread's body. Its mutable state (the snapshot buffers, the CPU tracker, the
/// sequence number) is touched by that one thread only.
// @unchecked Sendable: handed to the monitor thread once; no other thread touches it after.
final class MonitorLoop: @unchecked Sendable {
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
        let interval = UInt64(max(1, monitor.configuration.interval.wholeNanoseconds))
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
