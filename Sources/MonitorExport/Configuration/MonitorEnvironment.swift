import ProcessMonitor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The monitor's settings read from `PROCESS_MONITOR_*` environment variables, so an operator
/// can send a job's heartbeats to a file, change the interval or turn the monitor off without
/// a rebuild.
///
/// Nothing reads the environment behind your back: you pass it in (usually
/// `ProcessInfo.processInfo.environment`), here or through
/// ``ProcessMonitor/start(environment:observers:formats:options:)``. A bad value throws an
/// ``ExportError`` naming the variable and the value; a `PROCESS_MONITOR_*` variable that is not
/// one of ``variables`` (a typo, say) is listed in ``unknownVariables`` and reported once on
/// stderr by `start(environment:)`, never silently ignored.
///
/// | variable | example | meaning |
/// |---|---|---|
/// | `PROCESS_MONITOR_INTERVAL` | `30s` | time between heartbeats |
/// | `PROCESS_MONITOR_STALL_THRESHOLD` | `5m` | innermost scope age that is a STALL |
/// | `PROCESS_MONITOR_MAX_PHASE_LINES` | `16` | phase lines per heartbeat |
/// | `PROCESS_MONITOR_EXPORT` | `jsonl:/var/log/hb.jsonl;max-bytes=64MiB,text:stderr` | exporters |
/// | `PROCESS_MONITOR_ATTRIBUTES` | `job=train-42,rank=3` | static attributes |
/// | `PROCESS_MONITOR_TEXT_STYLE` | `extended` | `seed` or `extended` |
/// | `PROCESS_MONITOR_DISABLE` | `1` | `1`/`true` turns the monitor off |
///
/// ```swift
/// let environment = try MonitorEnvironment(ProcessInfo.processInfo.environment)
/// let monitor = try ProcessMonitor(configuration: environment.configuration,
///                                  observers: try environment.makeExporters())
/// ```
public struct MonitorEnvironment: Sendable {
    /// The variables read, with what each takes, in the order `--help` lists them.
    ///
    /// ```swift
    /// for (name, meaning) in MonitorEnvironment.variables { print(name, meaning) }
    /// ```
    public static let variables: [(name: String, meaning: String)] = [
        ("PROCESS_MONITOR_INTERVAL", "time between heartbeats (500ms, 2s, 1m, 1h)"),
        ("PROCESS_MONITOR_STALL_THRESHOLD", "innermost scope age that counts as a stall (500ms, 2s, 1m, 1h)"),
        ("PROCESS_MONITOR_MAX_PHASE_LINES", "phase lines per heartbeat before \"omitted\" (1 to 10000)"),
        ("PROCESS_MONITOR_EXPORT", "comma-separated FORMAT:DEST[;OPTION=VALUE...], as --export takes"),
        ("PROCESS_MONITOR_ATTRIBUTES", "comma-separated KEY=VALUE attributes (job=train-42,rank=3)"),
        ("PROCESS_MONITOR_TEXT_STYLE", "seed or extended"),
        ("PROCESS_MONITOR_DISABLE", "1 or true turns the monitor off; 0 or false leaves it on"),
    ]

    /// The monitor's configuration: the defaults (or the `base` given) with what the
    /// environment sets.
    public var configuration: MonitorConfiguration
    /// The exporters `PROCESS_MONITOR_EXPORT` names, in order; empty when it is not set.
    public var exports: [ExportSpecification]
    /// `PROCESS_MONITOR_ATTRIBUTES`.
    public var attributes: [String: String]
    /// `PROCESS_MONITOR_TEXT_STYLE`, when set.
    public var textStyle: TextFormat.Style?
    /// `PROCESS_MONITOR_*` variables that are not one of ``variables``.
    public var unknownVariables: [String]

