import Foundation
import MonitorExport
import ProcessMonitor

#if canImport(Glibc)
import Glibc
#endif

/// heartbeat-demo: the program a newcomer runs first. `swift run heartbeat-demo` runs a
/// simulated compute job of about 15 s with a heartbeat every 2 s on stderr.

func fail(_ message: String, usage: Bool) -> Never {
    var text = "heartbeat-demo: \(message)\n"
    if usage { text += "\n" + DemoOptions.usage + "\n" }
    FileHandle.standardError.write(Data(text.utf8))
    exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())

if arguments.first == "render" {
    exit(RenderCommand.run(Array(arguments.dropFirst())))
}

let options: DemoOptions
do {
    let environment: [String: String]
    do throws(ExportError) {
        environment = try MonitorEnvironment.processVariables()
    } catch {
        throw UsageError(error.message, showUsage: false)
    }
    options = try DemoOptions.parse(arguments, environment: environment)
} catch let error as UsageError {
    fail(error.message, usage: error.showUsage)
}
if options.showHelp {
    print(DemoOptions.usage)
    exit(0)
}
if options.showVersion {
    print("heartbeat-demo \(ProcessMonitor.version)")
    exit(0)
}

let job = DemoJob(
    duration: options.duration,
    interval: options.configuration.interval,
    stallThreshold: options.configuration.stallThreshold,
    workers: options.workers
)

guard options.configuration.isEnabled else {
    // PROCESS_MONITOR_DISABLE=1: the job runs as it would without a monitor.
    job.run()
    exit(0)
}

let exporters: [HeartbeatExporter]
do {
    let exportOptions = ExportOptions(attributes: options.attributes, rotation: options.rotation, textStyle: options.textStyle)
    let specifications = options.exports.isEmpty ? [ExportSpecification(format: .text, destination: "stderr")] : options.exports
    exporters = try specifications.map { specification throws(ExportError) in
        try specification.makeExporter(options: exportOptions)
    }
} catch {
    fail(error.message, usage: false)
}

let monitor: ProcessMonitor
do {
    monitor = try ProcessMonitor.start(configuration: options.configuration, observers: exporters)
} catch {
    fail(error.message, usage: error.code == .invalidConfiguration)
}

// `kill -USR1 <pid>` asks for a heartbeat now, the way a long job's operator would.
let onDemand: HeartbeatSignal?
do {
    onDemand = try monitor.emitOnSignal(SIGUSR1)
} catch {
    reportWarning("no heartbeat on SIGUSR1: \(error.message)")
    onDemand = nil
}

job.run()
onDemand?.cancel()
monitor.stop()
exit(0)
