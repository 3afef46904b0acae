import Foundation
import MonitorExport
import ProcessMonitor

#if canImport(Glibc)
import Glibc
#endif

/// heartbeat-demo: the program a newcomer runs first. `swift run heartbeat-demo` runs a
/// simulated compute job of about 15 s with a heartbeat every 2 s on stderr.
///
/// Every mistake (a bad flag, a bad `PROCESS_MONITOR_*` value, a destination that cannot be
/// opened) is caught, printed as one line and exits 2: the pattern the README shows.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("heartbeat-demo: \(message)\n".utf8))
    exit(2)
}

let arguments: [String]
do {
    arguments = try MonitorEnvironment.processArguments()
} catch {
    fail(error.message)
}
if arguments.first == "render" {
    exit(RenderCommand.run(Array(arguments.dropFirst())))
}

let options: DemoOptions
do {
    options = try DemoOptions.parse(arguments, environment: try MonitorEnvironment.processVariables())
} catch {
    fail(error.message + (error.message.hasPrefix("unknown option") ? " (heartbeat-demo --help lists them)" : ""))
}
if options.showHelp {
    print(DemoOptions.usage)
    exit(0)
}

let job = DemoJob(duration: options.duration, interval: options.monitor.configuration.interval,
                  stallThreshold: options.monitor.configuration.stallThreshold, workers: options.workers)
guard options.monitor.configuration.isEnabled else {
    // PROCESS_MONITOR_DISABLE=1: the job runs as it would without a monitor.
    job.run()
    exit(0)
}

let monitor: ProcessMonitor
do {
    monitor = try ProcessMonitor.start(configuration: options.monitor.configuration,
                                       observers: try options.monitor.makeExporters())
} catch let error as ExportError {
    fail(error.message)
} catch {
    fail("\(error)")
}

// `kill -USR1 <pid>` asks for a heartbeat now, the way a long job's operator would.
let onDemand: HeartbeatSignal?
do {
    onDemand = try monitor.emitOnSignal(SIGUSR1)
} catch {
    SinkDiagnostics.writeToStandardError("heartbeat-demo: warning: no heartbeat on SIGUSR1: \(error.message)")
    onDemand = nil
}

job.run()
onDemand?.cancel()
monitor.stop()
exit(0)
