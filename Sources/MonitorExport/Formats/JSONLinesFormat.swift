import Foundation
import ProcessMonitor

/// Renders each heartbeat as one JSON object on one line (JSON Lines), for log aggregators.
///
/// Keys come in a fixed order, `timestamp` first, so a human scanning the raw file and a
/// `grep` both find what they look for at the start of the line. Every value the text format
/// shows is here as a number with its unit in the key (`elapsed_s`, `rss_bytes`); unknown
/// values are `null`, never `NaN` (a non-finite or negative `cpu_cores` is written `null` too).
/// Durations are seconds with exactly three fraction digits and `cpu_cores` is Swift's shortest
/// round-trip decimal, so ``HeartbeatRecordDecoder`` reads back the identical heartbeat.
///
/// Labels and thread names are cut to ``ExportLimits/maxLabelBytes``. When a record would still
/// exceed ``ExportLimits/maxLineBytes`` (stalls are never capped, so a thousand stuck threads
/// could do it), trailing phases and then trailing stalls are left out and counted in
/// `phases_omitted` and `stalls_omitted`. The record validates against
/// `schemas/heartbeat.schema.json`.
///
/// ```swift
/// let format = try JSONLinesFormat(attributes: ["job": "train-42", "rank": "3"])
/// let monitor = try ProcessMonitor.start(observers: [
///     HeartbeatExporter(format: format, sink: StandardStreamSink.standardError),
/// ])
/// ```
public struct JSONLinesFormat: HeartbeatFormat {
    /// The value of `schema_version` in every record; it changes when a field changes meaning
    /// or is removed, together with the schema's `$id`.
    ///
    /// ```swift
    /// precondition(JSONLinesFormat.schemaVersion == 1)
    /// ```
    public static let schemaVersion = 1

    /// The static attributes every record carries in its `attributes` object; values already
    /// cut to ``ExportLimits/maxLabelBytes``.
    ///
    /// ```swift
    /// try JSONLinesFormat(attributes: ["rank": "3"]).attributes["rank"]  // "3"
    /// ```
    public let attributes: [String: String]

    /// The label and line limits the format honours.
    ///
    /// ```swift
    /// JSONLinesFormat().limits.maxLineBytes  // 16384
    /// ```
    public let limits: ExportLimits

    /// `"attributes":{…}`, rendered once: attributes never change, so no record pays for them.
    private let renderedAttributes: MachineLineBuffer

    /// Creates a format without attributes.
    ///
    /// ```swift
    /// let format = JSONLinesFormat(limits: try ExportLimits(maxLabelBytes: 128))
    /// ```
    public init(limits: ExportLimits = .default) {
        self.attributes = [:]
        self.limits = limits
        var rendered = MachineLineBuffer(capacity: 16)
        rendered.append("\"attributes\":{}")
        self.renderedAttributes = rendered
    }

    /// Creates a format whose records carry `attributes` (job id, rank, host) in their own object.
    ///
    /// Keys must be non-empty, at most 64 bytes, and free of whitespace, control characters,
    /// `=`, `"`, `'` and U+FFFD, so that the same attributes work unchanged as logfmt keys.
    /// Values of any content are cut like labels. Together the attributes may take at most an
    /// eighth of ``ExportLimits/maxLineBytes``, so the heartbeat itself always fits.
    ///
    /// - Throws: ``ExportError`` with code `invalidConfiguration`, naming the bad key.
    ///
    /// ```swift
    /// let format = try JSONLinesFormat(attributes: ["job": "nightly-etl", "host": "gpu-07"])
    /// ```
    public init(attributes: [String: String], limits: ExportLimits = .default) throws(ExportError) {
        let pairs = try MachineAttributes.validated(attributes, limits: limits)
        var rendered = MachineLineBuffer(capacity: 64)
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
        self.renderedAttributes = rendered
    }

