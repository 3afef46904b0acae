import Foundation
import Logging
import MonitorExport
import ProcessMonitor

// Route heartbeats into swift-log: each rendered line becomes one log event at its level
// (STALL lines warn), and the JSON Lines record could go to a second exporter just the same.
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardOutput(label: label)
    handler.logLevel = .info
    return handler
}
let logger = Logger(label: "heartbeat")

let bridge = HeartbeatExporter(
    format: TextFormat(),
    sink: ClosureSink { line in
        logger.log(level: line.level == .warning ? .warning : .info, "\(line.text)")
    }
)

let monitor = try ProcessMonitor.start(
    configuration: try MonitorConfiguration(interval: .milliseconds(200), stallThreshold: .milliseconds(300)),
    observers: [bridge]
)
withScope("example job") {
    withScope("slow step", total: 4) { progress in
        for _ in 0..<4 {
            usleep(150_000)
            progress.increment()
        }
    }
}
monitor.stop()
