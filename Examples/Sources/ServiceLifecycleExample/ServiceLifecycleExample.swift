import ExampleSupport
import Foundation
import Logging
import MonitorExport
import ProcessMonitor
import ProcessMonitorIntegrations
import ServiceLifecycle

// The monitor as a service in a swift-service-lifecycle ServiceGroup, beside the service it
// watches. SIGTERM starts a graceful shutdown: the worker finishes its batch and returns, then
// the monitor writes its final heartbeat and returns, then the group and the process end (exit 0).
// SIGINT cancels instead; the monitor writes its final heartbeat then too.
//
//   swift run ServiceLifecycleExample heartbeats.jsonl   # or HEARTBEAT_FILE=heartbeats.jsonl
//   kill -TERM <pid printed on stdout>
//   tail -1 heartbeats.jsonl   # {"timestamp":…,"trigger":"final",…}
@main
struct ServiceLifecycleExample {
    static func main() async throws {
        let arguments = ExampleArguments.parse(
            usage: """
                usage: ServiceLifecycleExample [HEARTBEAT_FILE]
                Runs a worker and the monitor in a ServiceGroup until SIGTERM (graceful) or SIGINT,
                writing JSON Lines heartbeats to HEARTBEAT_FILE (default: $HEARTBEAT_FILE, else
                heartbeats.jsonl); prints its pid first.
                """,
            maxOperands: 1
        )
        let path = arguments.first ?? ProcessInfo.processInfo.environment["HEARTBEAT_FILE"] ?? "heartbeats.jsonl"

        var logger = Logger(label: "service-lifecycle-example")
        logger.logLevel = .info

        let monitor = try ProcessMonitor(
            configuration: try MonitorConfiguration(interval: .milliseconds(500), stallThreshold: .seconds(10)),
            observers: [
                HeartbeatExporter(format: JSONLinesFormat(), sink: try FileSink(path: path)),
                LoggerHeartbeatObserver(logger: logger, infoLevel: .debug, includePhases: false),
            ]
        )

        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    // First, so it is shut down last: its final heartbeat sees the worker's end.
                    .init(service: ProcessMonitorService(monitor)),
                    .init(service: Worker(logger: logger)),
                ],
                gracefulShutdownSignals: [.sigterm],
                cancellationSignals: [.sigint],
                logger: logger
            )
        )
        // Unbuffered, so a script reading stdout sees the pid at once.
        FileHandle.standardOutput.write(Data("pid \(getpid())\n".utf8))
        logger.info("running; heartbeats go to \(path)")
        try await group.run()
        logger.info("stopped; the final heartbeat is in \(path)")
    }
}

/// A stand-in for the real service: batches of work, each in a scope with a progress counter,
/// until the group shuts down gracefully (it then finishes the batch in hand) or is cancelled.
struct Worker: Service, CustomStringConvertible {
    let logger: Logger
    var description: String { "Worker" }

    func run() async throws {
        await withScope("worker") {
            var batch = 0
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                batch += 1
                await withScope(label: "batch \(batch)", total: 10) { progress in
                    for _ in 0..<10 {
                        checksum(count: 20_000)  // a little CPU…
                        try? await Task.sleep(for: .milliseconds(20))  // …and a little waiting
                        progress.increment()
                    }
                }
            }
            logger.info("worker: shutting down after batch \(batch)")
        }
    }

    private func checksum(count: Int) {
        var x: UInt64 = 1
        for i in 0..<count { x = (x &* 31) ^ UInt64(truncatingIfNeeded: i) }
        if x == 0 { logger.debug("unlikely") }
    }
}
