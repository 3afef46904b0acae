import ProcessMonitor

/// An exporter described as `FORMAT:DEST[;OPTION=VALUE…]`, the way a command-line flag or
/// `PROCESS_MONITOR_EXPORT` names one.
///
/// `FORMAT` is the name of an ``ExportFormat`` (`text`, `jsonl`, `logfmt`, `prometheus`,
/// `otlp-json`, and any you add); `DEST` is what that format writes to: `stderr`, `stdout` or a
/// file path for the line formats (a path may itself contain `:`). Options, each after a `;`,
/// are the format's own options: the line formats take `max-bytes=64MiB` and
/// `max-files=5` (rotate a file destination by size), the text format also `style=seed|extended`
/// and `prefix=none|timestamp`.
///
/// ```swift
/// let spec = try ExportSpecification(parsing: "jsonl:/var/log/job/heartbeat.jsonl;max-bytes=64MiB;max-files=5")
/// let exporter = try spec.makeExporter(options: ExportOptions(attributes: ["job": "etl"]))
/// ```
public struct ExportSpecification: Sendable, Equatable, CustomStringConvertible {
    /// The format.
    package var format: ExportFormat
    /// The destination, as given.
    package var destination: String
    /// The options given after the destination, `NAME=VALUE` each, in the format's order.
    private var settings: [(option: ExportFormat.Option, value: String)]

    /// Creates a specification without options.
    public init(format: ExportFormat, destination: String) {
        self.format = format
        self.destination = destination
        self.settings = []
    }

    /// Parses `FORMAT:DEST[;OPTION=VALUE…]` against `formats`; the error names what is wrong and
    /// lists what is allowed.
    public init(parsing text: String, formats: [ExportFormat] = ExportFormat.builtIn) throws(ExportError) {
        let quoted = MessageValue.quoted(text)
        guard let colon = text.firstIndex(of: ":") else {
            throw Self.invalid("\(quoted) is not FORMAT:DEST (for example text:stderr or jsonl:heartbeat.jsonl)")
        }
        let name = String(text[..<colon])
        guard let format = formats.first(where: { $0.name == name }) else {
            throw Self.invalid("unknown format \(MessageValue.quoted(name)) (use \(formats.map(\.name).joined(separator: ", ")))")
        }
        var parts = text[text.index(after: colon)...].split(separator: ";", omittingEmptySubsequences: false)
        let destination = parts.isEmpty ? "" : String(parts.removeFirst())
        guard !destination.isEmpty else {
            throw Self.invalid("\(quoted) has no destination (\(format.destinations))")
        }
        self.init(format: format, destination: destination)
        var given: [String: String] = [:]
        for part in parts {
            guard let equals = part.firstIndex(of: "=") else {
                throw Self.invalid("\(quoted): option \(MessageValue.quoted(String(part))) is not NAME=VALUE")
            }
            let key = String(part[..<equals])
            guard format.options.contains(where: { $0.name == key }) else {
                let known = format.options.isEmpty
                    ? "\(format.name) takes no options"
                    : "\(format.name) takes " + Self.list(format.options.map(\.name))
                throw Self.invalid("\(quoted): unknown option \(MessageValue.quoted(key)) (\(known))")
            }
            given[key] = String(part[part.index(after: equals)...])
        }
        settings = format.options.compactMap { option in given[option.name].map { (option, $0) } }
        // Every value is checked now, against options that set nothing, so a bad one fails at start.
        do throws(ExportError) {
            _ = try options(over: ExportOptions())
        } catch {
            throw Self.invalid("\(quoted): \(error.message)")
        }
    }

    /// Specifications are equal when they name the same format, destination and options.
    public static func == (lhs: ExportSpecification, rhs: ExportSpecification) -> Bool {
        lhs.format == rhs.format && lhs.destination == rhs.destination
            && lhs.settings.map { "\($0.option.name)=\($0.value)" } == rhs.settings.map { "\($0.option.name)=\($0.value)" }
    }

    /// `FORMAT:DEST`, then the options this specification sets.
    public var description: String {
        settings.reduce("\(format.name):\(destination)") { $0 + ";\($1.option.name)=\($1.value)" }
    }

    /// `base` with this specification's options applied: what its exporter is made with.
    package func options(over base: ExportOptions) throws(ExportError) -> ExportOptions {
        var options = base
        for setting in settings {
            try setting.option.apply(setting.value, to: &options)
            options.optionValues[setting.option.name] = setting.value
        }
        return options
    }

    /// Opens the destination and pairs it with the format, with this specification's options
    /// over `options`. A destination that cannot be opened throws an ``ExportError`` naming it
    /// and the reason.
    public func makeExporter(options: ExportOptions = ExportOptions()) throws(ExportError) -> HeartbeatExporter {
        try format.makeExporter(destination: destination, options: self.options(over: options))
    }

    /// `a, b or c`.
    private static func list(_ names: [String]) -> String {
        names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
    }

    private static func invalid(_ message: String) -> ExportError {
        ExportError(code: .invalidConfiguration, message: message)
    }
}
