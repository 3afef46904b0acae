public import ProcessMonitor

/// Renders each heartbeat as logfmt lines (`key=value key="quoted value"`), for tools that read
/// logfmt: Loki, Heroku-style pipelines, `grep`.
///
/// One line for the headline (`msg=heartbeat`, level `info`, with `stalls=N` counting the
/// heartbeat's stalls), one per stall (`msg=stall`, level `warn`), one per ended stall
/// (`msg=stall_end`), one per resource warning (`msg=resource_warning`, level `warn`), one per
/// phase (`msg=phase`), and `msg=phases_omitted` when the core left phases out. At most
/// ``ExportLimits/maxStallLines`` stall lines are written, then one `msg=stalls_omitted` line
/// (level `warn`) counts the rest; the headline's `stalls=N` counts them all. Every line is
/// short, so only labels are cut to keep each within ``ExportLimits/maxLineBytes``. Every line starts with `timestamp`, `level`, `seq` and `msg`,
/// then carries the user attributes as `attr.<key>` so a single line can be filtered on its own.
/// Key names are the JSON Lines ones, flattened: `active_label`, `progress_current`.
///
/// Values follow go-logfmt's encoder, with the additions described at
/// `LineBuffer.appendLogfmtValue(_:)` (quoting of `'`, the bare word `null`, DEL, C1
/// controls and U+2028/U+2029), each still read back identically by go-logfmt's decoder. An
/// unknown figure is written `null`, as go-logfmt writes Go's `nil`; a structure that does not
/// exist (no active phase, no progress counter) leaves its keys out. Each line validates against
/// `schemas/logfmt-line.v3.schema.json` once decoded into a flat map of strings.
///
/// ```swift
/// let format = try LogfmtFormat(attributes: ["job": "train-42"])
/// for line in format.render(heartbeat, context: FormatContext()) { print(line.text) }
/// // timestamp=2024-05-01T12:00:00.000Z level=info seq=7 msg=heartbeat schema_version=2 ...
/// ```
public struct LogfmtFormat: HeartbeatFormat {
    /// The static attributes every line carries as `attr.<key>=<value>`; values already cut to
    /// ``ExportLimits/maxLabelBytes``.
    package let attributes: [String: String]

    /// The label and line limits the format honours.
    package let limits: ExportLimits

    /// ` attr.job=… attr.rank=…`, rendered once and appended to every line.
    private let renderedAttributes: [UInt8]

