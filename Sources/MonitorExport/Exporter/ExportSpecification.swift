import ProcessMonitor

/// An exporter described as `FORMAT:DEST`, the way a command-line flag names one.
///
/// `FORMAT` is `text`, `jsonl`, `logfmt` or `prometheus`; `DEST` is `stderr`, `stdout` or a file
/// path (which may itself contain `:`). `prometheus:PATH` takes a path ending in `.prom` only: the file
/// node_exporter's textfile collector reads, replaced on every heartbeat. Handy for giving your
/// own job an `--export` flag.
/// `FORMAT` is `text`, `jsonl`, `logfmt` or `otlp-json`; `DEST` is `stderr`, `stdout` or a file
/// path (which may itself contain `:`). Handy for giving your own job an `--export` flag.
///
/// ```swift
/// let spec = try ExportSpecification(parsing: "jsonl:/var/log/job/heartbeat.jsonl")
/// let exporter = try spec.makeExporter(rotation: RotationPolicy(maxBytes: 64 << 20, maxFiles: 5))
/// ```
public struct ExportSpecification: Sendable, Equatable, CustomStringConvertible {
    /// The output formats a specification can name.
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// The seed's text lines (``TextFormat``).
        case text
        /// One JSON object per heartbeat (``JSONLinesFormat``).
        case jsonl
        /// logfmt lines (``LogfmtFormat``).
        case logfmt
        /// A Prometheus textfile, replaced on every heartbeat (``PrometheusFormat``,
        /// ``PrometheusTextfileSink``); the destination must be a `.prom` path.
        case prometheus
        /// OTLP/JSON requests, one per line, as the Collector's `otlpjsonfile` receiver reads
        /// them (``OTLPJSONFormat``).
        ///
        /// ```swift
        /// try ExportSpecification(parsing: "otlp-json:heartbeat.otlp.jsonl").format == .otlpJSON  // true
        /// ```
        case otlpJSON = "otlp-json"
    }

    /// Where the lines go.
    public enum Destination: Sendable, Equatable {
        /// File descriptor 2.
        case standardError
        /// File descriptor 1.
        case standardOutput
        /// A file, appended to (or rotated, with a ``RotationPolicy``).
        case file(String)
    }

    /// The format.
    public var format: Format
    /// The destination.
    public var destination: Destination

    /// Creates a specification.
    ///
    /// ```swift
    /// ExportSpecification(format: .text, destination: .standardError)
    /// ```
    public init(format: Format, destination: Destination) {
        self.format = format
        self.destination = destination
    }

    /// Parses `FORMAT:DEST`; the error names what is wrong and lists what is allowed.
    ///
    /// ```swift
    /// try ExportSpecification(parsing: "logfmt:stdout")
    /// ```
    public init(parsing text: String) throws(ExportError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw ExportError(
                code: .invalidConfiguration,
                message: "\"\(text)\" is not FORMAT:DEST (for example text:stderr or jsonl:heartbeat.jsonl)"
            )
        }
        let formatName = String(text[..<colon])
        let target = String(text[text.index(after: colon)...])
        guard let format = Format(rawValue: formatName) else {
            let known = Format.allCases.map(\.rawValue).joined(separator: ", ")
            throw ExportError(code: .invalidConfiguration, message: "unknown format \"\(formatName)\" (use \(known))")
        }
        let destination: Destination
        switch target {
        case "stderr": destination = .standardError
        case "stdout": destination = .standardOutput
        case "": throw ExportError(code: .invalidConfiguration, message: "\"\(text)\" has no destination (stderr, stdout or a path)")
        default: destination = .file(target)
        }
        if format == .prometheus, destination == .standardError || destination == .standardOutput {
            throw Self.prometheusNeedsAFile(text)
        }
        self.init(format: format, destination: destination)
    }

    /// `FORMAT:DEST`, as parsed.
    public var description: String {
        switch destination {
        case .standardError: "\(format.rawValue):stderr"
        case .standardOutput: "\(format.rawValue):stdout"
        case .file(let path): "\(format.rawValue):\(path)"
        }
    }

    /// Opens the destination and pairs it with the format.
    ///
    /// A file that cannot be opened throws an ``ExportError`` naming the path and the reason.
    /// `rotation` applies to appended file destinations only (a Prometheus textfile is replaced,
    /// never rotated); `attributes` to the machine formats, and as labels to `prometheus`.
    ///
    /// ```swift
    /// let exporter = try ExportSpecification(parsing: "text:stderr").makeExporter()
    /// ```
    public func makeExporter(
        rotation: RotationPolicy? = nil,
        attributes: [String: String] = [:],
        textStyle: TextFormat.Style = .seed,
        limits: ExportLimits = .default
    ) throws(ExportError) -> HeartbeatExporter {
        if format == .prometheus, case .file(let path) = destination {
            return try PrometheusFormat.makeExporter(path: path, attributes: attributes)
        }
        let renderer: any HeartbeatFormat
        switch format {
        case .text: renderer = TextFormat(style: textStyle, limits: limits)
        case .jsonl: renderer = try JSONLinesFormat(attributes: attributes, limits: limits)
        case .logfmt: renderer = try LogfmtFormat(attributes: attributes, limits: limits)
        case .prometheus: throw Self.prometheusNeedsAFile(description)
        case .otlpJSON: renderer = try OTLPJSONFormat(attributes: attributes, limits: limits)
        }
        let sink: any HeartbeatSink
        switch destination {
        case .standardError: sink = StandardStreamSink.standardError
        case .standardOutput: sink = StandardStreamSink.standardOutput
        case .file(let path):
            if let rotation {
                sink = try RotatingFileSink(path: path, maxBytes: rotation.maxBytes, maxFiles: rotation.maxFiles)
            } else {
                sink = try FileSink(path: path)
            }
        }
        return HeartbeatExporter(format: renderer, sink: sink)
    }

    private static func prometheusNeedsAFile(_ text: String) -> ExportError {
        ExportError(
            code: .invalidConfiguration,
            message: "\"\(text)\": prometheus writes a file for node_exporter's textfile collector; "
                + "give a path ending in .prom (for example prometheus:/var/lib/node_exporter/textfile/job.prom)"
        )
    }
}