    /// Reads `environment` over `base`.
    ///
    /// - Throws: ``ExportError`` (`invalidConfiguration`) naming the variable and its value: an
    ///   empty, malformed or out-of-range value, an unknown export format, a duplicated
    ///   attribute key or export destination.
    ///
    /// ```swift
    /// let settings = try MonitorEnvironment(["PROCESS_MONITOR_INTERVAL": "10s"])
    /// settings.configuration.interval  // 10 seconds
    /// ```
    public init(
        _ environment: [String: String],
        formats: [ExportFormat] = ExportFormat.builtIn,
        base: MonitorConfiguration = MonitorConfiguration()
    ) throws(ExportError) {
        configuration = base
        exports = []
        attributes = [:]
        textStyle = nil
        let known = Set(Self.variables.map(\.name))
        unknownVariables = environment.keys.filter { $0.hasPrefix("PROCESS_MONITOR_") && !known.contains($0) }.sorted()

        func value(_ name: String) throws(ExportError) -> String? {
            guard let value = environment[name] else { return nil }
            guard !value.isEmpty else { throw Self.invalid(name, value, "is empty; unset it to keep the default") }
            return value
        }
        if let text = try value("PROCESS_MONITOR_INTERVAL") {
            guard let interval = ConfigurationValue.duration(text) else {
                throw Self.invalid("PROCESS_MONITOR_INTERVAL", text, ConfigurationValue.durationProblem(text))
            }
            configuration.interval = interval
        }
        if let text = try value("PROCESS_MONITOR_STALL_THRESHOLD") {
            guard let threshold = ConfigurationValue.duration(text) else {
                throw Self.invalid("PROCESS_MONITOR_STALL_THRESHOLD", text, ConfigurationValue.durationProblem(text))
            }
            configuration.stallThreshold = threshold
        }
        if let text = try value("PROCESS_MONITOR_MAX_PHASE_LINES") {
            guard let lines = ConfigurationValue.integer(text, in: MonitorConfiguration.maxPhaseLinesRange) else {
                throw Self.invalid("PROCESS_MONITOR_MAX_PHASE_LINES", text, "must be a whole number from 1 to 10000")
            }
            configuration.maxPhaseLines = lines
        }
        do throws(MonitorError) {
            try configuration.validate()
        } catch {
            let variable = error.field == "interval" ? "PROCESS_MONITOR_INTERVAL" : "PROCESS_MONITOR_STALL_THRESHOLD"
            throw Self.invalid(variable, environment[variable] ?? "", error.message)
        }
        if let text = try value("PROCESS_MONITOR_DISABLE") {
            switch text.lowercased() {
            case "1", "true", "yes": configuration.isEnabled = false
            case "0", "false", "no": configuration.isEnabled = true
            default: throw Self.invalid("PROCESS_MONITOR_DISABLE", text, "must be 1, true, 0 or false")
            }
        }
        if let text = try value("PROCESS_MONITOR_TEXT_STYLE") {
            switch text {
            case "seed": textStyle = .seed
            case "extended": textStyle = .extended
            default: throw Self.invalid("PROCESS_MONITOR_TEXT_STYLE", text, "must be seed or extended")
            }
        }
        if let text = try value("PROCESS_MONITOR_ATTRIBUTES") {
            do throws(ExportError) {
                attributes = try ConfigurationValue.attributes(text)
            } catch {
                throw Self.invalid("PROCESS_MONITOR_ATTRIBUTES", text, error.message)
            }
        }
        if let text = try value("PROCESS_MONITOR_EXPORT") {
            do throws(ExportError) {
                exports = try Self.exports(text, formats: formats)
            } catch {
                throw Self.invalid("PROCESS_MONITOR_EXPORT", text, error.message)
            }
        }
    }

    /// The exporters the environment asks for (or `defaultExport` when it names none), opened
    /// with `options` plus the environment's attributes and text style.
    ///
    /// - Throws: ``ExportError`` naming a destination that cannot be opened.
    ///
    /// ```swift
    /// let exporters = try MonitorEnvironment(ProcessInfo.processInfo.environment).makeExporters()
    /// ```
    public func makeExporters(
        defaultExport: [ExportSpecification] = [ExportSpecification(format: .text, destination: "stderr")],
        options: ExportOptions = ExportOptions()
    ) throws(ExportError) -> [HeartbeatExporter] {
        var options = options
        for (key, value) in attributes { options.attributes[key] = value }
        if let textStyle { options.textStyle = textStyle }
        var exporters: [HeartbeatExporter] = []
        for specification in exports.isEmpty ? defaultExport : exports {
            exporters.append(try specification.makeExporter(options: options))
        }
        return exporters
    }

