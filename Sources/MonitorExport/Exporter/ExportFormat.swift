import ProcessMonitor

/// A named way to export heartbeats, as `--export NAME:DEST` and `PROCESS_MONITOR_EXPORT` spell
/// it: how to build an exporter for a destination, and, for formats that make a log, how to build
/// the format alone (what `render --to NAME` uses).
///
/// The built-in formats are in ``builtIn``; each is declared next to its format type
/// (``text``, ``jsonl``, ``logfmt``, ``prometheus``, ``otlpJSON``). A format of your own is one
/// value: pass `ExportFormat.builtIn + [myFormat]` wherever formats are looked up by name.
///
/// ```swift
/// let csv = ExportFormat.appendedLines(name: "csv", summary: "comma-separated values") { options in
///     CSVFormat()
/// }
/// let specification = try ExportSpecification(parsing: "csv:stdout", formats: ExportFormat.builtIn + [csv])
/// ```
public struct ExportFormat: Sendable, Equatable, CustomStringConvertible {
    /// The name before the colon: `jsonl` in `jsonl:heartbeat.jsonl`.
    public let name: String
    /// One line for `--help`.
    public let summary: String
    /// What `DEST` may be, for `--help` and error messages.
    public let destinations: String
    private let exporter: @Sendable (String, ExportOptions) throws(ExportError) -> HeartbeatExporter
    private let logFormat: (@Sendable (ExportOptions) throws(ExportError) -> any HeartbeatFormat)?

    /// A format with a destination of its own kind (a URL, a file replaced each time).
    ///
    /// ```swift
    /// let push = ExportFormat(name: "push", summary: "HTTP push", destinations: "a URL") { url, options in
    ///     HeartbeatExporter(format: JSONLinesFormat(), sink: try PushSink(url: url))
    /// }
    /// ```
    public init(
        name: String,
        summary: String,
        destinations: String,
        makeExporter: @escaping @Sendable (_ destination: String, _ options: ExportOptions) throws(ExportError) -> HeartbeatExporter
    ) {
        self.name = name
        self.summary = summary
        self.destinations = destinations
        self.exporter = makeExporter
        self.logFormat = nil
    }

    private init(
        name: String, summary: String,
        makeFormat: @escaping @Sendable (ExportOptions) throws(ExportError) -> any HeartbeatFormat
    ) {
        self.name = name
        self.summary = summary
        self.destinations = "stderr, stdout or a file path"
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
    /// options ask for it), and that `render --to NAME` can produce from a log.
    ///
    /// ```swift
    /// let plain = ExportFormat.appendedLines(name: "plain", summary: "seed text, no options") { _ in TextFormat() }
    /// ```
    public static func appendedLines(
        name: String, summary: String,
        makeFormat: @escaping @Sendable (ExportOptions) throws(ExportError) -> any HeartbeatFormat
    ) -> ExportFormat {
        ExportFormat(name: name, summary: summary, makeFormat: makeFormat)
    }

    /// Opens `destination` and pairs it with this format; errors name what is wrong.
    ///
    /// ```swift
    /// let exporter = try ExportFormat.jsonl.makeExporter(destination: "heartbeat.jsonl", options: ExportOptions())
    /// ```
    public func makeExporter(destination: String, options: ExportOptions) throws(ExportError) -> HeartbeatExporter {
        guard !destination.isEmpty else {
            throw ExportError(code: .invalidConfiguration, message: "\(name): no destination (\(destinations))")
        }
        return try exporter(destination, options)
    }

    /// The format alone, for turning a log into this format; `nil` when it is not a log (a
    /// Prometheus textfile holds one heartbeat).
    ///
    /// ```swift
    /// let format = try ExportFormat.logfmt.makeLogFormat(options: ExportOptions(attributes: record.attributes))
    /// ```
    public func makeLogFormat(options: ExportOptions) throws(ExportError) -> (any HeartbeatFormat)? {
        try logFormat?(options)
    }

    /// Whether ``makeLogFormat(options:)`` gives a format.
    public var makesLog: Bool { logFormat != nil }

    /// The formats `MonitorExport` provides, in the order `--help` lists them.
    ///
    /// ```swift
    /// ExportFormat.builtIn.map(\.name)  // ["text", "jsonl", "logfmt", "prometheus", "otlp-json"]
    /// ```
    public static let builtIn: [ExportFormat] = [.text, .jsonl, .logfmt, .prometheus, .otlpJSON]

    /// Formats are told apart by name.
    public static func == (lhs: ExportFormat, rhs: ExportFormat) -> Bool { lhs.name == rhs.name }

    /// The name.
    public var description: String { name }
}

extension ExportFormat {
    /// The seed's text lines (``TextFormat``); the options' `textStyle` and `textPrefix` apply.
    public static let text = appendedLines(name: "text", summary: "the seed's [process-monitor] lines") { options in
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
        try PrometheusFormat.makeExporter(path: destination, attributes: options.attributes, diagnostics: options.diagnostics)
    }
}
