import Foundation
public import ProcessMonitor

/// Renders each heartbeat as a Prometheus text exposition: the file node_exporter's textfile
/// collector (`--collector.textfile.directory`) serves, one line per ``RenderedLine``.
///
/// Every metric family appears in every heartbeat, in a fixed order, as `# HELP`, `# TYPE` and
/// then its samples. A figure the platform does not report (RSS off Linux, a quota that does
/// not exist) keeps its `# HELP` and `# TYPE` lines but has no sample: Prometheus has no
/// "unknown" value, and a made-up `0` would read as a real one. Samples carry no timestamp,
/// because the textfile collector refuses files that have them; the heartbeat's own time is the
/// gauge `processmonitor_heartbeat_timestamp_seconds`.
///
/// Names follow the Prometheus conventions: a `processmonitor_` prefix, base units in the name
/// (`_seconds`, `_bytes`), counters end in `_total`. Cardinality is fixed: the static
/// attributes become labels on every sample, `processmonitor_resource_warning` has one series
/// per resource (`memory`, `fds`), and `processmonitor_active_phase_info` has at most one series,
/// labelled with the active phase's label cut to 64 bytes. No label names a lane.
///
/// ```swift
/// let exporter = HeartbeatExporter(
///     format: try PrometheusFormat(attributes: ["job": "nightly-etl"]),  // the label job_name="nightly-etl"
///     sink: try PrometheusTextfileSink(path: "/var/lib/node_exporter/textfile/nightly-etl.prom")
/// )
/// let monitor = try ProcessMonitor.start(observers: [exporter])
/// ```
public struct PrometheusFormat: HeartbeatPayloadFormat {
    /// Longest `phase` label value on `processmonitor_active_phase_info`, in UTF-8 bytes; a
    /// longer phase label is cut at a character boundary with a marker.
    package static let phaseLabelMaxBytes = 64

    /// Longest attribute key, in UTF-8 bytes, the same bound the other machine formats apply.
    package static let attributeKeyMaxBytes = 64

    /// Label names the format's own metrics use, so an attribute may not take them.
    package static let ownLabelNames: [String] = ["phase", "resource"]

    /// The labels every sample carries: attribute keys turned into label names (see
    /// ``labelName(forAttributeKey:)``), values cut to ``ExportLimits/maxLabelBytes`` of the
    /// default limits.
    ///
    /// With the attributes `job=etl` and `k8s.pod=etl-0`: `job_name="etl"` and `k8s_pod="etl-0"`.
    package let labels: [String: String]

    /// `name="value",…` sorted by name, escaped once: attributes never change.
    private let renderedLabels: String

    /// Creates a format whose samples carry `attributes` as labels.
    ///
    /// Each key becomes a label name by `labelName(forAttributeKey:)`: `job` becomes
    /// `job_name` and `instance` becomes `instance_name`, because Prometheus sets `job` and
    /// `instance` itself when it scrapes node_exporter and would rename ours to `exported_job`;
    /// other characters outside `[a-zA-Z0-9_]` become `_`. Values may hold anything; they are
    /// escaped as the exposition format requires and cut like labels.
    ///
    /// - Throws: ``ExportError`` with code `invalidConfiguration`, naming the key, when a key is
    ///   empty, longer than 64 bytes, would start with the reserved `__`, would be one of the
    ///   format's own label names (`phase`, `resource`), or would become the same label name as
    ///   another key.
    public init(attributes: [String: String] = [:]) throws(ExportError) {
        var byName: [String: (key: String, value: String)] = [:]
        for (key, value) in attributes {
            let name = try Self.labelName(forAttributeKey: key)
            if Self.ownLabelNames.contains(name) {
                throw ExportError(
                    code: .invalidConfiguration,
                    message: "attribute key \(key.debugDescription) would become the label \(name), "
                        + "which processmonitor metrics use themselves; rename the attribute"
                )
            }
            if let earlier = byName[name] {
                let pair = [earlier.key, key].sorted().map(\.debugDescription).joined(separator: " and ")
                throw ExportError(
                    code: .invalidConfiguration,
                    message: "attribute keys \(pair) would both become the label \(name); rename one"
                )
            }
            byName[name] = (key, ExportLimits.default.cap(value))
        }
        var rendered = ""
        for name in byName.keys.sorted() {
            if !rendered.isEmpty { rendered += "," }
            rendered += name
            rendered += "=\""
            rendered += Self.escapedLabelValue(byName[name]?.value ?? "")
            rendered += "\""
        }
        labels = byName.mapValues(\.value)
        renderedLabels = rendered
    }