    /// Comma-separated export specifications; the same destination twice is refused (two
    /// exporters appending to one file would interleave).
    package static func exports(_ text: String, formats: [ExportFormat]) throws(ExportError) -> [ExportSpecification] {
        var specifications: [ExportSpecification] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let specification = try ExportSpecification(parsing: String(part), formats: formats)
            specifications.append(specification)
        }
        try checkDistinctDestinations(specifications)
        return specifications
    }

    /// Refuses two specifications that write the same file.
    package static func checkDistinctDestinations(_ specifications: [ExportSpecification]) throws(ExportError) {
        var seen: Set<String> = []
        for specification in specifications where specification.destination != "stderr" && specification.destination != "stdout" {
            guard seen.insert(specification.destination).inserted else {
                throw ExportError(
                    code: .invalidConfiguration,
                    message: "\(specification.destination.debugDescription) is named by two exports; each file may have one"
                )
            }
        }
    }

    /// The process's `PROCESS_MONITOR_*` variables as the C library holds them: unlike a
    /// dictionary, this sees a variable set twice (`env X=1 X=2`), which is refused.
    ///
    /// - Throws: ``ExportError`` naming a variable set more than once.
    ///
    /// ```swift
    /// let environment = try MonitorEnvironment(MonitorEnvironment.processVariables())
    /// ```
    public static func processVariables() throws(ExportError) -> [String: String] {
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            entry += 1
            guard text.hasPrefix("PROCESS_MONITOR_"), let equals = text.firstIndex(of: "=") else { continue }
            let name = String(text[..<equals])
            guard variables[name] == nil else {
                throw ExportError(code: .invalidConfiguration, message: "\(name) is set more than once in the environment")
            }
            variables[name] = String(text[text.index(after: equals)...])
        }
        return variables
    }

    private static func invalid(_ name: String, _ value: String, _ problem: String) -> ExportError {
        ExportError(code: .invalidConfiguration, message: "\(name)=\(value.debugDescription): \(problem)")
    }
}

extension ProcessMonitor {
    /// Creates and starts a monitor configured by `PROCESS_MONITOR_*` variables in
    /// `environment`, exporting where `PROCESS_MONITOR_EXPORT` says (text on stderr when it is
    /// not set), besides `observers`. With `PROCESS_MONITOR_DISABLE=1` the monitor is created
    /// but never runs. Unknown `PROCESS_MONITOR_*` variables are reported once on stderr.
    ///
    /// - Throws: ``ExportError`` naming the variable and value at fault, or the destination that
    ///   cannot be opened.
    ///
    /// ```swift
    /// let monitor = try ProcessMonitor.start(environment: ProcessInfo.processInfo.environment)
    /// ```
    @discardableResult
    public static func start(
        environment: [String: String],
        observers: [any HeartbeatObserver] = [],
        formats: [ExportFormat] = ExportFormat.builtIn,
        options: ExportOptions = ExportOptions()
    ) throws(ExportError) -> ProcessMonitor {
        let settings = try MonitorEnvironment(environment, formats: formats)
        if !settings.unknownVariables.isEmpty {
            options.diagnostics.warn(
                "[process-monitor] ignoring unknown environment variable(s) \(settings.unknownVariables.joined(separator: ", ")); "
                    + "known: \(MonitorEnvironment.variables.map(\.name).joined(separator: ", "))"
            )
        }
        let exporters: [HeartbeatExporter] = settings.configuration.isEnabled ? try settings.makeExporters(options: options) : []
        do throws(MonitorError) {
            return try ProcessMonitor.start(configuration: settings.configuration, observers: observers + exporters)
        } catch {
            throw ExportError(code: .invalidConfiguration, message: error.message)
        }
    }
}