    /// Creates a format without attributes.
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
        self.renderedAttributes = rendered.bytes.array()
    }

    /// The headline, then one line per stall (`.warning`, at most ``ExportLimits/maxStallLines``,
    /// then `msg=stalls_omitted`), ended stall, resource warning (`.warning`), phase, and for
    /// omitted phases.
    public func render(_ heartbeat: Heartbeat, context: FormatContext) -> [RenderedLine] {
        let listedStalls = min(heartbeat.stalls.count, limits.maxStallLines)
        var lines: [RenderedLine] = []
        lines.reserveCapacity(3 + listedStalls + heartbeat.stallEnds.count + heartbeat.phases.count)
        // Every line starts with the same timestamp: written once, copied after.
        var stamp = LineBuffer(capacity: 40)
        stamp.append("timestamp=")
        stamp.appendTimestamp(heartbeat.timestamp)
        let stamped = StampedHeartbeat(heartbeat: heartbeat, stamp: stamp.bytes.array())
        // One buffer for every line of the heartbeat: each line is a slice of it.
        var out = LineBuffer(capacity: 512 * (2 + listedStalls + heartbeat.phases.count))
        lines.append(headline(stamped, context: context, into: &out))
        for stall in heartbeat.stalls[..<listedStalls] {
            lines.append(element(stamped, stall, RecordFields.stall, level: .warning, kind: "stall", into: &out))
        }
        if listedStalls < heartbeat.stalls.count {
            let start = begin(stamped, level: .warning, kind: "stalls_omitted", into: &out)
            out.append(" stalls_omitted=")
            out.appendInteger(heartbeat.stalls.count - listedStalls)
            lines.append(finish(&out, from: start, level: .warning))
        }
        for end in heartbeat.stallEnds {
            lines.append(element(stamped, end, RecordFields.stallEnd, level: .info, kind: "stall_end", into: &out))
        }
        for warning in heartbeat.resourceWarnings {
            lines.append(element(stamped, warning, RecordFields.warning, level: .warning, kind: "resource_warning", into: &out))
        }
        for forecast in heartbeat.forecasts {
            lines.append(element(stamped, forecast, RecordFields.forecast, level: .warning, kind: "resource_forecast", into: &out))
        }
        for phase in heartbeat.phases {
            lines.append(element(stamped, phase, RecordFields.phase, level: .info, kind: "phase", into: &out))
        }
        if heartbeat.omittedPhases > 0 {
            let start = begin(stamped, level: .info, kind: "phases_omitted", into: &out)
            out.append(" phases_omitted=")
            out.appendInteger(heartbeat.omittedPhases)
            lines.append(finish(&out, from: start, level: .info))
        }
        return lines
    }

    // MARK: - Lines

    /// The headline's fields after the `seq` every line starts with.
    private static let headlineFields = RecordFields.headline.filter { $0.key != "seq" }

    /// The heartbeat and its rendered `timestamp=…`, which every line starts with.
    private struct StampedHeartbeat {
        let heartbeat: Heartbeat
        let stamp: [UInt8]
    }

    private func headline(_ stamped: StampedHeartbeat, context: FormatContext, into out: inout LineBuffer) -> RenderedLine {
        let heartbeat = stamped.heartbeat
        func render(_ labels: ExportLimits, _ fields: [RecordField<Heartbeat>], into out: inout LineBuffer) -> Int {
            let start = begin(stamped, level: .info, kind: "heartbeat", into: &out)
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
            return start
        }
        var start = render(limits, Self.headlineFields, into: &out)
        if out.count - start + renderedAttributes.count > limits.maxLineBytes {
            out.bytes.removeSubrange(start...)
            start = render(limits.tightened, Self.headlineFields, into: &out)
        }
        if out.count - start + renderedAttributes.count > limits.maxLineBytes {
            // Unreachable with the attribute budget enforced at init; drop the label-bearing keys.
            out.bytes.removeSubrange(start...)
            start = render(limits.tightened, Self.headlineFields.filter { $0.key != "active" }, into: &out)
        }
        return finish(&out, from: start, level: .info)
    }

    /// One line for an element of one of the heartbeat's arrays; its labels are cut hard when
    /// the line would be too long (only labels of escaped control characters can do that).
    private func element<Root>(
        _ heartbeat: StampedHeartbeat, _ element: Root, _ fields: [RecordField<Root>], level: HeartbeatLevel, kind: StaticString,
        into out: inout LineBuffer
    ) -> RenderedLine {
        var start = begin(heartbeat, level: level, kind: kind, into: &out)
        out.appendLogfmtFields(element, fields, labels: limits)
        if out.count - start + renderedAttributes.count > limits.maxLineBytes {
            out.bytes.removeSubrange(start...)
            start = begin(heartbeat, level: level, kind: kind, into: &out)
            out.appendLogfmtFields(element, fields, labels: limits.tightened)
        }
        return finish(&out, from: start, level: level)
    }

    /// `timestamp=… level=… seq=… msg=…`: what every line starts with. Returns where the line
    /// starts in `out`.
    private func begin(_ heartbeat: StampedHeartbeat, level: HeartbeatLevel, kind: StaticString, into out: inout LineBuffer) -> Int {
        let start = out.count
        out.append(bytes: heartbeat.stamp)
        out.append(level == .warning ? " level=warn seq=" : " level=info seq=")
        out.appendInteger(heartbeat.heartbeat.sequence)
        out.append(" msg=")
        out.append(kind)
        return start
    }

    /// The line from `start` to the end of `out`, with the attributes appended.
    private func finish(_ out: inout LineBuffer, from start: Int, level: HeartbeatLevel) -> RenderedLine {
        out.append(bytes: renderedAttributes)
        return RenderedLine(text: out.text(from: start), level: level)
    }
}
