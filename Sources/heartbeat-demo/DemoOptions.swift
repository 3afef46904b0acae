import MonitorExport
import MonitorExportHTTP
import ProcessMonitor

/// The demo's settings: the environment's `PROCESS_MONITOR_*` variables first, then the flags,
/// which win. Everything is checked as a whole before anything runs.
struct DemoOptions {
    var duration: Duration = .seconds(15)
    var configuration = MonitorConfiguration()
    var workers: Int = ProcSelfSampler().sample().affinityCores ?? 2
    var exports: [ExportSpecification] = []
    var rotation: RotationPolicy?
    var attributes: [String: String] = [:]
    var textStyle: TextFormat.Style = .extended
    var showHelp = false
    var showVersion = false

    /// Every format the demo can export to: the built-in ones, OTLP/HTTP and the Pushgateway.
    static let formats = ExportFormat.builtIn + [.otlpHTTP, .prometheusPushgateway]

    static var usage: String {
        let formatLines = formats.map { format in
            "                          \(format.name.padding(toLength: 11, withPad: " ", startingAt: 0)) \(format.summary); DEST: \(format.destinations)"
        }.joined(separator: "\n")
        let environmentLines = MonitorEnvironment.variables.map { variable in
            "  \(variable.name)\n      \(variable.meaning)"
        }.joined(separator: "\n")
        return """
            usage: heartbeat-demo [options]
                   heartbeat-demo render --to FORMAT [--style seed|extended] [--title TEXT] [FILE...]
                   heartbeat-demo --help | --version

            Runs a simulated compute job (about 15 s) with a heartbeat every 2 s on stderr.
            While it runs, `kill -USR1 <pid>` (SIGUSR1) asks for a heartbeat at once.

            options:
              --duration D            total run time (default 15s); the phases shrink to fit, so a
                                      duration shorter than the stall threshold shows no STALL
              --interval D            time between heartbeats (default 2s)
              --stall-threshold D     innermost scope age that counts as a stall (default 3s)
              --max-phase-lines N     phase lines per heartbeat before "omitted" (default 8)
              --workers N             threads in the CPU fan-out (default: available cores)
              --export FORMAT:DEST[;OPTION=VALUE...]
                                      repeatable (default text:stderr); FORMAT is one of:
            \(formatLines)
                                      OPTIONs: max-bytes=SIZE and max-files=N rotate a file;
                                      style=seed|extended and prefix=none|timestamp for text
              --max-bytes SIZE        rotate every file destination at SIZE (4000, 64KiB, 10MiB)
              --max-files N           rotated backups to keep (default 5 with --max-bytes)
              --attribute KEY=VALUE   repeatable; carried by the machine formats (JSON Lines,
                                      logfmt, OTLP, Prometheus labels)
              --text-style STYLE      seed (the Rust original's bytes) or extended (default)
              --help                  show this help
              --version               print the package version

            D is a duration such as 500ms, 2s, 1.5s, 1m or 1h.

            render: converts JSON Lines heartbeat logs (FILEs, a rotated set in any order, or
            stdin) to text, logfmt, jsonl or otlp-json, or into one self-contained HTML report
            (--to html). --style applies to text, --title to html. A bad line is reported with
            its file and line number and skipped; the exit status is then 1.

            environment (flags win):
            \(environmentLines)
            """
    }

