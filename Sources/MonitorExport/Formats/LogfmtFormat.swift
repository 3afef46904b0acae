import ProcessMonitor

/// Renders each heartbeat as logfmt lines (`key=value key="quoted value"`), for tools that read
/// logfmt: Loki, Heroku-style pipelines, `grep`.
///
/// One line for the headline (`msg=heartbeat`, level `info`, with `stalls=N` counting the stall
/// lines that follow), one per stall (`msg=stall`, level `warn`), one per ended stall
/// (`msg=stall_end`), one per resource warning (`msg=resource_warning`, level `warn`), one per
/// phase (`msg=phase`), and `msg=phases_omitted` when the core left phases out. Stalls are never
/// left out: every line is short, so only labels are cut to keep each within
/// ``ExportLimits/maxLineBytes``. Every line starts with `timestamp`, `level`, `seq` and `msg`,
/// then carries the user attributes as `attr.<key>` so a single line can be filtered on its own.
/// Key names are the JSON Lines ones, flattened: `active_label`, `progress_current`.
///
/// Values follow go-logfmt's encoder, with the additions described at
/// ``LineBuffer/appendLogfmtValue(_:)`` (quoting of `'`, the bare word `null`, DEL, C1
/// controls and U+2028/U+2029), each still read back identically by go-logfmt's decoder. An
/// unknown figure is written `null`, as go-logfmt writes Go's `nil`; a structure that does not
/// exist (no active phase, no progress counter) leaves its keys out. Each line validates against
/// `schemas/logfmt-line.v2.schema.json` once decoded into a flat map of strings.
///
/// ```swift
/// let format = try LogfmtFormat(attributes: ["job": "train-42"])
/// for line in format.render(heartbeat, context: FormatContext()) { print(line.text) }
/// // timestamp=2024-05-01T12:00:00.000Z level=info seq=7 msg=heartbeat schema_version=2 ...
/// ```
public struct LogfmtFormat: HeartbeatFormat {
    /// The static attributes every line carries as `attr.<key>=<value>`; values already cut to
    /// ``ExportLimits/maxLabelBytes``.
    ///
    /// ```swift
    /// try LogfmtFormat(attributes: ["rank": "3"]).attributes  // ["rank": "3"]
    /// ```
    public let attributes: [String: String]

    /// The label and line limits the format honours.
    ///
    /// ```swift
    /// LogfmtFormat().limits.maxLabelBytes  // 256
    /// ```
    public let limits: ExportLimits

    /// ` attr.job=… attr.rank=…`, rendered once and appended to every line.
    private let renderedAttributes: [UInt8]

    /// Creates a format without attributes.
    ///
    /// ```swift
    /// let format = LogfmtFormat(limits: try ExportLimits(maxLineBytes: 4096))
    /// ```
    public init(limits: ExportLimits = .default) {
        self.attributes = [:]
        self.limits = limits
        self.renderedAttributes = []
    }

