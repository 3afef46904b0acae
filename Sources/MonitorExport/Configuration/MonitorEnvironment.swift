public import ProcessMonitor

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
/// `ProcessMonitor.start(environment:observers:formats:options:)`. A bad value throws an
/// ``ExportError`` naming the variable and the value (cut when long); a `PROCESS_MONITOR_*`
/// variable that is not one of ``variables`` (a typo, say) is listed in `unknownVariables` and
/// reported once, with the name it most likely meant, whichever way the environment is read:
/// never silently ignored. The variables are the environment column of the settings table the
/// demo's flags and `--help` come from too.
///
/// | variable | example | meaning |
/// |---|---|---|
/// | `PROCESS_MONITOR_INTERVAL` | `30s` | time between heartbeats |
/// | `PROCESS_MONITOR_STALL_THRESHOLD` | `5m` | innermost scope age that is a STALL |
/// | `PROCESS_MONITOR_MAX_PHASE_LINES` | `16` | phase lines per heartbeat |
/// | `PROCESS_MONITOR_EXPORT` | `jsonl:/var/log/hb.jsonl;max-bytes=64MiB,text:stderr` | exporters |
/// | `PROCESS_MONITOR_ATTRIBUTES` | `job=train-42,rank=3` | static attributes |
/// | `PROCESS_MONITOR_STALL_STACKS` | `1` | capture a stalled thread's backtrace |
/// | `PROCESS_MONITOR_FORECAST_HORIZON` | `30m` | warn when a limit is predicted that soon (`off`) |
/// | `PROCESS_MONITOR_TEXT_STYLE` | `extended` | `seed` or `extended` |
/// | `PROCESS_MONITOR_DISABLE` | `1` | `1`/`true` turns the monitor off |
///
/// ```swift
/// let environment = try MonitorEnvironment(ProcessInfo.processInfo.environment)
/// let monitor = try ProcessMonitor(configuration: environment.configuration,
///                                  observers: try environment.makeExporters())
/// ```
public struct MonitorEnvironment: Sendable {
    /// The variables read, with what each takes, in the order `--help` lists them: the
    /// environment column of the settings table (`settings(formats:)`).
    public static var variables: [(name: String, meaning: String)] {
        settings(formats: ExportFormat.builtIn).compactMap { setting in setting.variable.map { ($0, setting.help) } }
    }

    /// The monitor's configuration: the defaults (or the `base` given) with what the
    /// environment sets.
    public var configuration: MonitorConfiguration
    /// The exporters `PROCESS_MONITOR_EXPORT` names, in order; empty when it is not set.
    package var exports: [ExportSpecification]
    /// `PROCESS_MONITOR_ATTRIBUTES`.
    package var attributes: [String: String]
    /// `PROCESS_MONITOR_TEXT_STYLE`, when set.
    package var textStyle: TextFormat.Style?
    /// `PROCESS_MONITOR_*` variables that are not one of ``variables``.
    package var unknownVariables: [String]
    /// `--max-bytes` and `--max-files`, which a command line may set for every file destination.
    package var rotationBytes: Int?
    package var rotationFiles: Int?

    /// Settings with nothing read yet: `base` and no exports.
    package init(base: MonitorConfiguration) {
        configuration = base
        exports = []
        attributes = [:]
        textStyle = nil
        unknownVariables = []
    }

    /// Reads `environment` over `base`. A `PROCESS_MONITOR_*` variable that is none of
    /// ``variables`` (a typo) is reported once on `diagnostics`, with the name it most likely
    /// meant, and listed in `unknownVariables`: whichever way you read the environment, a
    /// misspelt setting is never silently ignored.
    ///
    /// - Throws: ``ExportError`` (`invalidConfiguration`) naming the variable and its value (cut
    ///   when long): an empty, malformed or out-of-range value, an unknown export format, a
    ///   duplicated attribute key or export destination.
    ///
    /// ```swift
    /// let settings = try MonitorEnvironment(["PROCESS_MONITOR_INTERVAL": "10s"])
    /// print(settings.configuration.interval)  // 10.0 seconds
    /// ```
    public init(
        _ environment: [String: String],
        formats: [ExportFormat] = ExportFormat.builtIn,
        base: MonitorConfiguration = MonitorConfiguration(),
        diagnostics: SinkDiagnostics = .standard
    ) throws(ExportError) {
        self.init(base: base)
        let unknown = try SettingsReader.read(environment: environment, arguments: [], table: Self.settings(formats: formats), into: &self)
        try finish(unknownVariables: unknown, formats: formats, diagnostics: diagnostics)
    }

