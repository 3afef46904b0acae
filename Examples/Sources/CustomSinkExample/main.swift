import ExampleSupport
import Foundation
import MonitorExport
import ProcessMonitor
import ProcessMonitorIntegrations

// A sink kind of one's own behind PROCESS_MONITOR_EXPORT, from outside the package: the
// registration is `ExportFormat.builtIn + [.lastWarnings]`, and nothing else learns its name.
// By default the summary goes to stdout:
//
//   last-warnings: 9 heartbeats, 31 lines, 5 warnings; the last 3:
//   2026-12-03T10:12:01.412Z WARN [process-monitor][STALL] thread=ThreadId(1)/main phase="slow step" stuck=0.6s …
//   …
_ = ExampleArguments.parse(usage: """
    usage: CustomSinkExample
    Runs a short job with a stalling step. Its heartbeats go where PROCESS_MONITOR_EXPORT says,
    which may name the export kind this example adds: last-warnings:DEST[;keep=N], the last N
    warning lines (1 to 1000, default 5), summarised on DEST (stdout or a file) when the monitor
    stops. Without PROCESS_MONITOR_EXPORT: last-warnings:stdout;keep=3.
    """)

// What the environment does not set; a variable that is set wins.
let defaults = [
    "PROCESS_MONITOR_EXPORT": "last-warnings:stdout;keep=3",
    "PROCESS_MONITOR_INTERVAL": "200ms",
    "PROCESS_MONITOR_STALL_THRESHOLD": "300ms",
]
let monitor: ProcessMonitor
do throws(ExportError) {
    let environment = defaults.merging(try MonitorEnvironment.processVariables()) { _, set in set }
    monitor = try ProcessMonitor.start(environment: environment, formats: ExportFormat.builtIn + [.lastWarnings])
} catch {
    FileHandle.standardError.write(Data("CustomSinkExample: \(error.message)\n".utf8))
    exit(2)
}

withScope("example job") {
    // Stuck for 2 s before its counter first moves, past the 300 ms threshold: some eight
    // heartbeats report it as a STALL, more than the three warnings the summary keeps, even
    // when a busy machine delays a few of them.
    withScope("slow step", total: 4) { progress in
        usleep(2_000_000)
        for _ in 0 ..< 4 {
            progress.increment()
            usleep(100_000)
        }
    }
}
monitor.stop()