    /// One line: the heartbeat's JSON record, at level `.warning` when it carries stalls.
    ///
    /// ```swift
    /// let lines = JSONLinesFormat().render(heartbeat, context: FormatContext(droppedRecords: 0))
    /// ```
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
        var out = MachineLineBuffer(capacity: 768 + 192 * (heartbeat.stalls.count + heartbeat.phases.count))
        writeHead(heartbeat, labels: limits, labelInMessage: true, into: &out)
        out.append("\"stalls\":[")
        for (index, stall) in heartbeat.stalls.enumerated() {
            if index > 0 { out.append(",") }
            writeStall(stall, labels: limits, into: &out)
        }
        out.append("],\"stalls_omitted\":0,\"phases\":[")
        for (index, phase) in heartbeat.phases.enumerated() {
            if index > 0 { out.append(",") }
            writePhase(phase, labels: limits, into: &out)
        }
        out.append("],\"phases_omitted\":")
        out.appendDecimal(heartbeat.omittedPhases)
        writeTail(context, into: &out)
        if out.count <= limits.maxLineBytes { return out.string }
        return fittedRecord(for: heartbeat, context: context)
    }

    // MARK: - Keeping within the line limit

    /// The record with as many leading stalls and phases as fit, oldest first being the ones
    /// that matter; phases go before stalls because a stall is the louder signal.
    ///
    /// When even the bare record is too long (tiny line limit with long labels of escaped
    /// control characters), labels are cut much harder, and as a last resort the active phase
    /// is left out: a shorter record beats one that a container runtime splits in two.
    private func fittedRecord(for heartbeat: Heartbeat, context: FormatContext) -> String {
        if let text = fitted(heartbeat, context: context, labels: limits, labelInMessage: true) {
            return text
        }
        let tight = (try? ExportLimits(maxLabelBytes: ExportLimits.maxLabelBytesRange.lowerBound,
                                       maxLineBytes: limits.maxLineBytes)) ?? limits
        if let text = fitted(heartbeat, context: context, labels: tight, labelInMessage: false) {
            return text
        }
        var bare = heartbeat
        bare.active = nil
        if let text = fitted(bare, context: context, labels: tight, labelInMessage: false) {
            return text
        }
        // Unreachable with the attribute budget enforced at init; keep the line well-formed.
        var out = MachineLineBuffer(capacity: 1024)
        writeHead(bare, labels: tight, labelInMessage: false, into: &out)
        out.append("\"stalls\":[],\"stalls_omitted\":")
        out.appendDecimal(heartbeat.stalls.count)
        out.append(",\"phases\":[],\"phases_omitted\":")
        out.appendDecimal(heartbeat.omittedPhases + heartbeat.phases.count)
        writeTail(context, into: &out)
        return out.string
    }

    private func fitted(_ heartbeat: Heartbeat, context: FormatContext, labels: ExportLimits, labelInMessage: Bool) -> String? {
        var head = MachineLineBuffer(capacity: 1024)
        writeHead(heartbeat, labels: labels, labelInMessage: labelInMessage, into: &head)
        var tail = MachineLineBuffer(capacity: renderedAttributes.count + 64)
        writeTail(context, into: &tail)
        let stallSizes = heartbeat.stalls.map { stall -> Int in
            var part = MachineLineBuffer(capacity: 128)
            writeStall(stall, labels: labels, into: &part)
            return part.count
        }
        let phaseSizes = heartbeat.phases.map { phase -> Int in
            var part = MachineLineBuffer(capacity: 192)
            writePhase(phase, labels: labels, into: &part)
            return part.count
        }
        let fixed = head.count + tail.count + "\"stalls\":[],\"stalls_omitted\":,\"phases\":[],\"phases_omitted\":".utf8.count
        func elements(_ sizes: ArraySlice<Int>) -> Int { sizes.reduce(0, +) + max(0, sizes.count - 1) }
        var keptStalls = stallSizes.count
        var keptPhases = phaseSizes.count
        var stallBytes = elements(stallSizes[...])
        var phaseBytes = elements(phaseSizes[...])
        func size() -> Int {
            fixed + stallBytes + phaseBytes + decimalLength(stallSizes.count - keptStalls)
                + decimalLength(heartbeat.omittedPhases + phaseSizes.count - keptPhases)
        }
        while size() > limits.maxLineBytes {
            if keptPhases > 0 {
                keptPhases -= 1
                phaseBytes -= phaseSizes[keptPhases] + (keptPhases > 0 ? 1 : 0)
            } else if keptStalls > 0 {
                keptStalls -= 1
                stallBytes -= stallSizes[keptStalls] + (keptStalls > 0 ? 1 : 0)
            } else {
                return nil
            }
        }
        var out = head
        out.bytes.reserveCapacity(size())
        out.append("\"stalls\":[")
        for index in 0 ..< keptStalls {
            if index > 0 { out.append(",") }
            writeStall(heartbeat.stalls[index], labels: labels, into: &out)
        }
        out.append("],\"stalls_omitted\":")
        out.appendDecimal(stallSizes.count - keptStalls)
        out.append(",\"phases\":[")
        for index in 0 ..< keptPhases {
            if index > 0 { out.append(",") }
            writePhase(heartbeat.phases[index], labels: labels, into: &out)
        }
        out.append("],\"phases_omitted\":")
        out.appendDecimal(heartbeat.omittedPhases + phaseSizes.count - keptPhases)
        out.append(contentsOf: tail)
        return out.string
    }

    private func decimalLength(_ value: Int) -> Int {
        var length = value < 0 ? 2 : 1
        var rest = value.magnitude
        while rest >= 10 {
            rest /= 10
            length += 1
        }
        return length
    }

    // MARK: - Pieces

    /// Everything from `{` up to and including the comma before `"stalls"`.
    private func writeHead(_ heartbeat: Heartbeat, labels: ExportLimits, labelInMessage: Bool, into out: inout MachineLineBuffer) {
        out.append("{\"timestamp\":\"")
        out.appendTimestamp(heartbeat.timestamp)
        out.append("\",\"level\":\"")
        out.append(heartbeat.stalls.isEmpty ? "info" : "warn")
        out.append("\",\"message\":\"")
        writeMessage(heartbeat, labels: labels, labelInMessage: labelInMessage, into: &out)
        out.append("\",\"schema_version\":1,\"seq\":")
        out.appendDecimal(heartbeat.sequence)
        out.append(",\"pid\":")
        out.appendDecimal(Int64(heartbeat.processID))
        out.append(",\"trigger\":\"")
        switch heartbeat.trigger {
        case .scheduled: out.append("scheduled")
        case .requested: out.append("requested")
        case .final: out.append("final")
        }
        out.append("\",\"elapsed_s\":")
        out.appendSeconds(heartbeat.elapsed)
        let resources = heartbeat.resources
        out.append(",\"rss_bytes\":")
        writeOptional(resources.rssBytes, into: &out)
        out.append(",\"peak_rss_bytes\":")
        writeOptional(resources.peakRSSBytes, into: &out)
        out.append(",\"process_threads\":")
        writeOptional(resources.threads, into: &out)
        out.append(",\"read_bytes\":")
        writeOptional(resources.readBytes, into: &out)
        out.append(",\"write_bytes\":")
        writeOptional(resources.writeBytes, into: &out)
        out.append(",\"cpu_cores\":")
        if let cores = heartbeat.cpu.coresBusy, cores.isFinite, cores >= 0 {
            out.appendShortest(cores)
        } else {
            out.append("null")
        }
        out.append(",\"cpu_available_cores\":")
        if let available = heartbeat.cpu.availableCores { out.appendShortest(available) } else { out.append("null") }
        out.append(",\"cpu_window_s\":")
        if let window = heartbeat.cpu.window { out.appendSeconds(window) } else { out.append("null") }
        out.append(",\"instrumented_threads\":")
        out.appendDecimal(heartbeat.instrumentedLanes)
        out.append(",\"active\":")
        if let active = heartbeat.active {
            out.append("{\"lane\":\"")
            out.appendLane(active.lane, limits: labels) { $0.appendJSONStringContent($1) }
            out.append("\",\"label\":")
            out.appendJSONString(labels.cap(active.label))
            out.append(",\"age_s\":")
            out.appendSeconds(active.age)
            out.append(",\"progress\":")
            writeProgress(active.progress, into: &out)
            out.append("}")
        } else {
            out.append("null")
        }
        out.append(",\"stall_threshold_s\":")
        out.appendSeconds(heartbeat.stallThreshold)
        out.append(",")
    }

    /// `heartbeat: 2 stalls; load shards for 2m22s, 250/1000 (25%)`: what a log viewer that
    /// shows only `message` should still tell a person.
    private func writeMessage(_ heartbeat: Heartbeat, labels: ExportLimits, labelInMessage: Bool, into out: inout MachineLineBuffer) {
        out.append("heartbeat: ")
        if !heartbeat.stalls.isEmpty {
            out.appendDecimal(heartbeat.stalls.count)
            out.append(heartbeat.stalls.count == 1 ? " stall; " : " stalls; ")
        }
        guard let active = heartbeat.active else {
            out.append("idle")
            return
        }
        if labelInMessage {
            out.appendJSONStringContent(labels.cap(active.label))
        } else {
            out.append("active")
        }
        out.append(" for ")
        out.appendHumanDuration(active.age)
        guard let progress = active.progress else { return }
        out.append(", ")
        out.appendDecimal(progress.current)
        out.append("/")
        if let fraction = progress.fraction {
            out.appendDecimal(progress.total)
            out.append(" (")
            let percent = min((fraction * 100).rounded(), 1e15)
            out.appendDecimal(Int64(percent.isFinite ? percent : 0))
            out.append("%)")
        } else {
            out.append("?")
        }
    }

    private func writeStall(_ stall: Stall, labels: ExportLimits, into out: inout MachineLineBuffer) {
        out.append("{\"thread\":\"")
        out.appendLane(stall.lane, limits: labels) { $0.appendJSONStringContent($1) }
        out.append("\",\"label\":")
        out.appendJSONString(labels.cap(stall.label))
        out.append(",\"stuck_s\":")
        out.appendSeconds(stall.age)
        out.append("}")
    }

    private func writePhase(_ phase: Phase, labels: ExportLimits, into out: inout MachineLineBuffer) {
        out.append("{\"thread\":\"")
        out.appendLane(phase.lane, limits: labels) { $0.appendJSONStringContent($1) }
        out.append("\",\"depth\":")
        out.appendDecimal(phase.depth)
        out.append(",\"label\":")
        out.appendJSONString(labels.cap(phase.label))
        out.append(",\"in_frame_s\":")
        out.appendSeconds(phase.age)
        out.append(",\"updated_ago_s\":")
        out.appendSeconds(phase.sinceLastChange)
        out.append(",\"progress\":")
        writeProgress(phase.progress, into: &out)
        out.append("}")
    }

    /// `elapsed_s` is the progress counter's own clock (its scope may be an outer one), which
    /// the record needs to stay lossless; rate and ETA are derived, for readers' convenience.
    private func writeProgress(_ progress: ProgressReading?, into out: inout MachineLineBuffer) {
        guard let progress else {
            out.append("null")
            return
        }
        out.append("{\"current\":")
        out.appendDecimal(progress.current)
        out.append(",\"total\":")
        if progress.total == 0 { out.append("null") } else { out.appendDecimal(progress.total) }
        out.append(",\"elapsed_s\":")
        out.appendSeconds(progress.elapsed)
        out.append(",\"rate_per_s\":")
        if let rate = progress.unitsPerSecond, rate.isFinite, rate >= 0 {
            out.appendShortest(rate)
        } else {
            out.append("null")
        }
        out.append(",\"eta_s\":")
        if let remaining = progress.estimatedRemaining { out.appendSeconds(remaining) } else { out.append("null") }
        out.append("}")
    }

    /// From `,"dropped_records"` to the closing brace.
    private func writeTail(_ context: FormatContext, into out: inout MachineLineBuffer) {
        out.append(",\"dropped_records\":")
        out.appendDecimal(context.droppedRecords)
        out.append(",")
        out.append(contentsOf: renderedAttributes)
        out.append("}")
    }

    private func writeOptional(_ value: UInt64?, into out: inout MachineLineBuffer) {
        if let value { out.appendDecimal(value) } else { out.append("null") }
    }
}