    /// Checks the settings as a whole once everything is read (the same file named twice,
    /// `--max-files` without `--max-bytes`), keeps `unknown` and reports it on `diagnostics`.
    package mutating func finish(unknownVariables unknown: [String], formats: [ExportFormat], diagnostics: SinkDiagnostics) throws(ExportError) {
        unknownVariables = unknown
        try Self.checkDistinctDestinations(exports)
        if rotationFiles != nil && rotationBytes == nil {
            throw ExportError(code: .invalidConfiguration, message: "--max-files needs --max-bytes")
        }
        do throws(MonitorError) {
            try configuration.validate()
        } catch {
            throw ExportError(code: .invalidConfiguration, message: error.message)
        }
        guard !unknown.isEmpty else { return }
        let table = Self.settings(formats: formats)
        let named = unknown.map { name in
            SettingsReader.suggestion(for: name, in: table).map { "\(name) (did you mean \($0)?)" } ?? name
        }
        diagnostics.warn(
            "[process-monitor] ignoring unknown environment variable(s) \(named.joined(separator: ", ")); "
                + "known: \(table.compactMap(\.variable).joined(separator: ", "))"
        )
    }

    /// The exporters the environment asks for (or `defaultExport` when it names none), opened
    /// with `options` plus the environment's attributes and text style.
    ///
    /// - Throws: ``ExportError`` naming a destination that cannot be opened.
    public func makeExporters(
        defaultExport: [ExportSpecification] = [ExportSpecification(format: .text, destination: "stderr")],
        options: ExportOptions = ExportOptions()
    ) throws(ExportError) -> [HeartbeatExporter] {
        var options = options
        for (key, value) in attributes { options.attributes[key] = value }
        if let textStyle { options.textStyle = textStyle }
        if let rotationBytes { options.rotation = RotationPolicy(maxBytes: rotationBytes, maxFiles: rotationFiles ?? 5) }
        var exporters: [HeartbeatExporter] = []
        for specification in exports.isEmpty ? defaultExport : exports {
            exporters.append(try specification.makeExporter(options: options))
        }
        return exporters
    }

    // MARK: - The settings table

