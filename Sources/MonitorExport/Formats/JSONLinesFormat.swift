import Foundation
public import ProcessMonitor

/// Renders each heartbeat as one JSON object on one line (JSON Lines), for log aggregators.
///
/// Keys come in a fixed order, `timestamp` first, so a human scanning the raw file and a
/// `grep` both find what they look for at the start of the line. Every value the text format
/// shows is here as a number with its unit in the key (`elapsed_s`, `rss_bytes`); unknown
/// values are `null`, never `NaN`. Durations are seconds with exactly three fraction digits and
/// fractional figures are Swift's shortest round-trip decimal, so ``HeartbeatRecordDecoder``
/// reads back the identical heartbeat. The fields are those of `schemas/heartbeat.v3.schema.json`.
///
/// Labels and thread names are cut to ``ExportLimits/maxLabelBytes``. When a record would still
/// exceed ``ExportLimits/maxLineBytes`` (stalls are never capped, so a thousand stuck threads
/// could do it), trailing phases, then trailing stall ends, then trailing stalls are left out
/// and counted in `phases_omitted`, `stall_ends_omitted` and `stalls_omitted`.
///
/// ```swift
/// let format = try JSONLinesFormat(attributes: ["job": "train-42", "rank": "3"])
/// let monitor = try ProcessMonitor.start(observers: [
///     HeartbeatExporter(format: format, sink: StandardStreamSink.standardError),
/// ])
/// ```
public struct JSONLinesFormat: HeartbeatFormat {
    /// The value of `schema_version` in every record; it changes when a field is added,
    /// changes meaning or is removed, together with the schema's `$id`.
    public static let schemaVersion = RecordFields.currentVersion

    /// The static attributes every record carries in its `attributes` object; values already
    /// cut to ``ExportLimits/maxLabelBytes``.
    package let attributes: [String: String]

    /// The label and line limits the format honours.
    package let limits: ExportLimits

    /// `"attributes":{…}`, rendered once: attributes never change, so no record pays for them.
    private let renderedAttributes: [UInt8]

    /// Creates a format without attributes.
    public init(limits: ExportLimits = .default) {
        self.attributes = [:]
        self.limits = limits
        self.renderedAttributes = Array("\"attributes\":{}".utf8)
    }

