import Foundation
import MonitorExport
import MonitorExportHTTP
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
    options = try DemoOptions.parse(arguments)
} catch {
    fail(error.message, usage: true)
}
if options.showHelp {
    print(DemoOptions.usage)
    exit(0)
}

let exporters: [HeartbeatExporter]
do {
    let specifications = options.exports.isEmpty && options.otlpHTTPEndpoints.isEmpty
        ? [try ExportSpecification(parsing: "text:stderr")] : options.exports
    let rotation = options.maxBytes.map { RotationPolicy(maxBytes: $0, maxFiles: options.maxFiles ?? 5) }
    var attributes: [String: String] = [:]
    for (key, value) in options.attributes { attributes[key] = value }
    exporters = try specifications.map { specification in
        try specification.makeExporter(
            rotation: rotation,
            attributes: attributes,
            textStyle: .extended
        )
    } + options.otlpHTTPEndpoints.map { endpoint in
        try OTLPHTTPExporter.make(endpoint: endpoint, attributes: attributes)
    }
} catch {
    fail("\(error)", usage: false)
}

let monitor: ProcessMonitor
do {
    monitor = try ProcessMonitor.start(
        configuration: MonitorConfiguration(
            interval: options.interval,
            stallThreshold: options.stallThreshold,
            maxPhaseLines: options.maxPhaseLines
        ),
        observers: exporters
    )
} catch {
    fail(error.message, usage: error.code == .invalidConfiguration)
}

// `kill -USR1 <pid>` asks for a heartbeat now, the way a long job's operator would.
signal(SIGUSR1, SIG_IGN)
let onDemand = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: .global())
onDemand.setEventHandler { monitor.emitNow() }
onDemand.resume()

let job = DemoJob(
    duration: options.duration,
    interval: options.interval,
    stallThreshold: options.stallThreshold,
    workers: options.workers
)
job.run()
monitor.stop()
exit(0)
