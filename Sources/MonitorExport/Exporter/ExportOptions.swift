import ProcessMonitor

/// What every exporter built from a specification shares: attributes, rotation, the text
/// style, limits, diagnostics, and the queue size. A specification's own options
/// (`;max-bytes=…;style=…`) override these for that exporter.
///
/// ```swift
/// var options = ExportOptions(attributes: ["job": "train-42"])
/// options.rotation = RotationPolicy(maxBytes: 64 << 20, maxFiles: 5)
/// let exporter = try ExportSpecification(parsing: "jsonl:/var/log/job/hb.jsonl").makeExporter(options: options)
/// ```
public struct ExportOptions: Sendable {
    /// Static attributes (job id, rank) carried by the machine formats and as Prometheus labels.
    public var attributes: [String: String]
    /// Size-based rotation for appended file destinations; `nil` appends to one file.
    public var rotation: RotationPolicy?
    /// The text format's style.
    public var textStyle: TextFormat.Style
    /// What the text format puts in front of each line.
    public var textPrefix: TextFormat.Prefix
    /// Label and line limits.
    public var limits: ExportLimits
    /// Where sinks report their own faults.
    public var diagnostics: SinkDiagnostics
    /// Heartbeats that may wait for an exporter before the oldest is dropped.
    public var queueCapacity: Int
    /// The `;NAME=VALUE` options of the specification the exporter is made from, by name, as
    /// written, once each has passed its ``ExportFormat/Option``'s check: how an option of a
    /// format of your own reaches its `makeExporter` closure (the built-in options are here
    /// too, and also set the typed fields above). Empty for options not made from a specification.
    public var optionValues: [String: String] = [:]

    /// Creates options; the defaults are those of each type.
    public init(
        attributes: [String: String] = [:],
        rotation: RotationPolicy? = nil,
        textStyle: TextFormat.Style = .seed,
        textPrefix: TextFormat.Prefix = .none,
        limits: ExportLimits = .default,
        diagnostics: SinkDiagnostics = .standard,
        queueCapacity: Int = 16
    ) {
        self.attributes = attributes
        self.rotation = rotation
        self.textStyle = textStyle
        self.textPrefix = textPrefix
        self.limits = limits
        self.diagnostics = diagnostics
        self.queueCapacity = queueCapacity
    }
}