    /// The label name an attribute key becomes: `job` → `job_name`, `instance` →
    /// `instance_name`, every character outside `[a-zA-Z0-9_]` → `_`, and a leading digit gets a
    /// `_` in front.
    ///
    /// - Throws: ``ExportError`` (`invalidConfiguration`) for an empty key, a key longer than
    ///   ``attributeKeyMaxBytes``, or one whose name would start with `__`, which Prometheus
    ///   reserves for its own use.
    ///
    /// `service.name` becomes `service_name`, and `job` becomes `job_name`.
    package static func labelName(forAttributeKey key: String) throws(ExportError) -> String {
        guard !key.isEmpty else {
            throw ExportError(code: .invalidConfiguration, message: "attribute key must not be empty")
        }
        guard key.utf8.count <= attributeKeyMaxBytes else {
            throw ExportError(
                code: .invalidConfiguration,
                message: "attribute key \(key.debugDescription) is \(key.utf8.count) bytes; at most \(attributeKeyMaxBytes) allowed"
            )
        }
        var name = ""
        for scalar in key.unicodeScalars {
            let isLetter = ("a" ... "z").contains(scalar) || ("A" ... "Z").contains(scalar) || scalar == "_"
            let isDigit = ("0" ... "9").contains(scalar)
            if name.isEmpty && isDigit { name.append("_") }
            name.unicodeScalars.append(isLetter || isDigit ? scalar : "_")
        }
        guard !name.hasPrefix("__") else {
            throw ExportError(
                code: .invalidConfiguration,
                message: "attribute key \(key.debugDescription) would become the label \(name); "
                    + "label names starting with __ are reserved for Prometheus"
            )
        }
        switch name {
        case "job": return "job_name"
        case "instance": return "instance_name"
        default: return name
        }
    }

    /// One heartbeat's exposition: what a textfile holds and what a Pushgateway takes, typed
    /// so a sink never has to recognise it by its text.
    ///
    /// ```swift
    /// let exposition = try PrometheusFormat().payload(for: heartbeat, context: FormatContext())
    /// try exposition.text.write(toFile: "job.prom", atomically: true, encoding: .utf8)
    /// ```
    public struct Exposition: Sendable, Equatable {
        /// The lines in file order, without newlines.
        public var lines: [String]
        /// The heartbeat's level.
        public var level: HeartbeatLevel

        /// Creates an exposition.
        package init(lines: [String], level: HeartbeatLevel) {
            self.lines = lines
            self.level = level
        }

        /// The exposition as the text format wants it: each line ended by a line feed.
        public var text: String {
            var text = ""
            text.reserveCapacity(lines.reduce(0) { $0 + $1.utf8.count + 1 })
            for line in lines {
                text += line
                text += "\n"
            }
            return text
        }
    }

    /// The exposition lines for one heartbeat, in file order; every line has the heartbeat's
    /// level, so a sink that routes on level sees one heartbeat's batch together.
    public func render(_ heartbeat: Heartbeat, context: FormatContext) -> [RenderedLine] {
        let exposition = payload(for: heartbeat, context: context)
        return exposition.lines.map { RenderedLine(text: $0, level: exposition.level) }
    }

    /// The heartbeat's exposition: every family of the figure table in its order.
    public func payload(for heartbeat: Heartbeat, context: FormatContext) -> Exposition {
        var out = ExpositionWriter(labels: renderedLabels)
        for field in Self.familyFields {
            guard let family = field.columns?.prometheus.family else { continue }
            let value: SampleValue? = switch (field.reader, family.sample) {
            case (.word(let get), .oneWhen(let word)): .count(get(heartbeat) == word ? 1 : 0)
            case (.count(let get), _): get(heartbeat).map(SampleValue.count)
            case (.seconds(let get), _): get(heartbeat).map(SampleValue.duration)
            case (.number(let get), _): Self.decimal(get(heartbeat))
            case (.word, _), (.label, _), (.lane, _), (.progress, _), (.active, _), (.text, _), (.frames, _), (.lines, _): nil
            }
            out.family(family, value)
        }
        for figure in RecordFields.derived {
            guard let family = figure.prometheus.family else { continue }
            switch figure.value {
            case .count(let get): out.family(family, get(heartbeat, context).map(SampleValue.count))
            case .seconds(let get): out.family(family, get(heartbeat).map(SampleValue.duration))
            case .number(let get): out.family(family, Self.decimal(get(heartbeat)))
            case .resourceWarnings:
                out.family(family, nil)
                let warnings = heartbeat.resourceWarnings
                for resource in ResourceWarning.Resource.allCases {
                    let warned = warnings.contains { $0.resource == resource }
                    out.sample(family.name, label: ("resource", resource.rawValue), .count(warned ? 1 : 0))
                }
            case .resourceForecasts:
                out.family(family, nil)
                for forecast in heartbeat.forecasts {
                    out.sample(family.name, label: ("resource", forecast.resource.rawValue), .duration(forecast.timeToLimit))
                }
            case .activePhaseInfo:
                out.family(family, nil)
                if let active = heartbeat.active {
                    out.sample(family.name, label: ("phase", Self.phaseLimits.cap(active.label)), .count(1))
                }
            }
        }
        return Exposition(lines: out.lines, level: heartbeat.level)
    }