    /// Every setting the monitor takes, each read from its flag and its environment variable:
    /// what `MonitorEnvironment` reads, what a command line (the demo's) parses, and what its
    /// `--help` lists. `formats` are the export formats `--export` and `PROCESS_MONITOR_EXPORT`
    /// may name.
    package static func settings(formats: [ExportFormat]) -> [Setting<MonitorEnvironment>] {
        [
            duration(flag: "--interval", variable: "PROCESS_MONITOR_INTERVAL", help: "time between heartbeats",
                     field: "the interval", range: MonitorConfiguration.intervalRange, \.configuration.interval),
            duration(flag: "--stall-threshold", variable: "PROCESS_MONITOR_STALL_THRESHOLD",
                     help: "innermost scope age that counts as a stall", field: "the stall threshold",
                     range: MonitorConfiguration.stallThresholdRange, \.configuration.stallThreshold),
            Setting(
                flag: "--max-phase-lines", variable: "PROCESS_MONITOR_MAX_PHASE_LINES", placeholder: "N",
                help: "phase lines per heartbeat before \"omitted\" (1 to 10000)",
                current: { "\($0.configuration.maxPhaseLines)" }
            ) { text, settings throws(SettingProblem) in
                settings.configuration.maxPhaseLines = try integer(text, in: MonitorConfiguration.maxPhaseLinesRange)
            },
            Setting(
                flag: "--stall-stacks", variable: "PROCESS_MONITOR_STALL_STACKS", placeholder: "1|0",
                help: "capture a stalled thread's backtrace, once per stall (costs a signal per stall)",
                current: { $0.configuration.captureStacks ? "1" : "0" }
            ) { text, settings throws(SettingProblem) in
                settings.configuration.captureStacks = try flag(text)
            },
            Setting(
                flag: "--forecast-horizon", variable: "PROCESS_MONITOR_FORECAST_HORIZON", placeholder: "D|off",
                help: "warn when memory or descriptors are predicted to reach their limit within D",
                current: { $0.configuration.forecastHorizon.map(ConfigurationValue.text) ?? "off" }
            ) { text, settings throws(SettingProblem) in
                if text == "off" {
                    settings.configuration.forecastHorizon = nil
                } else {
                    settings.configuration.forecastHorizon = try duration(
                        text, field: "the forecast horizon", range: MonitorConfiguration.forecastHorizonRange)
                }
            },
            Setting(
                flag: "--export", variable: "PROCESS_MONITOR_EXPORT", placeholder: "FORMAT:DEST[;OPTION=VALUE...]",
                help: "where heartbeats go; repeatable (default text:stderr)", listSeparator: ",",
                reset: { $0.exports = [] }
            ) { text, settings throws(SettingProblem) in
                do throws(ExportError) {
                    settings.exports.append(try ExportSpecification(parsing: text, formats: formats))
                    try checkDistinctDestinations(settings.exports)
                } catch {
                    // The reader names the value already: do not say it twice.
                    let named = MessageValue.quoted(text) + ": "
                    throw SettingProblem(error.message.hasPrefix(named) ? String(error.message.dropFirst(named.count)) : error.message)
                }
                if text.unicodeScalars.contains("\u{FFFD}") {
                    throw SettingProblem(
                        "holds U+FFFD, which stands in for bytes that were not UTF-8 when the value was read; "
                            + "name the destination in UTF-8 (MonitorEnvironment.processVariables() says which bytes)")
                }
            },
            Setting(
                flag: "--attribute", variable: "PROCESS_MONITOR_ATTRIBUTES", placeholder: "KEY=VALUE",
                help: "carried by the machine formats (JSON Lines, logfmt, OTLP, Prometheus labels); repeatable",
                listSeparator: ",", reset: { $0.attributes = [:] }
            ) { text, settings throws(SettingProblem) in
                do throws(ExportError) {
                    try ConfigurationValue.add(text, to: &settings.attributes)
                } catch {
                    throw SettingProblem(error.message)
                }
            },
            Setting(
                flag: "--text-style", variable: "PROCESS_MONITOR_TEXT_STYLE", placeholder: "seed|extended",
                help: "seed (the Rust original's bytes) or extended", current: { $0.textStyle?.name }
            ) { text, settings throws(SettingProblem) in
                switch text {
                case "seed": settings.textStyle = .seed
                case "extended": settings.textStyle = .extended
                default: throw SettingProblem("must be seed or extended")
                }
            },
            Setting(
                flag: "--max-bytes", variable: nil, placeholder: "SIZE",
                help: "rotate every file destination at SIZE (4000, 64KiB, 10MiB)"
            ) { text, settings throws(SettingProblem) in
                guard let bytes = ConfigurationValue.byteCount(text), bytes >= 1 else {
                    throw SettingProblem("must be a size such as 4000, 64KiB or 10MiB")
                }
                settings.rotationBytes = bytes
            },
            Setting(
                flag: "--max-files", variable: nil, placeholder: "N", help: "rotated files to keep with --max-bytes (default 5)"
            ) { text, settings throws(SettingProblem) in
                settings.rotationFiles = try integer(text, in: RotatingFileSink.maxFilesRange)
            },
            Setting(
                flag: "--disable", variable: "PROCESS_MONITOR_DISABLE", placeholder: "1|0",
                help: "1 or true turns the monitor off (the job runs unmonitored); 0 or false leaves it on"
            ) { text, settings throws(SettingProblem) in
                settings.configuration.isEnabled = !(try flag(text))
            },
        ]
    }