    /// Creates a format whose records carry `attributes` (job id, rank, host) in their own object.
    ///
    /// Keys must be non-empty, at most 64 bytes, and free of whitespace, control characters,
    /// `=`, `"`, `'` and U+FFFD, so that the same attributes work unchanged as logfmt keys.
    /// Values of any content are cut like labels. Together the attributes may take at most an
    /// eighth of ``ExportLimits/maxLineBytes``, so the heartbeat itself always fits.
    ///
    /// - Throws: ``ExportError`` with code `invalidConfiguration`, naming the bad key.
    public init(attributes: [String: String], limits: ExportLimits = .default) throws(ExportError) {
        let pairs = try MachineAttributes.validated(attributes, limits: limits)
        var rendered = LineBuffer(capacity: 64)
        rendered.append("\"attributes\":{")
        for (index, pair) in pairs.enumerated() {
            if index > 0 { rendered.append(",") }
            rendered.appendJSONString(pair.key)
            rendered.append(":")
            rendered.appendJSONString(pair.value)
        }
        rendered.append("}")
        try MachineAttributes.checkBudget(renderedBytes: rendered.count, limits: limits)
        self.attributes = Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) })
        self.limits = limits
        self.renderedAttributes = rendered.bytes.array()
    }

    /// One line: the heartbeat's JSON record, at level `.warning` when it carries stalls or
    /// resource warnings.
    public func render(_ heartbeat: Heartbeat, context: FormatContext) -> [RenderedLine] {
        [RenderedLine(text: record(for: heartbeat, context: context), level: heartbeat.level)]
    }

    /// The heartbeat's JSON record as text, without a trailing newline.
    ///
    /// ```swift
    /// let json = JSONLinesFormat().record(for: heartbeat)
    /// // {"timestamp":"2024-05-01T12:00:00.000Z","level":"info","message":"heartbeat: idle",...}
    /// ```
    public func record(for heartbeat: Heartbeat, context: FormatContext = FormatContext()) -> String {
        // The common case in one buffer; only a record over the limit is taken apart.
        var out = LineBuffer(capacity: 1024 + 200 * (heartbeat.stalls.count + heartbeat.stallEnds.count + heartbeat.phases.count))
        Self.write(heartbeat, labels: limits, labelInMessage: true, context: context, attributes: renderedAttributes, into: &out) {
            out, key, elements in
            switch key {
            case .stalls: for (index, stall) in heartbeat.stalls.enumerated() { out.appendElement(stall, RecordFields.stall, index, limits) }
            case .stallEnds: for (index, end) in heartbeat.stallEnds.enumerated() { out.appendElement(end, RecordFields.stallEnd, index, limits) }
            case .phases: for (index, phase) in heartbeat.phases.enumerated() { out.appendElement(phase, RecordFields.phase, index, limits) }
            }
            return elements
        }
        if out.count <= limits.maxLineBytes { return out.text }
        return fittedRecord(for: heartbeat, context: context)
    }

    /// The arrays a record can shorten to fit the line limit.
    enum TrimmableArray { case stalls, stallEnds, phases }

    /// The whole record; `elements` writes the members of a trimmable array and returns how
    /// many it wrote (the rest are counted as omitted).
    static func write(
        _ heartbeat: Heartbeat, labels: ExportLimits, labelInMessage: Bool, context: FormatContext, attributes: [UInt8],
        into out: inout LineBuffer, elements: (inout LineBuffer, TrimmableArray, Int) -> Int
    ) {
        out.append("{\"timestamp\":\"")
        out.appendTimestamp(heartbeat.timestamp)
        out.append("\",\"level\":\"")
        out.append(heartbeat.level == .warning ? "warn" : "info")
        out.append("\",\"message\":\"")
        out.appendHeartbeatSummary(heartbeat, labels: labels, labelInMessage: labelInMessage) { $0.appendJSONStringContent($1) }
        out.append("\",\"schema_version\":")
        out.appendInteger(UInt64(RecordFields.currentVersion))
        out.appendJSONFields(heartbeat, RecordFields.headline, labels: labels, leadingComma: true)
        out.append(",\"stalls\":[")
        let stalls = elements(&out, .stalls, heartbeat.stalls.count)
        out.append("],\"stalls_omitted\":")
        out.appendInteger(heartbeat.stalls.count - stalls)
        out.append(",\"stall_ends\":[")
        let ends = elements(&out, .stallEnds, heartbeat.stallEnds.count)
        out.append("],\"stall_ends_omitted\":")
        out.appendInteger(heartbeat.stallEnds.count - ends)
        out.append(",\"warnings\":[")
        if ResourceWarning.anyWarning(for: heartbeat.resources) {
            for (index, warning) in heartbeat.resourceWarnings.enumerated() {
                out.appendElement(warning, RecordFields.warning, index, labels)
            }
        }
        out.append("],\"forecasts\":[")
        for (index, forecast) in heartbeat.forecasts.enumerated() {
            out.appendElement(forecast, RecordFields.forecast, index, labels)
        }
        out.append("],\"phases\":[")
        let phases = elements(&out, .phases, heartbeat.phases.count)
        out.append("],\"phases_omitted\":")
        out.appendInteger(heartbeat.omittedPhases + heartbeat.phases.count - phases)
        out.append(",\"dropped_records\":")
        out.appendInteger(context.droppedRecords)
        out.append(",")
        out.append(bytes: attributes)
        out.append("}")
    }

    // MARK: - Keeping within the line limit

    /// How many of each array's leading elements a record keeps.
    private struct Kept {
        var stalls: Int
        var stallEnds: Int
        var phases: Int
    }

    /// A heartbeat's arrays rendered element by element, so a record that is too long can drop
    /// trailing elements without rendering everything again.
    private struct Parts {
        let heartbeat: Heartbeat
        let labels: ExportLimits
        let labelInMessage: Bool
        var stalls: [[UInt8]]
        var stallEnds: [[UInt8]]
        var phases: [[UInt8]]

        init(_ heartbeat: Heartbeat, labels: ExportLimits, labelInMessage: Bool = true) {
            self.heartbeat = heartbeat
            self.labels = labels
            self.labelInMessage = labelInMessage
            func render<Root>(_ elements: [Root], _ fields: [RecordField<Root>]) -> [[UInt8]] {
                elements.map { element in
                    var out = LineBuffer(capacity: 160)
                    out.appendJSONObject(element, fields, labels: labels)
                    return out.bytes.array()
                }
            }
            stalls = render(heartbeat.stalls, RecordFields.stall)
            stallEnds = render(heartbeat.stallEnds, RecordFields.stallEnd)
            phases = render(heartbeat.phases, RecordFields.phase)
        }

        var all: Kept { Kept(stalls: stalls.count, stallEnds: stallEnds.count, phases: phases.count) }

        func assemble(_ format: JSONLinesFormat, context: FormatContext, kept: Kept) -> LineBuffer {
            var out = LineBuffer(capacity: 1024 + 160 * (kept.stalls + kept.stallEnds + kept.phases))
            JSONLinesFormat.write(heartbeat, labels: labels, labelInMessage: labelInMessage, context: context,
                                  attributes: format.renderedAttributes, into: &out) { out, key, _ in
                let (rendered, keep): ([[UInt8]], Int) = switch key {
                case .stalls: (stalls, kept.stalls)
                case .stallEnds: (stallEnds, kept.stallEnds)
                case .phases: (phases, kept.phases)
                }
                for index in 0 ..< keep {
                    if index > 0 { out.append(",") }
                    out.append(bytes: rendered[index])
                }
                return keep
            }
            return out
        }

        /// The most leading elements that fit in `limit`: phases go first, then stall ends,
        /// then stalls, because a stall is the loudest signal; the oldest of each are kept.
        func fitting(_ format: JSONLinesFormat, context: FormatContext, limit: Int) -> String? {
            var kept = all
            let bare = assemble(format, context: context, kept: Kept(stalls: 0, stallEnds: 0, phases: 0))
            // The bare record carries every count at its largest, so sizes below are upper bounds
            // once each element's bytes and comma are added back; exact size is checked at the end.
            var size = bare.count + Self.bytes(stalls, kept.stalls) + Self.bytes(stallEnds, kept.stallEnds)
                + Self.bytes(phases, kept.phases)
            while size > limit {
                if kept.phases > 0 {
                    kept.phases -= 1
                    size -= phases[kept.phases].count + (kept.phases > 0 ? 1 : 0)
                } else if kept.stallEnds > 0 {
                    kept.stallEnds -= 1
                    size -= stallEnds[kept.stallEnds].count + (kept.stallEnds > 0 ? 1 : 0)
                } else if kept.stalls > 0 {
                    kept.stalls -= 1
                    size -= stalls[kept.stalls].count + (kept.stalls > 0 ? 1 : 0)
                } else {
                    return bare.count <= limit ? bare.text : nil
                }
            }
            let out = assemble(format, context: context, kept: kept)
            return out.count <= limit ? out.text : nil
        }

        private static func bytes(_ elements: [[UInt8]], _ count: Int) -> Int {
            elements.prefix(count).reduce(0) { $0 + $1.count } + max(0, count - 1)
        }
    }

    /// The record with as many leading stalls, stall ends and phases as fit.
    ///
    /// When even the bare record is too long (a tiny line limit with long labels of escaped
    /// control characters), labels are cut much harder, and as a last resort the active phase
    /// is left out: a shorter record beats one that a container runtime splits in two.
    private func fittedRecord(for heartbeat: Heartbeat, context: FormatContext) -> String {
        if let text = Parts(heartbeat, labels: limits).fitting(self, context: context, limit: limits.maxLineBytes) {
            return text
        }
        let tight = limits.tightened
        if let text = Parts(heartbeat, labels: tight, labelInMessage: false).fitting(self, context: context, limit: limits.maxLineBytes) {
            return text
        }
        var bare = heartbeat
        bare.active = nil
        let parts = Parts(bare, labels: tight, labelInMessage: false)
        // The attribute budget (an eighth of the line) keeps this within the limit.
        return parts.fitting(self, context: context, limit: limits.maxLineBytes)
            ?? parts.assemble(self, context: context, kept: Kept(stalls: 0, stallEnds: 0, phases: 0)).text
    }
}

