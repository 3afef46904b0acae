import Foundation
import ProcessMonitor

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
/// labelled with the active phase's label cut to ``phaseLabelMaxBytes``. No label names a lane.
///
/// ```swift
/// let exporter = try PrometheusFormat.makeExporter(
///     path: "/var/lib/node_exporter/textfile/nightly-etl.prom",
///     attributes: ["job": "nightly-etl"]   // becomes the label job_name="nightly-etl"
/// )
/// let monitor = try ProcessMonitor.start(observers: [exporter])
/// ```
public struct PrometheusFormat: HeartbeatFormat {
    /// Longest `phase` label value on `processmonitor_active_phase_info`, in UTF-8 bytes; a
    /// longer phase label is cut at a character boundary with a marker.
    ///
    /// ```swift
    /// precondition(PrometheusFormat.phaseLabelMaxBytes == 64)
    /// ```
    public static let phaseLabelMaxBytes = 64

    /// Longest attribute key, in UTF-8 bytes, the same bound the other machine formats apply.
    ///
    /// ```swift
    /// precondition(PrometheusFormat.attributeKeyMaxBytes == 64)
    /// ```
    public static let attributeKeyMaxBytes = 64

    /// Label names the format's own metrics use, so an attribute may not take them.
    ///
    /// ```swift
    /// PrometheusFormat.ownLabelNames  // ["phase", "resource"]
    /// ```
    public static let ownLabelNames: [String] = ["phase", "resource"]

    /// The labels every sample carries: attribute keys turned into label names (see
    /// ``labelName(forAttributeKey:)``), values cut to ``ExportLimits/maxLabelBytes`` of the
    /// default limits.
    ///
    /// ```swift
    /// try PrometheusFormat(attributes: ["job": "etl", "k8s.pod": "etl-0"]).labels
    /// // ["job_name": "etl", "k8s_pod": "etl-0"]
    /// ```
    public let labels: [String: String]

    /// `name="value",…` sorted by name, escaped once: attributes never change.
    private let renderedLabels: String

