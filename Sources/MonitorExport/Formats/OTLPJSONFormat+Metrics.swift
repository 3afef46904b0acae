import Foundation
package import ProcessMonitor

extension OTLPJSONFormat {
    /// The `ExportMetricsServiceRequest` for one heartbeat, on one line.
    ///
    /// Its metrics are the figure table's OTLP column (`RecordFields.swift`), in table order:
    /// semantic-convention names (`process.memory.usage`, `process.cpu.time`,
    /// `process.unix.file_descriptor.count`, `process.disk.io`, …) where OpenTelemetry has
    /// one, `processmonitor.…` for the rest; the README lists them.
    ///
    /// A figure the heartbeat does not know is left out. Counters and up-down sums are
    /// cumulative from the monitor's start (`timestamp − elapsed` of the first heartbeat).
    package func metricsRequest(for heartbeat: Heartbeat, context: FormatContext = FormatContext()) -> String {
        let time = otlpUnixNanoseconds(heartbeat.timestamp)
        let elapsed = otlpNanoseconds(heartbeat.elapsed)
        let start = startTimes.start(processID: heartbeat.processID, candidate: time > elapsed ? time - elapsed : 0)
        var out = LineBuffer(capacity: 6144)
        out.append("{\"resourceMetrics\":[{")
        Self.writeResource(serviceName: serviceName, processID: heartbeat.processID, tail: resourceTail, into: &out)
        out.append(",\"scopeMetrics\":[{")
        writeScope(into: &out)
        out.append(",\"metrics\":[")
        var metrics = OTLPMetricWriter(time: time, start: start)
        for field in Self.metricFields {
            guard let metric = field.columns?.otlp.metric else { continue }
            let value: OTLPMetricWriter.Value? = switch field.reader {
            case .count(let get): get(heartbeat).map { .int($0.otlpInt64) }
            case .seconds(let get): get(heartbeat).map { .seconds($0) }
            case .number(let get): get(heartbeat).flatMap { $0.isFinite && $0 >= 0 ? .double($0) : nil }
            case .word, .label, .lane, .progress, .active, .text, .frames, .lines: nil
            }
            if let value { metrics.write(metric, value, into: &out) }
        }
        for figure in RecordFields.derived {
            guard let metric = figure.otlp.metric else { continue }
            let value: OTLPMetricWriter.Value? = switch figure.value {
            case .count(let get): get(heartbeat, context).map { .int($0.otlpInt64) }
            case .seconds(let get): get(heartbeat).map { .seconds($0) }
            case .number(let get): get(heartbeat).flatMap { $0.isFinite ? .double($0) : nil }
            case .resourceWarnings, .activePhaseInfo, .resourceForecasts: nil
            }
            if let value { metrics.write(metric, value, into: &out) }
        }
        metrics.finish(into: &out)

        out.append("],\"schemaUrl\":\"")
        out.append(Self.schemaURL)
        out.append("\"}],\"schemaUrl\":\"")
        out.append(Self.schemaURL)
        out.append("\"}]}")
        return out.text
    }

    /// The headline rows that are OTLP metrics.
    static let metricFields = RecordFields.headline.filter { $0.columns?.otlp.metric != nil }
}

/// Writes the `metrics` array of one request. Consecutive points of one metric (adjacent rows
/// with the same name, each with its point attribute) go into one metric.
struct OTLPMetricWriter {
    enum Value {
        case int(Int64)
        case double(Double)
        /// Whole milliseconds as seconds, written exactly.
        case seconds(Duration)
    }

    let time: UInt64
    let start: UInt64
    private var list = OTLPList()
    /// The metric whose data points are still open, if any.
    private var open: OTLPMetric?

    init(time: UInt64, start: UInt64) {
        self.time = time
        self.start = start
    }

    mutating func write(_ metric: OTLPMetric, _ value: Value, into out: inout LineBuffer) {
        if let open, open.name == metric.name {
            out.append(",")
        } else {
            finish(into: &out)
            list.next(&out)
            out.append(bytes: metric.opening)
            open = metric
        }
        writePoint(attribute: metric.pointAttribute, value, cumulative: metric.kind != .gauge, into: &out)
    }

    /// Closes the metric still open.
    mutating func finish(into out: inout LineBuffer) {
        guard let metric = open else { return }
        switch metric.kind {
        case .gauge: out.append("]}}")
        // 2 is AGGREGATION_TEMPORALITY_CUMULATIVE.
        case .counter: out.append("],\"aggregationTemporality\":2,\"isMonotonic\":true}}")
        case .upDownSum: out.append("],\"aggregationTemporality\":2,\"isMonotonic\":false}}")
        }
        open = nil
    }

    private func writePoint(
        attribute: (key: String, value: String)?, _ value: Value, cumulative: Bool, into out: inout LineBuffer
    ) {
        out.append("{")
        if let attribute {
            out.append("\"attributes\":[")
            out.openKeyValue(dynamic: attribute.key)
            out.appendStringValue(attribute.value)
            out.append("}],")
        }
        if cumulative {
            out.append("\"startTimeUnixNano\":")
            out.appendQuotedDecimal(start)
            out.append(",")
        }
        out.append("\"timeUnixNano\":")
        out.appendQuotedDecimal(time)
        switch value {
        case .int(let number):
            out.append(",\"asInt\":\"")
            out.appendInteger(number)
            out.append("\"}")
        case .double(let number):
            out.append(",\"asDouble\":")
            out.appendShortest(number)
            out.append("}")
        case .seconds(let duration):
            out.append(",\"asDouble\":")
            out.appendSeconds(duration)
            out.append("}")
        }
    }
}

/// Remembers when the cumulative series began, per process.
///
/// `timestamp − elapsed` mixes the wall clock with the monotonic one, so it wanders by a few
/// milliseconds from heartbeat to heartbeat; a start time that changes tells backends the
/// counter was reset. The first value is kept while later ones agree within a second, and a
/// real restart (another process, a monitor started later) takes the new value.
final class OTLPStartTimeMemory: Sendable {
    private let state = LockedValue<(processID: Int32, start: UInt64)?>(nil)

    func start(processID: Int32, candidate: UInt64) -> UInt64 {
        state.withLock { remembered in
            if let known = remembered, known.processID == processID,
                (known.start > candidate ? known.start - candidate : candidate - known.start) < 1_000_000_000 {
                return known.start
            }
            remembered = (processID, candidate)
            return candidate
        }
    }
}