    /// A duration setting that must lie in `range`.
    private static func duration(
        flag: String, variable: String, help: String, field: String, range: ClosedRange<Duration>,
        _ path: any WritableKeyPath<MonitorEnvironment, Duration> & Sendable
    ) -> Setting<MonitorEnvironment> {
        Setting(
            flag: flag, variable: variable, placeholder: "D", help: help + " (500ms, 2s, 1m, 1h)",
            current: { ConfigurationValue.text($0[keyPath: path]) }
        ) { text, settings throws(SettingProblem) in
            settings[keyPath: path] = try duration(text, field: field, range: range)
        }
    }

    private static func duration(_ text: String, field: String, range: ClosedRange<Duration>) throws(SettingProblem) -> Duration {
        guard let value = ConfigurationValue.duration(text) else { throw SettingProblem(ConfigurationValue.durationProblem(text)) }
        guard range.contains(value) else {
            throw SettingProblem("is out of range: \(field) must be from \(ConfigurationValue.text(range.lowerBound)) "
                + "to \(ConfigurationValue.text(range.upperBound))")
        }
        return value
    }

    private static func integer(_ text: String, in range: ClosedRange<Int>) throws(SettingProblem) -> Int {
        guard let value = ConfigurationValue.integer(text, in: range) else {
            throw SettingProblem("must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    private static func flag(_ text: String) throws(SettingProblem) -> Bool {
        switch text.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw SettingProblem("must be 1, true, 0 or false")
        }
    }

    // MARK: - Exports

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
                    message: "\(MessageValue.quoted(specification.destination)) is named by two exports; each file may have one"
                )
            }
        }
    }

    // MARK: - The process's own environment and arguments

    /// The process's `PROCESS_MONITOR_*` variables as the C library holds them: unlike a
    /// dictionary, this sees a variable set twice (`env X=1 X=2`), which is refused, and bytes
    /// that are not UTF-8 (a path in another encoding), which are refused rather than turned
    /// into U+FFFD.
    ///
    /// - Throws: ``ExportError`` naming a variable set more than once or holding bytes that are
    ///   not UTF-8.
    ///
    /// ```swift
    /// let environment = try MonitorEnvironment(MonitorEnvironment.processVariables())
    /// ```
    public static func processVariables() throws(ExportError) -> [String: String] {
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            entry += 1
            guard strncmp(pointer, SettingsReader.variablePrefix, SettingsReader.variablePrefix.utf8.count) == 0 else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            let name = String(decoding: bytes.prefix { $0 != UInt8(ascii: "=") }, as: UTF8.self)
            let text = try Self.utf8(bytes, what: name)
            guard let equals = text.firstIndex(of: "=") else { continue }
            guard variables[name] == nil else {
                throw ExportError(code: .invalidConfiguration, message: "\(name) is set more than once in the environment")
            }
            variables[name] = String(text[text.index(after: equals)...])
        }
        return variables
    }

    /// The process's arguments after the program name, read as the kernel passed them, so bytes
    /// that are not UTF-8 are refused rather than turned into U+FFFD (which `CommandLine`
    /// does).
    ///
    /// - Throws: ``ExportError`` naming the argument that is not UTF-8.
    package static func processArguments() throws(ExportError) -> [String] {
        var arguments: [String] = []
        for index in 1 ..< Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            arguments.append(try utf8(bytes, what: "argument \(index)"))
        }
        return arguments
    }

    /// `bytes` as a string, or an error saying where the first byte that is not UTF-8 is.
    package static func utf8(_ bytes: UnsafeBufferPointer<UInt8>, what: String) throws(ExportError) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while case .valid(let scalar) = parser.parseScalar(from: &iterator) { offset += scalar.count }
        let shown = MessageValue.quoted(String(decoding: bytes, as: UTF8.self))
        throw ExportError(
            code: .invalidConfiguration,
            message: "\(what) holds bytes that are not UTF-8 (byte \(offset) of \(bytes.count)): \(shown), "
                + "where U+FFFD stands in for them; use a UTF-8 name"
        )
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
        let settings = try MonitorEnvironment(environment, formats: formats, diagnostics: options.diagnostics)
        let exporters: [HeartbeatExporter] = settings.configuration.isEnabled ? try settings.makeExporters(options: options) : []
        do throws(MonitorError) {
            return try ProcessMonitor.start(configuration: settings.configuration, observers: observers + exporters)
        } catch {
            throw ExportError(code: .invalidConfiguration, message: error.message)
        }
    }
}
