import Foundation
public import ProcessMonitor

/// Renders each heartbeat as OpenTelemetry data in OTLP/JSON: one log record and its figures as
/// metrics, each request on one line.
///
/// Every heartbeat gives exactly two lines, in this order:
/// 1. an `ExportLogsServiceRequest` holding one log record: `timeUnixNano`, `severityNumber`
///    9 (`INFO`) or 13 (`WARN`, when the heartbeat carries stalls or resource warnings), a
///    short `body` (`heartbeat: 1 stall; load for 2m22s`), and the JSON Lines record's fields
///    as attributes named `processmonitor.<key>` (nested objects joined with dots, stalls and
///    phases as arrays of key-value lists);
/// 2. an `ExportMetricsServiceRequest` with the heartbeat's figures, under OpenTelemetry's
///    semantic-convention names where they exist (`process.cpu.utilization`,
///    `process.memory.usage`, `process.thread.count`, `process.unix.file_descriptor.count`,
///    `process.disk.io`) and under `processmonitor.` for the rest.
///
/// That is what the Collector's `otlpjsonfile` receiver reads from a file (one request per
/// line), and what an OTLP/HTTP endpoint takes as a JSON body: `MonitorExportHTTP`'s
/// `OTLPHTTPSink` takes the pair as ``Requests`` (``payload(for:context:)``) and posts them to
/// `/v1/logs` and `/v1/metrics`.
///
/// Both carry the same resource: `service.name`, `process.pid`, `process.executable.name`,
/// `host.name`, and your attributes as they are. The names follow semantic conventions
/// ``semanticConventionsVersion``, whose schema URL is in every request's `schemaUrl`.
///
/// The encoding is the protobuf JSON mapping as OTLP specifies it: lowerCamelCase fields,
/// 64-bit integers as JSON strings, enums as integers, no trace or span ids. Unknown figures
/// are left out rather than sent as zero. Lines stay within ``ExportLimits/maxLineBytes``:
/// labels are cut as in the other formats, and a log record that would still be too long
/// drops trailing phases, then stall ends, then stalls, and counts them as omitted.
///
/// ```swift
/// let exporter = HeartbeatExporter(
///     format: try OTLPJSONFormat(attributes: ["service.name": "nightly-etl", "deployment.environment.name": "prod"]),
///     sink: try FileSink(path: "/var/log/job/heartbeat.otlp.jsonl")
/// )
/// ```
public struct OTLPJSONFormat: HeartbeatPayloadFormat {
    /// The OpenTelemetry semantic-conventions release whose names this format uses.
    ///
    /// Process metrics are still in development upstream and have been renamed before
    /// (`process.open_file_descriptor.count` became `process.unix.file_descriptor.count` in
    /// 1.39.0), so the version is pinned and changes only together with the schema URL.
    public static let semanticConventionsVersion = "1.44.0"

    /// The schema URL of ``semanticConventionsVersion``, written to every `schemaUrl` field so
    /// a Collector's schema processor can translate the names when conventions move.
    package static let schemaURL = "https://opentelemetry.io/schemas/1.44.0"

    /// The instrumentation scope name every request carries.
    package static let scopeName = "ProcessMonitor"

    /// The smallest ``ExportLimits/maxLineBytes`` the format accepts: an OTLP request spells
    /// out every attribute name, so its fixed part alone takes a few KiB.
    package static let minimumLineBytes = 8192

    /// Your resource attributes, values already cut to ``ExportLimits/maxLabelBytes``.
    package let attributes: [String: String]

    /// The `service.name` resource attribute: the `serviceName` given to the initializer, else
    /// the `service.name` attribute, else the `job` attribute, else the executable's name
    /// (`process.executable.name`).
    package let serviceName: String

    /// The label and line limits the format honours.
    package let limits: ExportLimits

    /// Detected resource attributes the user did not override, then the user's, sorted.
    let resourceTail: [(key: String, value: String)]
    /// The start time of the cumulative sums, kept steady across heartbeats.
    let startTimes = OTLPStartTimeMemory()

