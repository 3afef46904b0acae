import Foundation
import ProcessMonitor

extension OTLPJSONFormat {
    /// The `ExportMetricsServiceRequest` for one heartbeat, on one line.
    ///
    /// | metric | kind | unit | value |
    /// |---|---|---|---|
    /// | `process.cpu.utilization` | gauge | `1` | cores busy / available cores, 0…1 |
    /// | `process.memory.usage` | up-down sum | `By` | resident set size |
    /// | `process.thread.count` | up-down sum | `{thread}` | threads |
    /// | `process.unix.file_descriptor.count` | up-down sum | `{file_descriptor}` | open descriptors |
    /// | `process.disk.io` | counter | `By` | bytes read and written (`disk.io.direction`) |
    /// | `processmonitor.…` | | | see the README |
    ///
    /// A figure the heartbeat does not know is left out. Counters and up-down sums are
    /// cumulative from the monitor's start (`timestamp − elapsed` of the first heartbeat).
    ///
    /// ```swift
    /// let json = try OTLPJSONFormat().metricsRequest(for: heartbeat)
    /// // {"resourceMetrics":[{"resource":{"attributes":[...]},"scopeMetrics":[...
    /// ```
    public func metricsRequest(for heartbeat: Heartbeat, context: FormatContext = FormatContext()) -> String {
        let time = otlpUnixNanoseconds(heartbeat.timestamp)
        let elapsed = otlpNanoseconds(heartbeat.elapsed)
        let start = startTimes.start(processID: heartbeat.processID, candidate: time > elapsed ? time - elapsed : 0)
        var out = LineBuffer(capacity: 4096)
        out.append("{\"resourceMetrics\":[{")
        Self.writeResource(serviceName: serviceName, processID: heartbeat.processID, tail: resourceTail, into: &out)
        out.append(",\"scopeMetrics\":[{")
        writeScope(into: &out)
        out.append(",\"metrics\":[")
        var metrics = OTLPMetricWriter(time: time, start: start)
        let resources = heartbeat.resources
        let cpu = heartbeat.cpu

        if let total = cpu.totalTime {
            // User and system time are one figure here, so no `cpu.mode` attribute.
            metrics.write("process.cpu.time", "Total CPU seconds used by the process (user plus system).",
                          unit: "s", kind: .counter, .seconds(total), into: &out)
        }
        if let busy = cpu.coresBusy, let available = cpu.availableCores, available > 0 {
            metrics.write(
                "process.cpu.utilization",
                "Difference in process.cpu.time since the last measurement, divided by the elapsed time and number of CPUs available to the process.",
                unit: "1", kind: .gauge, .double(min(max(busy / available, 0), 1)), into: &out
            )
        }
        if let rss = resources.rssBytes {
            metrics.write("process.memory.usage", "The amount of physical memory in use.",
                          unit: "By", kind: .upDownSum, .int(rss.otlpInt64), into: &out)
        }
        if let threads = resources.threads {
            metrics.write("process.thread.count", "Process threads count.",
                          unit: "{thread}", kind: .upDownSum, .int(threads.otlpInt64), into: &out)
        }
        if let descriptors = resources.openFileDescriptors {
            metrics.write("process.unix.file_descriptor.count", "Number of UNIX file descriptors in use by the process.",
                          unit: "{file_descriptor}", kind: .upDownSum, .int(descriptors.otlpInt64), into: &out)
        }
        var diskPoints: [(direction: StaticString, value: Int64)] = []
        if let read = resources.readBytes { diskPoints.append(("read", read.otlpInt64)) }
        if let written = resources.writeBytes { diskPoints.append(("write", written.otlpInt64)) }
        if !diskPoints.isEmpty {
            metrics.writeDiskIO(diskPoints, into: &out)
        }
        if let peak = resources.peakRSSBytes {
            metrics.write("processmonitor.memory.peak", "Peak resident set size (VmHWM).",
                          unit: "By", kind: .gauge, .int(peak.otlpInt64), into: &out)
        }
        if let limit = resources.memoryLimitBytes {
            metrics.write("processmonitor.memory.limit", "Memory limit of the process's cgroup, the tightest along its path.",
                          unit: "By", kind: .gauge, .int(limit.otlpInt64), into: &out)
        }
        if let charged = resources.memoryUsageBytes {
            metrics.write("processmonitor.memory.cgroup_usage", "Memory charged to the process's cgroup, page cache included.",
                          unit: "By", kind: .gauge, .int(charged.otlpInt64), into: &out)
        }
        if let kills = resources.oomKills {
            metrics.write("processmonitor.memory.oom_kills", "Processes of the cgroup the OOM killer ended.",
                          unit: "{process}", kind: .counter, .int(kills.otlpInt64), into: &out)
        }
        if let limit = resources.fileDescriptorLimit {
            metrics.write("processmonitor.file_descriptor.limit", "Soft limit on open file descriptors (RLIMIT_NOFILE).",
                          unit: "{file_descriptor}", kind: .gauge, .int(limit.otlpInt64), into: &out)
        }
        if let busy = cpu.coresBusy, busy >= 0 {
            metrics.write("processmonitor.cpu.cores_busy", "Average cores kept busy over the measured window.",
                          unit: "{cpu}", kind: .gauge, .double(busy), into: &out)
        }
        if let available = cpu.availableCores {
            metrics.write("processmonitor.cpu.available_cores", "Cores the process may use: the smaller of its CPU affinity and its cgroup quota.",
                          unit: "{cpu}", kind: .gauge, .double(available), into: &out)
        }
        metrics.write("processmonitor.lanes.instrumented", "Threads and tasks inside at least one scope.",
                      unit: "{lane}", kind: .gauge, .int(Int64(heartbeat.instrumentedLanes)), into: &out)
        metrics.write("processmonitor.lanes.stalled", "Threads and tasks whose innermost scope has run for at least the stall threshold.",
                      unit: "{lane}", kind: .gauge, .int(Int64(heartbeat.stalls.count)), into: &out)
        if let active = heartbeat.active {
            metrics.write("processmonitor.phase.oldest_age", "How long the oldest innermost scope has been running.",
                          unit: "s", kind: .gauge, .seconds(active.age), into: &out)
            if let fraction = active.progress?.fraction {
                metrics.write("processmonitor.progress.ratio", "Progress of the oldest phase's counter, done / total.",
                              unit: "1", kind: .gauge, .double(min(max(fraction, 0), 1)), into: &out)
            }
        }
        metrics.write("processmonitor.records.dropped", "Records the exporter's sink could not deliver so far.",
                      unit: "{record}", kind: .counter, .int(context.droppedRecords.otlpInt64), into: &out)

        out.append("],\"schemaUrl\":\"")
        out.append(Self.schemaURL)
        out.append("\"}],\"schemaUrl\":\"")
        out.append(Self.schemaURL)
        out.append("\"}]}")
        return out.text
    }
}

