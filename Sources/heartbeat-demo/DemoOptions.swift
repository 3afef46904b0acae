import MonitorExport
import ProcessMonitor

/// The demo's command line.
struct DemoOptions {
    var duration: Duration = .seconds(15)
    var interval: Duration = .seconds(2)
    var stallThreshold: Duration = .seconds(3)
    var maxPhaseLines = 8
    var workers: Int = ProcSelfSampler().sample().affinityCores ?? 2
    var exports: [ExportSpecification] = []
    var maxBytes: Int?
    var maxFiles: Int?
    var attributes: [(String, String)] = []
    var showHelp = false

    static let usage = """
        usage: heartbeat-demo [options]
               heartbeat-demo render --to text|logfmt|jsonl|html [FILE...]

        Runs a simulated compute job (about 15 s) with a heartbeat every 2 s on stderr.

        options:
          --duration D          total run time (default 15s); the phases shrink to fit, so a
                                duration shorter than the stall threshold shows no STALL
          --interval D          time between heartbeats (default 2s)
          --stall-threshold D   innermost scope age that counts as a stall (default 3s)
          --max-phase-lines N   phase lines per heartbeat before "omitted" (default 8)
          --workers N           threads in the CPU fan-out (default: available cores)
          --export FORMAT:DEST  repeatable; FORMAT is text, jsonl or logfmt; DEST is stderr,
                                stdout or a file path (default text:stderr)
          --max-bytes N         rotate file destinations at N bytes (with --max-files)
          --max-files N         rotated backups to keep (default 5 when --max-bytes is given)
          --attribute KEY=VALUE repeatable; added to every JSON Lines record
          --help                show this help

        D is a duration such as 500ms, 2s, 1.5s, 1m or 1h.

        render: converts JSON Lines heartbeat logs (FILEs or stdin) into another format, or
        into one self-contained HTML report (--to html).
        """

    /// Parses `arguments` (without the program name); throws a message for stderr.
    static func parse(_ arguments: [String]) throws(UsageError) -> DemoOptions {
        var options = DemoOptions()
        var rest = arguments[...]
        func value(for flag: String) throws(UsageError) -> String {
            guard let next = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
            return next
        }
        while let argument = rest.popFirst() {
            var flag = argument
            var inline: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            func next() throws(UsageError) -> String {
                if let inline { return inline }
                return try value(for: flag)
            }
            switch flag {
            case "--help", "-h":
                options.showHelp = true
            case "--duration":
                options.duration = try parseDuration(try next(), flag: flag)
            case "--interval":
                options.interval = try parseDuration(try next(), flag: flag)
            case "--stall-threshold":
                options.stallThreshold = try parseDuration(try next(), flag: flag)
            case "--max-phase-lines":
                options.maxPhaseLines = try parseInt(try next(), flag: flag, range: 1...10_000)
            case "--workers":
                options.workers = try parseInt(try next(), flag: flag, range: 1...1024)
            case "--export":
                let text = try next()
                do throws(ExportError) {
                    options.exports.append(try ExportSpecification(parsing: text))
                } catch {
                    throw UsageError("--export: \(error.message)")
                }
            case "--max-bytes":
                options.maxBytes = try parseInt(try next(), flag: flag, range: 1...(1 << 40))
            case "--max-files":
                options.maxFiles = try parseInt(try next(), flag: flag, range: 1...1000)
            case "--attribute":
                let pair = try next()
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw UsageError("--attribute takes KEY=VALUE (got \"\(pair)\")")
                }
                options.attributes.append((String(pair[..<equals]), String(pair[pair.index(after: equals)...])))
            default:
                throw UsageError("unknown option \"\(argument)\"")
            }
        }
        if options.maxFiles != nil && options.maxBytes == nil {
            throw UsageError("--max-files needs --max-bytes")
        }
        if options.duration < .seconds(1) || options.duration > .seconds(86_400) {
            throw UsageError("--duration must be between 1s and 24h (got \(options.duration))")
        }
        return options
    }

    private static func parseDuration(_ text: String, flag: String) throws(UsageError) -> Duration {
        guard let duration = Duration(flagValue: text) else {
            throw UsageError("\(flag): \"\(text)\" is not a duration (try 500ms, 2s, 1m)")
        }
        return duration
    }

    private static func parseInt(_ text: String, flag: String, range: ClosedRange<Int>) throws(UsageError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw UsageError("\(flag) must be a whole number from \(range.lowerBound) to \(range.upperBound) (got \"\(text)\")")
        }
        return value
    }
}

struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
