import ProcessMonitor

/// A named way to export heartbeats, as `--export NAME:DEST` and `PROCESS_MONITOR_EXPORT` spell
/// it: how to build an exporter for a destination, and, for formats that make a log, how to build
/// the format alone (what `render --to NAME` uses).
///
/// The built-in formats are in ``builtIn``; each is declared next to its format type
/// (``text``, ``jsonl``, ``logfmt``, ``prometheus``, ``otlpJSON``). A format (or sink kind) of
/// your own is one value, with the ``Option``s it takes after `;`: declare it in a file of its
/// own and pass `ExportFormat.builtIn + [myFormat]` wherever formats are looked up by name. No
/// parser needs to learn its name or its options.
///
/// ```swift
/// struct CSVFormat: HeartbeatFormat {
///     func render(_ heartbeat: Heartbeat, context: FormatContext) -> [RenderedLine] {
///         [RenderedLine(text: "\(heartbeat.sequence),\(heartbeat.resources.rssBytes ?? 0)", level: heartbeat.level)]
///     }
/// }
/// let csv = ExportFormat.appendedLines(name: "csv", summary: "sequence and RSS, comma-separated") { _ in
///     CSVFormat()
/// }
/// let specification = try ExportSpecification(parsing: "csv:stdout", formats: ExportFormat.builtIn + [csv])
/// ```
public struct ExportFormat: Sendable, Equatable {
    /// The name before the colon: `jsonl` in `jsonl:heartbeat.jsonl`.
    public let name: String
    /// One line for `--help`.
    package let summary: String
    /// What `DEST` may be, for `--help` and error messages.
    package let destinations: String
    /// The options a specification may set after `DEST`, each `;NAME=VALUE`, in the order they
    /// are applied.
    package let options: [Option]
    private let exporter: @Sendable (String, ExportOptions) throws(ExportError) -> HeartbeatExporter
    private let logFormat: (@Sendable (ExportOptions) throws(ExportError) -> any HeartbeatFormat)?

    /// A format with a destination of its own kind (a URL, a file replaced each time).
    ///
    /// ```swift
    /// let spool = ExportFormat(name: "spool", summary: "JSON Lines, one file per process",
    ///                          destinations: "a directory") { directory, options throws(ExportError) in
    ///     let path = directory + "/heartbeat-\(ProcessInfo.processInfo.processIdentifier).jsonl"
    ///     return HeartbeatExporter(format: try JSONLinesFormat(attributes: options.attributes),
    ///                              sink: try FileSink(path: path, diagnostics: options.diagnostics))
    /// }
    /// ```
    public init(
        name: String,
        summary: String,
        destinations: String,
        options: [Option] = [],
        makeExporter: @escaping @Sendable (_ destination: String, _ options: ExportOptions) throws(ExportError) -> HeartbeatExporter
    ) {
        self.name = name
        self.summary = summary
        self.destinations = destinations
        self.options = options
        self.exporter = makeExporter
        self.logFormat = nil
    }

    private init(
        name: String, summary: String, options: [Option],
        makeFormat: @escaping @Sendable (ExportOptions) throws(ExportError) -> any HeartbeatFormat
    ) {
        self.name = name
        self.summary = summary
        self.destinations = "stderr, stdout or a file path"
        self.options = options
        self.logFormat = makeFormat
        self.exporter = { destination, options throws(ExportError) in
            let format = try makeFormat(options)
            let sink: any HeartbeatSink
            switch destination {
            case "stderr": sink = StandardStreamSink.standardError
            case "stdout": sink = StandardStreamSink.standardOutput
            default:
                if let rotation = options.rotation {
                    sink = try RotatingFileSink(path: destination, maxBytes: rotation.maxBytes, maxFiles: rotation.maxFiles,
                                                diagnostics: options.diagnostics)
                } else {
                    sink = try FileSink(path: destination, diagnostics: options.diagnostics)
                }
            }
            return HeartbeatExporter(format: format, sink: sink, queueCapacity: options.queueCapacity)
        }
    }

    /// A format whose lines are appended to `stderr`, `stdout` or a file (rotated when the
    /// options ask for it: `max-bytes` and `max-files` come first, then
    /// `options`), and that `render --to NAME` can produce from a log.
    public static func appendedLines(
        name: String, summary: String, options: [Option] = [],
        makeFormat: @escaping @Sendable (ExportOptions) throws(ExportError) -> any HeartbeatFormat
    ) -> ExportFormat {
        ExportFormat(name: name, summary: summary, options: [.maxBytes, .maxFiles] + options, makeFormat: makeFormat)
    }

    /// Opens `destination` and pairs it with this format; errors name what is wrong.
    package func makeExporter(destination: String, options: ExportOptions) throws(ExportError) -> HeartbeatExporter {
        guard !destination.isEmpty else {
            throw ExportError(code: .invalidConfiguration, message: "\(name): no destination (\(destinations))")
        }
        return try exporter(destination, options)
    }

    /// The format alone, for turning a log into this format; `nil` when it is not a log (a
    /// Prometheus textfile holds one heartbeat).
    package func makeLogFormat(options: ExportOptions) throws(ExportError) -> (any HeartbeatFormat)? {
        try logFormat?(options)
    }

    /// Whether ``makeLogFormat(options:)`` gives a format.
    package var makesLog: Bool { logFormat != nil }

    /// The formats `MonitorExport` provides, in the order `--help` lists them.
    public static let builtIn: [ExportFormat] = [.text, .jsonl, .logfmt, .prometheus, .otlpJSON]

    /// Formats are told apart by name.
    public static func == (lhs: ExportFormat, rhs: ExportFormat) -> Bool { lhs.name == rhs.name }
}