    /// Creates a format whose resource carries `attributes` besides the detected ones.
    ///
    /// Attribute keys follow the rules of the other machine formats (1–64 bytes, no
    /// whitespace, control characters, `=` or quotes); dotted OpenTelemetry names such as
    /// `deployment.environment.name` are fine. A key that names a detected attribute
    /// (`host.name`, `process.executable.name`) replaces it; `process.pid` always comes from
    /// the heartbeat and cannot be set.
    ///
    /// - Throws: ``ExportError`` with code `invalidConfiguration` naming the bad key, an empty
    ///   `serviceName`, or a `limits.maxLineBytes` below 8192 (`minimumLineBytes`).
    public init(
        attributes: [String: String] = [:],
        serviceName: String? = nil,
        limits: ExportLimits = .default
    ) throws(ExportError) {
        try self.init(
            attributes: attributes, serviceName: serviceName, limits: limits,
            executableName: OTLPProcessIdentity.executableName(), hostName: OTLPProcessIdentity.hostName()
        )
    }

    /// The designated initializer, with the process identity passed in so tests see fixed values.
    init(
        attributes: [String: String],
        serviceName: String?,
        limits: ExportLimits,
        executableName: String,
        hostName: String?
    ) throws(ExportError) {
        guard limits.maxLineBytes >= Self.minimumLineBytes else {
            throw ExportError(
                code: .invalidConfiguration,
                message: "OTLP/JSON needs maxLineBytes of at least \(Self.minimumLineBytes) (got \(limits.maxLineBytes))"
            )
        }
        if attributes["process.pid"] != nil {
            throw ExportError(
                code: .invalidConfiguration,
                message: "attribute \"process.pid\" cannot be set: it comes from the heartbeat"
            )
        }
        if let serviceName, serviceName.isEmpty {
            throw ExportError(code: .invalidConfiguration, message: "serviceName must not be empty")
        }
        let pairs = try MachineAttributes.validated(attributes, limits: limits)
        let given = Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) })
        let service = limits.cap(
            serviceName ?? given["service.name"] ?? given["job"] ?? given["process.executable.name"] ?? executableName
        )

        var tail: [(key: String, value: String)] = []
        if given["process.executable.name"] == nil { tail.append(("process.executable.name", limits.cap(executableName))) }
        if given["host.name"] == nil, let hostName { tail.append(("host.name", limits.cap(hostName))) }
        tail += pairs.filter { $0.key != "service.name" }

        var rendered = LineBuffer(capacity: 256)
        Self.writeResource(serviceName: service, processID: Int32.min, tail: tail, into: &rendered)
        try MachineAttributes.checkBudget(renderedBytes: rendered.count, limits: limits)

        self.attributes = given
        self.serviceName = service
        self.limits = limits
        self.resourceTail = tail
    }

    /// One heartbeat's two OTLP/JSON requests: what an OTLP/HTTP sink posts to `/v1/logs` and
    /// `/v1/metrics`, typed so nothing has to tell them apart by their text.
    ///
    /// ```swift
    /// let requests = try OTLPJSONFormat().payload(for: heartbeat, context: FormatContext())
    /// print(requests.logs.prefix(16))  // {"resourceLogs":
    /// ```
    public struct Requests: Sendable, Equatable {
        /// The `ExportLogsServiceRequest`, on one line.
        public var logs: String
        /// The `ExportMetricsServiceRequest`, on one line.
        public var metrics: String
        /// The heartbeat's level, which the log record's severity carries.
        public var level: HeartbeatLevel

        /// Creates a request pair.
        package init(logs: String, metrics: String, level: HeartbeatLevel) {
            self.logs = logs
            self.metrics = metrics
            self.level = level
        }
    }

    /// The heartbeat's logs and metrics requests.
    public func payload(for heartbeat: Heartbeat, context: FormatContext) -> Requests {
        Requests(logs: logsRequest(for: heartbeat, context: context), metrics: metricsRequest(for: heartbeat, context: context),
                 level: heartbeat.level)
    }

    /// Two lines: the logs request (at the heartbeat's level), then the metrics request.
    public func render(_ heartbeat: Heartbeat, context: FormatContext) -> [RenderedLine] {
        let requests = payload(for: heartbeat, context: context)
        return [RenderedLine(text: requests.logs, level: requests.level), RenderedLine(text: requests.metrics, level: .info)]
    }

    // MARK: - Resource

    static func writeResource(
        serviceName: String, processID: Int32, tail: [(key: String, value: String)], into out: inout LineBuffer
    ) {
        out.append("\"resource\":{\"attributes\":[")
        out.openKeyValue("service.name")
        out.appendStringValue(serviceName)
        out.append("},")
        out.openKeyValue("process.pid")
        out.appendIntValue(Int64(processID))
        out.append("}")
        for pair in tail {
            out.append(",")
            out.openKeyValue(dynamic: pair.key)
            out.appendStringValue(pair.value)
            out.append("}")
        }
        out.append("]}")
    }

    func writeScope(into out: inout LineBuffer) {
        out.append("\"scope\":{\"name\":")
        out.appendJSONString(Self.scopeName)
        out.append("}")
    }

    // MARK: - Logs

    /// The `ExportLogsServiceRequest` for one heartbeat, on one line.
    package func logsRequest(for heartbeat: Heartbeat, context: FormatContext = FormatContext()) -> String {
        var current = heartbeat
        var labels = limits
        var labelInBody = true
        var out = LineBuffer(capacity: 0)
        // Each pass gives up more: trailing list elements, then long labels, then the active phase.
        for pass in 0 ..< 3 {
            let parts = LogParts(current, labels: labels)
            var keep = parts.all
            out = writeLogs(current, context: context, parts: parts, keep: keep, labels: labels, labelInBody: labelInBody)
            while out.count > limits.maxLineBytes, keep.total > 0 {
                var excess = out.count - limits.maxLineBytes
                while excess > 0, keep.total > 0 { excess -= keep.dropLast(from: parts) }
                out = writeLogs(current, context: context, parts: parts, keep: keep, labels: labels, labelInBody: labelInBody)
            }
            if out.count <= limits.maxLineBytes { break }
            if pass == 0 {
                labels = limits.tightened
                labelInBody = false
            } else {
                current.active = nil
            }
        }
        return out.text
    }

    /// Pre-rendered list elements, so trimming a long record does not render them again.
    ///
    /// Elements are rendered in the order they are kept (stalls, stall ends, phases) only until
    /// they alone fill a line: a thousand stalls with long labels cost one line's worth of work.
    private struct LogParts {
        var stalls: [[UInt8]] = []
        var stallEnds: [[UInt8]] = []
        var phases: [[UInt8]] = []

        init(_ heartbeat: Heartbeat, labels: ExportLimits) {
            var budget = labels.maxLineBytes
            func take<T>(_ items: [T], _ render: (T) -> [UInt8]) -> [[UInt8]] {
                var rendered: [[UInt8]] = []
                for item in items {
                    guard budget > 0 else { break }
                    let element = render(item)
                    budget -= element.count + 1
                    rendered.append(element)
                }
                return rendered
            }
            stalls = take(heartbeat.stalls) { Self.element($0, RecordFields.stall, labels: labels) }
            stallEnds = take(heartbeat.stallEnds) { Self.element($0, RecordFields.stallEnd, labels: labels) }
            phases = take(heartbeat.phases) { Self.element($0, RecordFields.phase, labels: labels) }
        }

        var all: Keep { Keep(stalls: stalls.count, stallEnds: stallEnds.count, phases: phases.count) }

        /// `{"kvlistValue":{"values":[…]}}`: one element with the JSON Lines element's keys.
        static func element<Root>(_ element: Root, _ fields: [RecordField<Root>], labels: ExportLimits) -> [UInt8] {
            var out = LineBuffer(capacity: 320)
            out.append("{\"kvlistValue\":{\"values\":[")
            var list = OTLPList()
            out.appendOTLPAttributes(element, fields, progress: RecordFields.progress, labels: labels, list: &list)
            out.append("]}}")
            return out.bytes.array()
        }
    }

    /// How many leading elements of each list a record keeps.
    private struct Keep {
        var stalls: Int
        var stallEnds: Int
        var phases: Int

        var total: Int { stalls + stallEnds + phases }

        /// Drops the last kept element: phases go first, then stall ends, then stalls (the
        /// loudest signal stays longest). Returns the bytes saved.
        mutating func dropLast(from parts: LogParts) -> Int {
            if phases > 0 {
                phases -= 1
                return parts.phases[phases].count + 1
            }
            if stallEnds > 0 {
                stallEnds -= 1
                return parts.stallEnds[stallEnds].count + 1
            }
            if stalls > 0 {
                stalls -= 1
                return parts.stalls[stalls].count + 1
            }
            return 0
        }
    }

    private func writeLogs(
        _ heartbeat: Heartbeat, context: FormatContext, parts: LogParts, keep: Keep, labels: ExportLimits, labelInBody: Bool
    ) -> LineBuffer {
        var out = LineBuffer(capacity: 2048 + 192 * keep.total)
        let time = otlpUnixNanoseconds(heartbeat.timestamp)
        out.append("{\"resourceLogs\":[{")
        Self.writeResource(serviceName: serviceName, processID: heartbeat.processID, tail: resourceTail, into: &out)
        out.append(",\"scopeLogs\":[{")
        writeScope(into: &out)
        out.append(",\"logRecords\":[{\"timeUnixNano\":")
        out.appendQuotedDecimal(time)
        out.append(",\"observedTimeUnixNano\":")
        out.appendQuotedDecimal(time)
        if heartbeat.level == .warning {
            out.append(",\"severityNumber\":13,\"severityText\":\"WARN\"")
        } else {
            out.append(",\"severityNumber\":9,\"severityText\":\"INFO\"")
        }
        out.append(",\"body\":{\"stringValue\":\"")
        // The JSON Lines `message`, from the same writer: the two must never disagree.
        out.appendHeartbeatSummary(heartbeat, labels: labels, labelInMessage: labelInBody) { $0.appendJSONStringContent($1) }
        out.append("\"},\"attributes\":[")
        writeLogAttributes(heartbeat, context: context, parts: parts, keep: keep, labels: labels, into: &out)
        out.append("]}],\"schemaUrl\":\"")
        out.append(Self.schemaURL)
        out.append("\"}],\"schemaUrl\":\"")
        out.append(Self.schemaURL)
        out.append("\"}]}")
        return out
    }

    /// The headline rows a log record carries as attributes: all but those that are resource
    /// attributes (`process.pid`).
    static let logAttributeFields = RecordFields.headline.filter { field in
        if case .resource = field.columns?.otlpAttribute { false } else { true }
    }

    /// The JSON Lines record's fields under `processmonitor.`, in the same order; unknown
    /// figures are left out (an OTLP attribute has no null).
    private func writeLogAttributes(
        _ heartbeat: Heartbeat, context: FormatContext, parts: LogParts, keep: Keep, labels: ExportLimits,
        into out: inout LineBuffer
    ) {
        var list = OTLPList()
        func int(_ key: StaticString, _ value: Int64) {
            list.next(&out)
            out.openKeyValue(key)
            out.appendIntValue(value)
            out.append("}")
        }
        func array(_ key: StaticString, _ elements: ArraySlice<[UInt8]>) {
            guard !elements.isEmpty else { return }
            list.next(&out)
            out.openKeyValue(key)
            out.append("{\"arrayValue\":{\"values\":[")
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(",") }
                out.append(bytes: element)
            }
            out.append("]}}}")
        }

        out.appendOTLPAttributes(heartbeat, Self.logAttributeFields, progress: RecordFields.activeProgress, labels: labels,
                                 list: &list)
        int("processmonitor.stall_count", Int64(heartbeat.stalls.count))
        array("processmonitor.stalls", parts.stalls[..<keep.stalls])
        int("processmonitor.stalls_omitted", Int64(heartbeat.stalls.count - keep.stalls))
        array("processmonitor.stall_ends", parts.stallEnds[..<keep.stallEnds])
        int("processmonitor.stall_ends_omitted", Int64(heartbeat.stallEnds.count - keep.stallEnds))
        let warnings = heartbeat.resourceWarnings.map { LogParts.element($0, RecordFields.warning, labels: labels) }
        array("processmonitor.warnings", warnings[...])
        let forecasts = heartbeat.forecasts.map { LogParts.element($0, RecordFields.forecast, labels: labels) }
        array("processmonitor.forecasts", forecasts[...])
        array("processmonitor.phases", parts.phases[..<keep.phases])
        int("processmonitor.phases_omitted", Int64(heartbeat.omittedPhases) + Int64(heartbeat.phases.count - keep.phases))
        int("processmonitor.dropped_records", context.droppedRecords.otlpInt64)
    }
}
