import ProcessMonitor

/// An exporter described as `FORMAT:DEST[;OPTION=VALUE…]`, the way a command-line flag or
/// `PROCESS_MONITOR_EXPORT` names one.
///
/// `FORMAT` is the name of an ``ExportFormat`` (`text`, `jsonl`, `logfmt`, `prometheus`,
/// `otlp-json`, and any you add); `DEST` is what that format writes to: `stderr`, `stdout` or a
/// file path for the line formats (a path may itself contain `:`). Options, each after a `;`:
/// - `max-bytes=64MiB` and `max-files=5`: rotate a file destination by size;
/// - `style=seed|extended` and `prefix=none|timestamp`: the text format's style and prefix.
///
/// ```swift
/// let spec = try ExportSpecification(parsing: "jsonl:/var/log/job/heartbeat.jsonl;max-bytes=64MiB;max-files=5")
/// let exporter = try spec.makeExporter(options: ExportOptions(attributes: ["job": "etl"]))
/// ```
public struct ExportSpecification: Sendable, Equatable, CustomStringConvertible {
    /// The format.
    public var format: ExportFormat
    /// The destination, as given.
    public var destination: String
    /// Rotation this specification asks for, overriding the shared options'.
    public var rotation: RotationPolicy?
    /// The text style this specification asks for, overriding the shared options'.
    public var textStyle: TextFormat.Style?
    /// The text prefix this specification asks for, overriding the shared options'.
    public var textPrefix: TextFormat.Prefix?

    /// Creates a specification.
    ///
    /// ```swift
    /// ExportSpecification(format: .text, destination: "stderr")
    /// ```
    public init(
        format: ExportFormat, destination: String, rotation: RotationPolicy? = nil,
        textStyle: TextFormat.Style? = nil, textPrefix: TextFormat.Prefix? = nil
    ) {
        self.format = format
        self.destination = destination
        self.rotation = rotation
        self.textStyle = textStyle
        self.textPrefix = textPrefix
    }

    /// Parses `FORMAT:DEST[;OPTION=VALUE…]` against `formats`; the error names what is wrong and
    /// lists what is allowed.
    ///
    /// ```swift
    /// try ExportSpecification(parsing: "logfmt:stdout")
    /// try ExportSpecification(parsing: "text:hb.log;prefix=timestamp;style=extended")
    /// ```
    public init(parsing text: String, formats: [ExportFormat] = ExportFormat.builtIn) throws(ExportError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw Self.invalid("\(text.debugDescription) is not FORMAT:DEST (for example text:stderr or jsonl:heartbeat.jsonl)")
        }
        let name = String(text[..<colon])
        guard let format = formats.first(where: { $0.name == name }) else {
            throw Self.invalid("unknown format \(name.debugDescription) (use \(formats.map(\.name).joined(separator: ", ")))")
        }
        var parts = text[text.index(after: colon)...].split(separator: ";", omittingEmptySubsequences: false)
        let destination = parts.isEmpty ? "" : String(parts.removeFirst())
        guard !destination.isEmpty else {
            throw Self.invalid("\(text.debugDescription) has no destination (\(format.destinations))")
        }
        self.init(format: format, destination: destination)
        var maxBytes: Int?
        var maxFiles: Int?
        for option in parts {
            guard let equals = option.firstIndex(of: "=") else {
                throw Self.invalid("\(text.debugDescription): option \(String(option).debugDescription) is not NAME=VALUE")
            }
            let key = String(option[..<equals])
            let value = String(option[option.index(after: equals)...])
            switch key {
            case "max-bytes":
                guard let bytes = ConfigurationValue.byteCount(value), bytes >= 1 else {
                    throw Self.invalid("\(text.debugDescription): max-bytes must be a size like 4000, 64KiB or 10MiB (got \(value.debugDescription))")
                }
                maxBytes = bytes
            case "max-files":
                guard let files = ConfigurationValue.integer(value, in: RotatingFileSink.maxFilesRange) else {
                    throw Self.invalid("\(text.debugDescription): max-files must be a whole number from 1 to 1000 (got \(value.debugDescription))")
                }
                maxFiles = files
            case "style":
                switch value {
                case "seed": textStyle = .seed
                case "extended": textStyle = .extended
                default: throw Self.invalid("\(text.debugDescription): style must be seed or extended (got \(value.debugDescription))")
                }
            case "prefix":
                switch value {
                case "none": textPrefix = TextFormat.Prefix.none
                case "timestamp": textPrefix = .timestampAndLevel
                default: throw Self.invalid("\(text.debugDescription): prefix must be none or timestamp (got \(value.debugDescription))")
                }
            default:
                throw Self.invalid("\(text.debugDescription): unknown option \(key.debugDescription) (use max-bytes, max-files, style or prefix)")
            }
        }
        if maxFiles != nil && maxBytes == nil {
            throw Self.invalid("\(text.debugDescription): max-files needs max-bytes")
        }
        if let maxBytes { rotation = RotationPolicy(maxBytes: maxBytes, maxFiles: maxFiles ?? 5) }
    }

    /// `FORMAT:DEST`, with the options this specification sets.
    public var description: String {
        var text = "\(format.name):\(destination)"
        if let rotation { text += ";max-bytes=\(rotation.maxBytes);max-files=\(rotation.maxFiles)" }
        if let textStyle { text += ";style=\(textStyle)" }
        if let textPrefix { text += ";prefix=\(textPrefix == .timestampAndLevel ? "timestamp" : "none")" }
        return text
    }

    /// Opens the destination and pairs it with the format, with this specification's options
    /// over `options`. A destination that cannot be opened throws an ``ExportError`` naming it
    /// and the reason.
    ///
    /// ```swift
    /// let exporter = try ExportSpecification(parsing: "text:stderr").makeExporter()
    /// ```
    public func makeExporter(options: ExportOptions = ExportOptions()) throws(ExportError) -> HeartbeatExporter {
        var options = options
        if let rotation { options.rotation = rotation }
        if let textStyle { options.textStyle = textStyle }
        if let textPrefix { options.textPrefix = textPrefix }
        return try format.makeExporter(destination: destination, options: options)
    }

    private static func invalid(_ message: String) -> ExportError {
        ExportError(code: .invalidConfiguration, message: message)
    }
}
