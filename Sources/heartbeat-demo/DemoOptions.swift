import Foundation
import MonitorExport
import MonitorExportHTTP
import ProcessMonitor

/// The demo's settings: the library's settings table (the same flags and `PROCESS_MONITOR_*`
/// variables every program reads) plus the demo's own `--duration` and `--workers`. The
/// environment is read first, then the flags, which win; `--help` is written from the table.
struct DemoOptions {
    var monitor: MonitorEnvironment
    var duration: Duration = .seconds(15)
    var workers: Int = ProcSelfSampler().sample().affinityCores ?? 2
    var showHelp = false

    /// Every format the demo can export to: the built-in ones, OTLP/HTTP and the Pushgateway.
    static let formats = ExportFormat.builtIn + [.otlpHTTP, .prometheusPushgateway]

    /// The demo's defaults, which `--help` shows: a heartbeat every 2 s, a 3 s stall threshold,
    /// the extended text style.
    static var defaults: DemoOptions {
        var configuration = MonitorConfiguration()
        configuration.interval = .seconds(2)
        configuration.stallThreshold = .seconds(3)
        var options = DemoOptions(monitor: MonitorEnvironment(base: configuration))
        options.monitor.textStyle = .extended
        return options
    }

    static let settings: [Setting<DemoOptions>] = [
        Setting(
            flag: "--duration", variable: nil, placeholder: "D",
            help: "total run time (1s to 24h); the phases shrink to fit, so one shorter than the stall threshold shows no STALL",
            current: { ConfigurationValue.text($0.duration) }
        ) { text, options throws(SettingProblem) in
            guard let duration = ConfigurationValue.duration(text), duration >= .seconds(1), duration <= .seconds(86_400) else {
                throw SettingProblem("must be a duration from 1s to 24h")
            }
            options.duration = duration
        },
        Setting(
            flag: "--workers", variable: nil, placeholder: "N", help: "threads in the CPU fan-out (1 to 1024)",
            current: { "\($0.workers), the available cores" }
        ) { text, options throws(SettingProblem) in
            guard let workers = ConfigurationValue.integer(text, in: 1 ... 1024) else {
                throw SettingProblem("must be a whole number from 1 to 1024")
            }
            options.workers = workers
        },
    ] + MonitorEnvironment.settings(formats: formats).map { $0.lifted(\DemoOptions.monitor) } + [
        Setting(flag: "--help", variable: nil, placeholder: nil, help: "show this help") { _, options in options.showHelp = true },
    ]

    static var usage: String {
        let formatLines = formats.map { format in
            var text = "\(format.summary); DEST: \(format.destinations)"
            if !format.options.isEmpty { text += "; OPTIONs: " + format.options.map { "\($0.name) (\($0.values))" }.joined(separator: ", ") }
            let lines = SettingsReader.wrap(text, width: 66)
            return "  \(format.name.padding(toLength: 12, withPad: " ", startingAt: 0))" + lines.joined(separator: "\n" + String(repeating: " ", count: 14))
        }.joined(separator: "\n")
        return """
            usage: heartbeat-demo [options]
                   heartbeat-demo render --to FORMAT [--style seed|extended] [--title TEXT] [FILE...]
                   heartbeat-demo --help

            Runs a simulated compute job (about 15 s) with a heartbeat every 2 s on stderr.
            While it runs, `kill -USR1 <pid>` (SIGUSR1) asks for a heartbeat at once.

            options (each with its environment variable, if any; flags win; D is a duration
            such as 500ms, 2s, 1.5s, 1m or 1h):
            \(SettingsReader.help(settings, for: defaults))

            export formats (--export FORMAT:DEST[;OPTION=VALUE...]):
            \(formatLines)

            render: converts JSON Lines heartbeat logs (FILEs, a rotated set in any order, or
            stdin) to text, logfmt, jsonl or otlp-json, or into one self-contained HTML report
            (--to html). --style applies to text, --title to html. A bad line is reported with
            its file and line number and skipped; the exit status is then 1.
            """
    }

    /// Reads `environment`, then `arguments` (without the program name), and checks the whole;
    /// unknown `PROCESS_MONITOR_*` variables are reported on `diagnostics`.
    static func parse(
        _ arguments: [String], environment: [String: String], diagnostics: SinkDiagnostics = .standard
    ) throws(ExportError) -> DemoOptions {
        var options = defaults
        let unknown = try SettingsReader.read(environment: environment, arguments: arguments, table: settings, into: &options)
        try options.monitor.finish(unknownVariables: unknown, formats: formats, diagnostics: diagnostics)
        return options
    }
}