    /// Creates a format whose lines all carry `attributes` as `attr.<key>=<value>`.
    ///
    /// Keys follow the same rules as ``JSONLinesFormat/init(attributes:limits:)``: non-empty,
    /// at most 64 bytes, no whitespace, control characters, `=`, `"`, `'` or U+FFFD, so go-logfmt
    /// never has to drop characters from them. Values are cut like labels, and the rendered
    /// attributes may take at most an eighth of ``ExportLimits/maxLineBytes``.
    ///
    /// - Throws: ``ExportError`` with code `invalidConfiguration`, naming the bad key.
    ///
    /// ```swift
    /// let format = try LogfmtFormat(attributes: ["job": "nightly etl", "rank": "0"])
    /// // ... attr.job="nightly etl" attr.rank=0
    /// ```
    public init(attributes: [String: String], limits: ExportLimits = .default) throws(ExportError) {
        let pairs = try MachineAttributes.validated(attributes, limits: limits)
        var rendered = LineBuffer(capacity: 64)
        for pair in pairs {
            rendered.append(" attr.")
            rendered.append(pair.key)
            rendered.append("=")
            rendered.appendLogfmtValue(pair.value)
        }
        try MachineAttributes.checkBudget(renderedBytes: rendered.count, limits: limits)
        self.attributes = Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) })
        self.limits = limits
        self.renderedAttributes = rendered.bytes
    }

    /// The headline, then one line per stall (`.warning`), ended stall, resource warning
    /// (`.warning`), phase, and for omitted phases.
    ///
    /// ```swift
    /// let lines = LogfmtFormat().render(heartbeat, context: FormatContext(droppedRecords: 2))
    /// lines.first?.text.contains("dropped_records=2")  // true
    /// ```
    public func render(_ heartbeat: Heartbeat, context: FormatContext) -> [RenderedLine] {
        var lines: [RenderedLine] = []
        lines.reserveCapacity(2 + heartbeat.stalls.count + heartbeat.stallEnds.count + heartbeat.phases.count)
        lines.append(RenderedLine(text: headline(heartbeat, context: context), level: .info))
        for stall in heartbeat.stalls {
            lines.append(element(heartbeat, stall, RecordFields.stall, level: .warning, kind: "stall"))
        }
        for end in heartbeat.stallEnds {
            lines.append(element(heartbeat, end, RecordFields.stallEnd, level: .info, kind: "stall_end"))
        }
        for warning in heartbeat.resourceWarnings {
            lines.append(element(heartbeat, warning, RecordFields.warning, level: .warning, kind: "resource_warning"))
        }
        for phase in heartbeat.phases {
            lines.append(element(heartbeat, phase, RecordFields.phase, level: .info, kind: "phase"))
        }
        if heartbeat.omittedPhases > 0 {
            var out = start(heartbeat, level: .info, kind: "phases_omitted")
            out.append(" phases_omitted=")
            out.appendInteger(heartbeat.omittedPhases)
            lines.append(RenderedLine(text: finish(&out), level: .info))
        }
        return lines
    }

    // MARK: - Lines

    /// The headline's fields after the `seq` every line starts with.
    private static let headlineFields = RecordFields.headline.filter { $0.key != "seq" }

    private func headline(_ heartbeat: Heartbeat, context: FormatContext) -> String {
        func render(_ labels: ExportLimits, _ fields: [RecordField<Heartbeat>]) -> LineBuffer {
            var out = start(heartbeat, level: .info, kind: "heartbeat")
            out.append(" schema_version=")
            out.appendInteger(UInt64(RecordFields.currentVersion))
            out.appendLogfmtFields(heartbeat, fields, labels: labels)
            out.append(" stalls=")
            out.appendInteger(heartbeat.stalls.count)
            out.append(" stall_ends=")
            out.appendInteger(heartbeat.stallEnds.count)
            out.append(" phases_omitted=")
            out.appendInteger(heartbeat.omittedPhases)
            out.append(" dropped_records=")
            out.appendInteger(context.droppedRecords)
            out.append(bytes: renderedAttributes)
            return out
        }
        let line = render(limits, Self.headlineFields)
        if line.count <= limits.maxLineBytes { return line.text }
        let tightened = render(limits.tightened, Self.headlineFields)
        if tightened.count <= limits.maxLineBytes { return tightened.text }
        // Unreachable with the attribute budget enforced at init; drop the label-bearing keys.
        return render(limits.tightened, Self.headlineFields.filter { $0.key != "active" }).text
    }

    /// One line for an element of one of the heartbeat's arrays; its labels are cut hard when
    /// the line would be too long (only labels of escaped control characters can do that).
    private func element<Root>(
        _ heartbeat: Heartbeat, _ element: Root, _ fields: [RecordField<Root>], level: HeartbeatLevel, kind: StaticString
    ) -> RenderedLine {
        func render(_ labels: ExportLimits) -> LineBuffer {
            var out = start(heartbeat, level: level, kind: kind)
            out.appendLogfmtFields(element, fields, labels: labels)
            out.append(bytes: renderedAttributes)
            return out
        }
        var line = render(limits)
        if line.count > limits.maxLineBytes { line = render(limits.tightened) }
        return RenderedLine(text: line.text, level: level)
    }

    /// `timestamp=… level=… seq=… msg=…`: what every line starts with.
    private func start(_ heartbeat: Heartbeat, level: HeartbeatLevel, kind: StaticString) -> LineBuffer {
        var out = LineBuffer(capacity: 384 + renderedAttributes.count)
        out.append("timestamp=")
        out.appendTimestamp(heartbeat.timestamp)
        out.append(level == .warning ? " level=warn seq=" : " level=info seq=")
        out.appendInteger(heartbeat.sequence)
        out.append(" msg=")
        out.append(kind)
        return out
    }

    private func finish(_ out: inout LineBuffer) -> String {
        out.append(bytes: renderedAttributes)
        return out.text
    }
}