/// Writes the `metrics` array of one request.
struct OTLPMetricWriter {
    /// How a metric aggregates: OTLP's gauge, or a cumulative sum that only grows (a counter)
    /// or may go down (an up-down counter, which is what the semantic conventions make
    /// `process.memory.usage`, `process.thread.count` and the descriptor count).
    enum Kind {
        case gauge
        case counter
        case upDownSum
    }

    enum Value {
        case int(Int64)
        case double(Double)
        /// Whole milliseconds as seconds, written exactly.
        case seconds(Duration)
    }

    let time: UInt64
    let start: UInt64
    private var list = OTLPList()

    init(time: UInt64, start: UInt64) {
        self.time = time
        self.start = start
    }

    mutating func write(
        _ name: StaticString, _ description: StaticString, unit: StaticString, kind: Kind, _ value: Value,
        into out: inout LineBuffer
    ) {
        if case .double(let number) = value, !number.isFinite { return }
        open(name, description, unit: unit, kind: kind, into: &out)
        writePoint(attribute: nil, value, cumulative: kind != .gauge, into: &out)
        close(kind, into: &out)
    }

    /// `process.disk.io`: one cumulative point per direction, as the conventions require.
    mutating func writeDiskIO(_ points: [(direction: StaticString, value: Int64)], into out: inout LineBuffer) {
        open("process.disk.io", "Disk bytes transferred.", unit: "By", kind: .counter, into: &out)
        for (index, point) in points.enumerated() {
            if index > 0 { out.append(",") }
            writePoint(attribute: ("disk.io.direction", point.direction), .int(point.value), cumulative: true, into: &out)
        }
        close(.counter, into: &out)
    }

    private mutating func open(_ name: StaticString, _ description: StaticString, unit: StaticString, kind: Kind, into out: inout LineBuffer) {
        list.next(&out)
        out.append("{\"name\":\"")
        out.append(name)
        out.append("\",\"description\":\"")
        out.append(description)
        out.append("\",\"unit\":\"")
        out.append(unit)
        out.append(kind == .gauge ? "\",\"gauge\":{\"dataPoints\":[" : "\",\"sum\":{\"dataPoints\":[")
    }

    private func close(_ kind: Kind, into out: inout LineBuffer) {
        switch kind {
        case .gauge: out.append("]}}")
        // 2 is AGGREGATION_TEMPORALITY_CUMULATIVE.
        case .counter: out.append("],\"aggregationTemporality\":2,\"isMonotonic\":true}}")
        case .upDownSum: out.append("],\"aggregationTemporality\":2,\"isMonotonic\":false}}")
        }
    }

    private func writePoint(
        attribute: (key: StaticString, value: StaticString)?, _ value: Value, cumulative: Bool, into out: inout LineBuffer
    ) {
        out.append("{")
        if let attribute {
            out.append("\"attributes\":[{\"key\":\"")
            out.append(attribute.key)
            out.append("\",\"value\":{\"stringValue\":\"")
            out.append(attribute.value)
            out.append("\"}}],")
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