    /// Creates a format whose samples carry `attributes` as labels.
    ///
    /// Each key becomes a label name by ``labelName(forAttributeKey:)``: `job` becomes
    /// `job_name` and `instance` becomes `instance_name`, because Prometheus sets `job` and
    /// `instance` itself when it scrapes node_exporter and would rename ours to `exported_job`;
    /// other characters outside `[a-zA-Z0-9_]` become `_`. Values may hold anything; they are
    /// escaped as the exposition format requires and cut like labels.
    ///
    /// - Throws: ``ExportError`` with code `invalidConfiguration`, naming the key, when a key is
    ///   empty, longer than ``attributeKeyMaxBytes``, would start with the reserved `__`, would
    ///   be one of ``ownLabelNames``, or would become the same label name as another key.
    ///
    /// ```swift
    /// let format = try PrometheusFormat(attributes: ["job": "nightly-etl", "rank": "3"])
    /// ```
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
    /// ```swift
    /// try PrometheusFormat.labelName(forAttributeKey: "service.name")  // "service_name"
    /// try PrometheusFormat.labelName(forAttributeKey: "job")           // "job_name"
    /// ```
    public static func labelName(forAttributeKey key: String) throws(ExportError) -> String {
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

    /// The exposition lines for one heartbeat, in file order; every line has the heartbeat's
    /// level, so a sink that routes on level sees one heartbeat's batch together.
    ///
    /// ```swift
    /// let lines = try PrometheusFormat().render(heartbeat, context: FormatContext(droppedRecords: 0))
    /// print(lines.map(\.text).joined(separator: "\n"))
    /// ```
    public func render(_ heartbeat: Heartbeat, context: FormatContext) -> [RenderedLine] {
        var out = ExpositionWriter(labels: renderedLabels, level: heartbeat.level)
        let resources = heartbeat.resources
        let cpu = heartbeat.cpu

        out.gauge("processmonitor_heartbeat_timestamp_seconds",
                  "Unix time at which the heartbeat was taken.",
                  Self.unixMilliseconds(heartbeat.timestamp).map(SampleValue.milliseconds))
        out.counter("processmonitor_heartbeats_total",
                    "Heartbeats this process has produced, the latest included: the heartbeat's sequence number.",
                    .count(heartbeat.sequence))
        out.gauge("processmonitor_final_heartbeat",
                  "1 when this is the last heartbeat, written as the monitor stopped, else 0.",
                  .count(heartbeat.trigger == .final ? 1 : 0))
        out.gauge("processmonitor_elapsed_seconds",
                  "Time since the monitor started.",
                  .duration(heartbeat.elapsed))

        out.counter("processmonitor_cpu_seconds_total",
                    "User plus system CPU time the process has used.",
                    cpu.totalTime.map { .milliseconds($0.wholeMilliseconds) })
        out.gauge("processmonitor_cpu_cores_busy",
                  "Average number of CPU cores the process kept busy over the measured window.",
                  Self.cores(cpu.coresBusy))
        out.gauge("processmonitor_cpu_window_seconds",
                  "The wall-clock window the CPU average covers.",
                  cpu.window.map(SampleValue.duration))
        out.gauge("processmonitor_cpu_available_cores",
                  "CPU cores the process may use: the smaller of its affinity and its cgroup quota.",
                  Self.cores(cpu.availableCores))
        out.gauge("processmonitor_cpu_affinity_cores",
                  "CPU cores in the process's affinity mask.",
                  cpu.affinityCores.map { SampleValue.integer(Int64($0)) })
        out.gauge("processmonitor_cpu_quota_cores",
                  "The cgroup CPU quota in cores; no sample when there is no quota.",
                  Self.cores(cpu.quotaCores))

        out.gauge("processmonitor_resident_memory_bytes",
                  "Resident set size (VmRSS).",
                  resources.rssBytes.map(SampleValue.count))
        out.gauge("processmonitor_resident_memory_peak_bytes",
                  "Peak resident set size (VmHWM).",
                  resources.peakRSSBytes.map(SampleValue.count))
        out.gauge("processmonitor_memory_usage_bytes",
                  "Memory charged to the process's cgroup, page cache included.",
                  resources.memoryUsageBytes.map(SampleValue.count))
        out.gauge("processmonitor_memory_limit_bytes",
                  "The cgroup memory limit; no sample when there is none.",
                  resources.memoryLimitBytes.map(SampleValue.count))
        out.counter("processmonitor_oom_kills_total",
                    "Processes of the cgroup that the OOM killer ended.",
                    resources.oomKills.map(SampleValue.count))
        out.gauge("processmonitor_threads",
                  "Threads in the process.",
                  resources.threads.map(SampleValue.count))
        out.gauge("processmonitor_open_fds",
                  "Open file descriptors.",
                  resources.openFileDescriptors.map(SampleValue.count))
        out.gauge("processmonitor_max_fds",
                  "The soft limit on open file descriptors; no sample when unlimited.",
                  resources.fileDescriptorLimit.map(SampleValue.count))
        out.counter("processmonitor_read_bytes_total",
                    "Bytes the process caused to be read from storage.",
                    resources.readBytes.map(SampleValue.count))
        out.counter("processmonitor_written_bytes_total",
                    "Bytes the process caused to be written to storage.",
                    resources.writeBytes.map(SampleValue.count))
        let warnings = heartbeat.resourceWarnings
        out.family("processmonitor_resource_warning", .gauge,
                   "1 when the resource is at 90% or more of its limit, else 0.")
        for resource in ResourceWarning.Resource.allCases {
            let warned = warnings.contains { $0.resource == resource }
            out.sample("processmonitor_resource_warning", label: ("resource", resource.rawValue),
                       .count(warned ? 1 : 0))
        }

        out.gauge("processmonitor_instrumented_lanes",
                  "Threads and tasks inside at least one scope.",
                  .integer(Int64(heartbeat.instrumentedLanes)))
        out.gauge("processmonitor_stalled_lanes",
                  "Lanes whose innermost scope has run for at least the stall threshold.",
                  .integer(Int64(heartbeat.stalls.count)))
        out.gauge("processmonitor_stall_threshold_seconds",
                  "Innermost scope age at which a lane counts as stalled.",
                  .duration(heartbeat.stallThreshold))
        out.gauge("processmonitor_oldest_phase_age_seconds",
                  "Age of the oldest innermost scope (the active phase); 0 when no scope is open.",
                  .duration(heartbeat.active?.age ?? .zero))
        out.gauge("processmonitor_active_progress_ratio",
                  "Progress of the active phase, done over total; no sample when the total is unknown.",
                  heartbeat.active?.progress?.fraction.map(SampleValue.decimal))
        out.family("processmonitor_active_phase_info", .gauge,
                   "Always 1; the phase label names the active phase. No sample when idle.")
        if let active = heartbeat.active {
            out.sample("processmonitor_active_phase_info",
                       label: ("phase", Self.phaseLimits.cap(active.label)), .count(1))
        }

        out.counter("processmonitor_dropped_records_total",
                    "Heartbeats the sink could not write (disk full, directory gone).",
                    .count(context.droppedRecords))
        return out.lines
    }

    /// Pairs this format with a ``PrometheusTextfileSink`` at `path`: the one call that builds a
    /// Prometheus exporter, and what `--export prometheus:PATH` uses.
    ///
    /// - Throws: ``ExportError``: from ``init(attributes:)`` for a bad attribute key, and from
    ///   ``PrometheusTextfileSink/init(path:diagnostics:)`` for a path that does not end in
    ///   `.prom` or a directory that is missing or not writable.
    ///
    /// ```swift
    /// let exporter = try PrometheusFormat.makeExporter(path: "/var/lib/node_exporter/textfile/job.prom")
    /// ```
    public static func makeExporter(
        path: String,
        attributes: [String: String] = [:],
        diagnostics: SinkDiagnostics = .standard
    ) throws(ExportError) -> HeartbeatExporter {
        let format = try PrometheusFormat(attributes: attributes)
        let sink = try PrometheusTextfileSink(path: path, diagnostics: diagnostics)
        return HeartbeatExporter(format: format, sink: sink)
    }

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

    /// Cores are never negative or infinite; such a value in a hand-built heartbeat is no figure.
    private static func cores(_ value: Double?) -> SampleValue? {
        guard let value, value.isFinite, value >= 0 else { return nil }
        return .decimal(value)
    }

    /// Milliseconds since 1970, rounded to the nearest as the other machine formats do; `nil`
    /// for a date no `Int64` of milliseconds can hold (only a hand-built heartbeat has one).
    private static func unixMilliseconds(_ date: Date) -> Int64? {
        let raw = (date.timeIntervalSince1970 * 1000).rounded()
        guard raw.isFinite, abs(raw) < 9e15 else { return nil }
        return Int64(raw)
    }

    /// A label value as the exposition format wants it: backslash, double quote and line feed
    /// escaped, everything else verbatim. node_exporter's parser rejects any other escape, so a
    /// carriage return or a control character stays raw.
    ///
    /// ```swift
    /// PrometheusFormat.escapedLabelValue("a \"b\"\n")  // a \"b\"\n
    /// ```
    static func escapedLabelValue(_ value: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.utf8.count + 8)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
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
    enum Kind: String {
        case counter
        case gauge
    }

    /// The attribute labels, already escaped, without braces; empty for none.
    let labels: String
    let level: HeartbeatLevel
    var lines: [RenderedLine] = []

    init(labels: String, level: HeartbeatLevel) {
        self.labels = labels
        self.level = level
        lines.reserveCapacity(96)
    }

    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        lines.append(RenderedLine(text: "# HELP \(name) \(help)", level: level))
        lines.append(RenderedLine(text: "# TYPE \(name) \(kind.rawValue)", level: level))
    }

    mutating func gauge(_ name: String, _ help: String, _ value: SampleValue?) {
        family(name, .gauge, help)
        if let value { sample(name, label: nil, value) }
    }

    mutating func counter(_ name: String, _ help: String, _ value: SampleValue?) {
        family(name, .counter, help)
        if let value { sample(name, label: nil, value) }
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
        lines.append(RenderedLine(text: text, level: level))
    }
}
