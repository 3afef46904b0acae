import ExampleSupport
import Foundation
import Logging
import ProcessMonitor
import ProcessMonitorIntegrations

// Heartbeats into swift-log as structured events: one event per heartbeat, `.warning` when it
// carries a stall, its figures as metadata under the JSON Lines key names (`rss_bytes`,
// `cpu_cores`, `stalls`, `active_label`, …) instead of one line of text. Any LogHandler gets
// them; StreamLogHandler prints them as `key=value` pairs:
//
//   2026-12-02T08:27:07+0000 warning heartbeat: active_age_s=0.408 active_label=slow step …
//     rss_bytes=22245376 seq=2 stall_threshold_s=0.300 stalls=[["label": "slow step",
//     "stuck_s": "0.408", "thread": "ThreadId(1)/main"]] trigger=scheduled …
//     [process-monitor] heartbeat: stall
_ = ExampleArguments.parse(usage: """
    usage: SwiftLogBridge
    Runs a short job with a stalling step and logs one structured swift-log event per heartbeat
    on stdout (a warning while the step is stalled).
    """)
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardOutput(label: label)
    handler.logLevel = .info
    return handler
}

let monitor = try ProcessMonitor.start(
    configuration: try MonitorConfiguration(interval: .milliseconds(200), stallThreshold: .milliseconds(300)),
    observers: [LoggerHeartbeatObserver(logger: Logger(label: "heartbeat"))]
)
withScope("example job") {
    // Stuck for 800 ms before its counter first moves: a scope whose counter moves within the
    // 300 ms threshold is alive, not stalled, so the heartbeats at about 400 and 600 ms see a
    // stall, and the later ones a step that is moving again.
    withScope("slow step", total: 4) { progress in
        usleep(800_000)
        for _ in 0..<4 {
            progress.increment()
            usleep(100_000)
        }
    }
}
monitor.stop()