extension ExportFormat {
    /// The seed's text lines (``TextFormat``); the options' `textStyle` and `textPrefix` apply,
    /// and a specification may set them (`;style=extended;prefix=timestamp`).
    public static let text = appendedLines(
        name: "text", summary: "the seed's [process-monitor] lines", options: [.style, .prefix]
    ) { options in
        TextFormat(style: options.textStyle, prefix: options.textPrefix, limits: options.limits)
    }

    /// One JSON object per heartbeat (``JSONLinesFormat``).
    public static let jsonl = appendedLines(name: "jsonl", summary: "one JSON object per heartbeat") { options throws(ExportError) in
        try JSONLinesFormat(attributes: options.attributes, limits: options.limits)
    }

    /// logfmt lines (``LogfmtFormat``).
    public static let logfmt = appendedLines(name: "logfmt", summary: "key=value lines") { options throws(ExportError) in
        try LogfmtFormat(attributes: options.attributes, limits: options.limits)
    }

    /// OTLP/JSON requests, one per line, as the Collector's `otlpjsonfile` receiver reads them
    /// (``OTLPJSONFormat``).
    public static let otlpJSON = appendedLines(name: "otlp-json", summary: "OTLP/JSON logs and metrics requests, one per line") {
        options throws(ExportError) in
        try OTLPJSONFormat(attributes: options.attributes, limits: options.limits)
    }

    /// A Prometheus textfile for node_exporter, replaced on every heartbeat (``PrometheusFormat``,
    /// ``PrometheusTextfileSink``); the destination is a path ending in `.prom`.
    public static let prometheus = ExportFormat(
        name: "prometheus", summary: "a node_exporter textfile, replaced each heartbeat",
        destinations: "a path ending in .prom"
    ) { destination, options throws(ExportError) in
        HeartbeatExporter(format: try PrometheusFormat(attributes: options.attributes),
                          sink: try PrometheusTextfileSink(path: destination, diagnostics: options.diagnostics))
    }
}

// MARK: - Options

extension ExportFormat {
    /// An option of a specification, `;NAME=VALUE` after its destination: what it is called,
    /// what it may be, and what it changes in the ``ExportOptions`` the exporter is made with.
    /// Once the value has passed the check, it reaches the format's `makeExporter` closure in
    /// ``ExportOptions/optionValues`` too, so an option of your own need only check it.
    ///
    /// ```swift
    /// let compact = ExportFormat.Option(name: "compact", values: "yes or no") { value, _ throws(ExportError) in
    ///     guard value == "yes" || value == "no" else {
    ///         throw ExportError(code: .invalidConfiguration, message: "compact must be yes or no (got \(value))")
    ///     }
    /// }
    /// // makeExporter reads it back: options.optionValues["compact"] == "yes"
    /// ```
    public struct Option: Sendable {
        /// The name before `=`.
        package let name: String
        /// What the value may be, for `--help` and error messages.
        package let values: String
        private let change: @Sendable (String, inout ExportOptions) throws(ExportError) -> Void

        /// An option that `apply`s its value to the options; `apply` throws an ``ExportError``
        /// naming the option and the bad value.
        public init(
            name: String, values: String,
            apply: @escaping @Sendable (_ value: String, _ options: inout ExportOptions) throws(ExportError) -> Void
        ) {
            self.name = name
            self.values = values
            self.change = apply
        }

        /// Applies `value` to `options`.
        func apply(_ value: String, to options: inout ExportOptions) throws(ExportError) {
            try change(value, &options)
        }

        /// `NAME must be VALUES (got "VALUE")`, the value cut when long.
        package static func invalid(_ name: String, _ values: String, _ value: String) -> ExportError {
            ExportError(code: .invalidConfiguration, message: "\(name) must be \(values) (got \(MessageValue.quoted(value)))")
        }

        /// `max-bytes=SIZE`: rotate a file once it would pass SIZE (`4000`, `64KiB`, `10MiB`).
        package static let maxBytes = Option(name: "max-bytes", values: "a size like 4000, 64KiB or 10MiB") {
            value, options throws(ExportError) in
            guard let bytes = ConfigurationValue.byteCount(value), bytes >= 1 else {
                throw invalid("max-bytes", "a size like 4000, 64KiB or 10MiB", value)
            }
            options.rotation = RotationPolicy(maxBytes: bytes, maxFiles: options.rotation?.maxFiles ?? 5)
        }

        /// `max-files=N`: keep N rotated files (1 through 1000); needs a size to rotate at.
        package static let maxFiles = Option(name: "max-files", values: "a whole number from 1 to 1000") {
            value, options throws(ExportError) in
            guard let files = ConfigurationValue.integer(value, in: RotatingFileSink.maxFilesRange) else {
                throw invalid("max-files", "a whole number from 1 to 1000", value)
            }
            guard options.rotation != nil else {
                throw ExportError(code: .invalidConfiguration, message: "max-files needs max-bytes")
            }
            options.rotation?.maxFiles = files
        }

        /// `style=seed|extended`: the text format's style.
        package static let style = Option(name: "style", values: "seed or extended") { value, options throws(ExportError) in
            switch value {
            case "seed": options.textStyle = .seed
            case "extended": options.textStyle = .extended
            default: throw invalid("style", "seed or extended", value)
            }
        }

        /// `prefix=none|timestamp`: the text format's prefix.
        package static let prefix = Option(name: "prefix", values: "none or timestamp") { value, options throws(ExportError) in
            switch value {
            case "none": options.textPrefix = TextFormat.Prefix.none
            case "timestamp": options.textPrefix = .timestampAndLevel
            default: throw invalid("prefix", "none or timestamp", value)
            }
        }
    }
}