extension LineBuffer {
    /// One element of a record's array: a comma before all but the first, then the object.
    mutating func appendElement<Root>(_ element: Root, _ fields: [RecordField<Root>], _ index: Int, _ labels: ExportLimits) {
        if index > 0 { bytes.append(0x2C) }
        appendJSONObject(element, fields, labels: labels)
    }

    /// `heartbeat: 2 stalls; load shards for 2m22s, 250/1000 (25%)`: what a log viewer that
    /// shows only the message should still tell a person. Memory and descriptor warnings come
    /// first when there are any: `heartbeat: memory at 95% of limit; 1 stall; …`.
    mutating func appendHeartbeatSummary(
        _ heartbeat: Heartbeat, labels: ExportLimits, labelInMessage: Bool, escape: (inout LineBuffer, String) -> Void
    ) {
        append("heartbeat: ")
        for warning in heartbeat.resourceWarnings {
            append(warning.resource == .memory ? "memory at " : "fds at ")
            appendPercent(used: warning.used, of: warning.limit)
            append(" of limit; ")
        }
        for forecast in heartbeat.forecasts {
            append(forecast.resource == .memory ? "memory limit in " : "fd limit in ")
            appendDuration(forecast.timeToLimit)
            append("; ")
        }
        if !heartbeat.stalls.isEmpty {
            appendInteger(heartbeat.stalls.count)
            append(heartbeat.stalls.count == 1 ? " stall; " : " stalls; ")
        }
        guard let active = heartbeat.active else {
            append("idle")
            return
        }
        if labelInMessage {
            escape(&self, labels.cap(active.label))
        } else {
            append("active")
        }
        append(" for ")
        appendDuration(active.age)
        guard let progress = active.progress else { return }
        append(", ")
        appendProgressFraction(current: progress.current, total: progress.total)
    }
}