    /// Reads `environment`, then `arguments` (without the program name), and checks the whole.
    static func parse(_ arguments: [String], environment: [String: String]) throws(UsageError) -> DemoOptions {
        var options = DemoOptions()
        options.configuration.interval = .seconds(2)
        options.configuration.stallThreshold = .seconds(3)
        do throws(ExportError) {
            let settings = try MonitorEnvironment(environment, formats: formats, base: options.configuration)
            options.configuration = settings.configuration
            options.exports = settings.exports
            options.attributes = settings.attributes
            if let style = settings.textStyle { options.textStyle = style }
            if !settings.unknownVariables.isEmpty {
                reportWarning("ignoring unknown environment variable(s) \(settings.unknownVariables.joined(separator: ", "))")
            }
        } catch {
            throw UsageError(error.message, showUsage: false)
        }

        var flagExports: [ExportSpecification] = []
        var flagAttributes: [String: String] = [:]
        var maxBytes: Int?
        var maxFiles: Int?
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            var flag = argument
            var inline: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            func next() throws(UsageError) -> String {
                if let inline { return inline }
                guard let value = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
                return value
            }
            switch flag {
            case "--help", "-h":
                options.showHelp = true
            case "--version":
                options.showVersion = true
            case "--duration":
                options.duration = try duration(try next(), flag: flag)
            case "--interval":
                options.configuration.interval = try duration(try next(), flag: flag)
            case "--stall-threshold":
                options.configuration.stallThreshold = try duration(try next(), flag: flag)
            case "--max-phase-lines":
                options.configuration.maxPhaseLines = try integer(try next(), flag: flag, in: MonitorConfiguration.maxPhaseLinesRange)
            case "--workers":
                options.workers = try integer(try next(), flag: flag, in: 1 ... 1024)
            case "--export":
                let text = try next()
                do throws(ExportError) {
                    flagExports.append(try ExportSpecification(parsing: text, formats: formats))
                } catch {
                    throw UsageError("--export: \(error.message)")
                }
            case "--max-bytes":
                let text = try next()
                guard let bytes = ConfigurationValue.byteCount(text), bytes >= 1 else {
                    throw UsageError("--max-bytes must be a size such as 4000, 64KiB or 10MiB (got \(text.debugDescription))")
                }
                maxBytes = bytes
            case "--max-files":
                maxFiles = try integer(try next(), flag: flag, in: RotatingFileSink.maxFilesRange)
            case "--attribute":
                let pair = try next()
                do throws(ExportError) {
                    try ConfigurationValue.add(pair, to: &flagAttributes)
                } catch {
                    throw UsageError("--attribute: \(error.message)")
                }
            case "--text-style":
                switch try next() {
                case "seed": options.textStyle = .seed
                case "extended": options.textStyle = .extended
                case let other: throw UsageError("--text-style must be seed or extended (got \(other.debugDescription))")
                }
            default:
                throw UsageError("unknown option \(argument.debugDescription)")
            }
        }
        // Flags win over the environment, each kind as a whole.
        if !flagExports.isEmpty { options.exports = flagExports }
        if !flagAttributes.isEmpty { options.attributes = flagAttributes }
        if maxFiles != nil && maxBytes == nil {
            throw UsageError("--max-files needs --max-bytes")
        }
        if let maxBytes { options.rotation = RotationPolicy(maxBytes: maxBytes, maxFiles: maxFiles ?? 5) }
        if options.duration < .seconds(1) || options.duration > .seconds(86_400) {
            throw UsageError("--duration must be between 1s and 24h (got \(options.duration))")
        }
        do throws(MonitorError) {
            try options.configuration.validate()
        } catch {
            throw UsageError(error.message)
        }
        do throws(ExportError) {
            try MonitorEnvironment.checkDistinctDestinations(options.exports)
        } catch {
            throw UsageError("--export: \(error.message)")
        }
        return options
    }

    private static func duration(_ text: String, flag: String) throws(UsageError) -> Duration {
        guard let duration = ConfigurationValue.duration(text) else {
            throw UsageError("\(flag): \(text.debugDescription) \(ConfigurationValue.durationProblem(text))")
        }
        return duration
    }

    private static func integer(_ text: String, flag: String, in range: ClosedRange<Int>) throws(UsageError) -> Int {
        guard let value = ConfigurationValue.integer(text, in: range) else {
            throw UsageError("\(flag) must be a whole number from \(range.lowerBound) to \(range.upperBound) (got \(text.debugDescription))")
        }
        return value
    }
}

/// A command-line mistake: the message, and whether the usage should follow it.
struct UsageError: Error {
    let message: String
    let showUsage: Bool
    init(_ message: String, showUsage: Bool = true) {
        self.message = message
        self.showUsage = showUsage
    }
}

/// A warning that does not stop the demo, on stderr.
func reportWarning(_ message: String) {
    SinkDiagnostics.writeToStandardError("heartbeat-demo: warning: \(message)")
}