    /// The headline rows that are Prometheus families.
    static let familyFields = RecordFields.headline.filter { $0.columns?.prometheus.family != nil }

    // MARK: - Values

    /// The limits that cut a phase label; 64 is inside ExportLimits' allowed range, so the
    /// fallback only keeps this free of `try!`.
    private static let phaseLimits: ExportLimits = {
        do {
            return try ExportLimits(maxLabelBytes: phaseLabelMaxBytes)
        } catch {
            return .default
        }
    }()

    /// Figures are never negative or infinite; such a value in a hand-built heartbeat is no figure.
    private static func decimal(_ value: Double?) -> SampleValue? {
        guard let value, value.isFinite, value >= 0 else { return nil }
        return .decimal(value)
    }

    /// A label value as the exposition format wants it: backslash, double quote and line feed
    /// escaped as `\\`, `\"` and `\n`. node_exporter's parser rejects any other escape, so the
    /// other control characters (C0, DEL, C1) become visible text a parser reads as it is:
    /// `\\r`, `\\t` and `\\u{1b}`, which a reader sees as `\r`, `\t` and `\u{1b}`, the way the
    /// text format quotes them. A raw control byte would reach terminals and dashboards as is.
    ///
    /// `a "b"` with a newline and an escape sequence after it becomes `a \"b\"\n\u{1b}[31m`.
    static func escapedLabelValue(_ value: String) -> String {
        var out = LineBuffer(capacity: value.utf8.count + 8)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out.append("\\\\")
            case "\"": out.append("\\\"")
            case "\n": out.append("\\n")
            case "\r": out.append("\\\\r")
            case "\t": out.append("\\\\t")
            case "\u{0}" ... "\u{1F}", "\u{7F}" ... "\u{9F}":
                out.append("\\")  // escapes the backslash of the \u{…} that follows
                out.appendRustUnicodeEscape(scalar)
            default:
                out.append(scalar: scalar)
            }
        }
        return out.text
    }
}

/// A sample's value, written exactly: integers as integers, durations as seconds with three
/// fraction digits, anything else as Swift's shortest round-trip decimal.
private enum SampleValue {
    case count(UInt64)
    case integer(Int64)
    case milliseconds(Int64)
    case decimal(Double)

    static func duration(_ duration: Duration) -> SampleValue { .milliseconds(duration.wholeMilliseconds) }

    var text: String {
        var out = LineBuffer(capacity: 24)
        switch self {
        case .count(let value): out.appendInteger(value)
        case .integer(let value): out.appendInteger(value)
        case .milliseconds(let value): out.appendSeconds(.milliseconds(value))
        case .decimal(let value): out.appendShortest(value)
        }
        return out.text
    }
}

/// Accumulates the lines of one exposition.
private struct ExpositionWriter {
    /// The attribute labels, already escaped, without braces; empty for none.
    let labels: String
    var lines: [String] = []

    init(labels: String) {
        self.labels = labels
        lines.reserveCapacity(96)
    }

    /// `# HELP` and `# TYPE`, then the sample when there is a value.
    mutating func family(_ family: PrometheusFamily, _ value: SampleValue?) {
        lines.append(family.helpLine)
        lines.append(family.typeLine)
        if let value { sample(family.name, label: nil, value) }
    }

    mutating func sample(_ name: String, label: (name: String, value: String)?, _ value: SampleValue) {
        var text = name
        if let label {
            text += "{"
            if !labels.isEmpty { text += labels + "," }
            text += label.name + "=\"" + PrometheusFormat.escapedLabelValue(label.value) + "\"}"
        } else if !labels.isEmpty {
            text += "{" + labels + "}"
        }
        text += " " + value.text
        lines.append(text)
    }
}
