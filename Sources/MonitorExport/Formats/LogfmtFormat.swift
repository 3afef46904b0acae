import Foundation
import ProcessMonitor

/// Renders each heartbeat as logfmt lines (`key=value key="quoted value"`), for tools that read
/// logfmt: Loki, Heroku-style pipelines, `grep`.
///
/// One line for the headline (`msg=heartbeat`, level `info`, with `stalls=N` counting the stall
/// lines that follow), one per stall (`msg=stall`, level `warn`), one per phase (`msg=phase`),
/// and `msg=phases_omitted` when the core left phases out. Stalls are never left out: every
/// line is short, so only labels are cut to keep each within ``ExportLimits/maxLineBytes``. Every line
/// starts with `timestamp`, `level`, `seq` and `msg`, then carries the user attributes as
/// `attr.<key>` so a single line can be filtered on its own. Key names are the JSON Lines ones,
/// flattened: `active_label`, `progress_current`.
///
/// Values follow go-logfmt's encoder: a value is quoted when it contains a space, `=`, `"`, a
/// control character or U+FFFD, or is the word `null`; inside quotes `\\ \" \n \r \t` are
/// escaped and other control characters become `\u00XX`. Two deliberate extras, both still
/// read identically by go-logfmt's decoder: values containing `'` are quoted (newer go-logfmt
/// decoders treat `'` as a quote character) and DEL is escaped as `\u007f`. An empty value is
/// written bare, `label=`, as go-logfmt does. An unknown figure is written `null`, as go-logfmt
/// writes Go's `nil`; a structure that does not exist (no active phase, no progress counter)
/// leaves its keys out. Each line validates against `schemas/logfmt-line.schema.json` once
/// decoded into a flat map of strings.
///
/// ```swift
/// let format = try LogfmtFormat(attributes: ["job": "train-42"])
/// for line in format.render(heartbeat, context: FormatContext()) { print(line.text) }
/// // timestamp=2024-05-01T12:00:00.000Z level=info seq=7 msg=heartbeat schema_version=1 ...
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
    private let renderedAttributes: MachineLineBuffer

    /// Creates a format without attributes.
    ///
    /// ```swift
    /// let format = LogfmtFormat(limits: try ExportLimits(maxLineBytes: 4096))
    /// ```
    public init(limits: ExportLimits = .default) {
        self.attributes = [:]
        self.limits = limits
        self.renderedAttributes = MachineLineBuffer(capacity: 0)
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
        var rendered = MachineLineBuffer(capacity: 64)
        for pair in pairs {
            rendered.append(" attr.")
            rendered.appendUTF8(pair.key)
            rendered.append("=")
            rendered.appendLogfmtValue(pair.value)
        }
        try MachineAttributes.checkBudget(renderedBytes: rendered.count, limits: limits)
        self.attributes = Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) })
        self.limits = limits
        self.renderedAttributes = rendered
    }

    /// The headline, then one line per stall (`.warning`), per phase, and for omitted phases.
    ///
    /// ```swift
    /// let lines = LogfmtFormat().render(heartbeat, context: FormatContext(droppedRecords: 2))
    /// lines.first?.text.contains("dropped_records=2")  // true
    /// ```
    public func render(_ heartbeat: Heartbeat, context: FormatContext) -> [RenderedLine] {
        var lines: [RenderedLine] = []
        lines.reserveCapacity(2 + heartbeat.stalls.count + heartbeat.phases.count)
        lines.append(RenderedLine(text: headline(heartbeat, context: context), level: .info))
        for stall in heartbeat.stalls {
            let text = fitting { labels in
                var out = start(heartbeat, level: "warn", kind: "stall")
                out.append(" thread=")
                writeLane(stall.lane, labels: labels, into: &out)
                out.append(" label=")
                out.appendLogfmtValue(labels.cap(stall.label))
                out.append(" stuck_s=")
                out.appendSeconds(stall.age)
                return finish(&out)
            }
            lines.append(RenderedLine(text: text, level: .warning))
        }
        for phase in heartbeat.phases {
            let text = fitting { labels in
                var out = start(heartbeat, level: "info", kind: "phase")
                out.append(" thread=")
                writeLane(phase.lane, labels: labels, into: &out)
                out.append(" depth=")
                out.appendDecimal(phase.depth)
                out.append(" label=")
                out.appendLogfmtValue(labels.cap(phase.label))
                out.append(" in_frame_s=")
                out.appendSeconds(phase.age)
                out.append(" updated_ago_s=")
                out.appendSeconds(phase.sinceLastChange)
                writeProgress(phase.progress, into: &out)
                return finish(&out)
            }
            lines.append(RenderedLine(text: text, level: .info))
        }
        if heartbeat.omittedPhases > 0 {
            var out = start(heartbeat, level: "info", kind: "phases_omitted")
            out.append(" phases_omitted=")
            out.appendDecimal(heartbeat.omittedPhases)
            lines.append(RenderedLine(text: finish(&out), level: .info))
        }
        return lines
    }

    // MARK: - Lines

    private func headline(_ heartbeat: Heartbeat, context: FormatContext) -> String {
        let render = { (labels: ExportLimits, includeActive: Bool) -> MachineLineBuffer in
            var out = start(heartbeat, level: "info", kind: "heartbeat")
            out.append(" schema_version=1 pid=")
            out.appendDecimal(Int64(heartbeat.processID))
            out.append(" trigger=")
            switch heartbeat.trigger {
            case .scheduled: out.append("scheduled")
            case .requested: out.append("requested")
            case .final: out.append("final")
            }
            out.append(" elapsed_s=")
            out.appendSeconds(heartbeat.elapsed)
            let resources = heartbeat.resources
            out.append(" rss_bytes=")
            writeOptional(resources.rssBytes, into: &out)
            out.append(" peak_rss_bytes=")
            writeOptional(resources.peakRSSBytes, into: &out)
            out.append(" process_threads=")
            writeOptional(resources.threads, into: &out)
            out.append(" read_bytes=")
            writeOptional(resources.readBytes, into: &out)
            out.append(" write_bytes=")
            writeOptional(resources.writeBytes, into: &out)
            out.append(" cpu_cores=")
            if let cores = heartbeat.cpu.coresBusy, cores.isFinite, cores >= 0 {
                out.appendShortest(cores)
            } else {
                out.append("null")
            }
            out.append(" cpu_available_cores=")
            if let available = heartbeat.cpu.availableCores { out.appendShortest(available) } else { out.append("null") }
            out.append(" cpu_window_s=")
            if let window = heartbeat.cpu.window { out.appendSeconds(window) } else { out.append("null") }
            out.append(" instrumented_threads=")
            out.appendDecimal(heartbeat.instrumentedLanes)
            if includeActive, let active = heartbeat.active {
                out.append(" active_lane=")
                writeLane(active.lane, labels: labels, into: &out)
                out.append(" active_label=")
                out.appendLogfmtValue(labels.cap(active.label))
                out.append(" active_age_s=")
                out.appendSeconds(active.age)
                writeProgress(active.progress, into: &out)
            }
            out.append(" stall_threshold_s=")
            out.appendSeconds(heartbeat.stallThreshold)
            out.append(" stalls=")
            out.appendDecimal(heartbeat.stalls.count)
            out.append(" phases_omitted=")
            out.appendDecimal(heartbeat.omittedPhases)
            out.append(" dropped_records=")
            out.appendDecimal(context.droppedRecords)
            out.append(contentsOf: renderedAttributes)
            return out
        }
        let line = render(limits, true)
        if line.count <= limits.maxLineBytes { return line.string }
        let tightened = render(tightLimits, true)
        if tightened.count <= limits.maxLineBytes { return tightened.string }
        // Unreachable with the attribute budget enforced at init; drop the label-bearing keys.
        return render(tightLimits, false).string
    }

    /// Renders with the configured label limits, and again with labels cut hard when the line
    /// would be too long: only labels of escaped control characters near the cap can do that.
    private func fitting(_ render: (ExportLimits) -> String) -> String {
        let text = render(limits)
        if text.utf8.count <= limits.maxLineBytes { return text }
        return render(tightLimits)
    }

    private var tightLimits: ExportLimits {
        (try? ExportLimits(maxLabelBytes: ExportLimits.maxLabelBytesRange.lowerBound,
                           maxLineBytes: limits.maxLineBytes)) ?? limits
    }

    /// `timestamp=… level=… seq=… msg=…`: what every line starts with.
    private func start(_ heartbeat: Heartbeat, level: StaticString, kind: StaticString) -> MachineLineBuffer {
        var out = MachineLineBuffer(capacity: 384 + renderedAttributes.count)
        out.append("timestamp=")
        out.appendTimestamp(heartbeat.timestamp)
        out.append(" level=")
        out.append(level)
        out.append(" seq=")
        out.appendDecimal(heartbeat.sequence)
        out.append(" msg=")
        out.append(kind)
        return out
    }

    private func finish(_ out: inout MachineLineBuffer) -> String {
        out.append(contentsOf: renderedAttributes)
        return out.string
    }

    private func writeLane(_ lane: LaneID, labels: ExportLimits, into out: inout MachineLineBuffer) {
        // The lane text is quoted as a whole when its name needs it, so render it first.
        guard let name = lane.name else {
            out.appendLane(lane, limits: labels) { _, _ in }
            return
        }
        var plain = MachineLineBuffer(capacity: 32 + name.utf8.count)
        plain.appendLane(lane, limits: labels) { $0.appendUTF8($1) }
        out.appendLogfmtValue(plain.string)
    }

    private func writeProgress(_ progress: ProgressReading?, into out: inout MachineLineBuffer) {
        guard let progress else { return }
        out.append(" progress_current=")
        out.appendDecimal(progress.current)
        out.append(" progress_total=")
        if progress.total == 0 { out.append("null") } else { out.appendDecimal(progress.total) }
        out.append(" progress_elapsed_s=")
        out.appendSeconds(progress.elapsed)
        out.append(" progress_rate_per_s=")
        if let rate = progress.unitsPerSecond, rate.isFinite, rate >= 0 {
            out.appendShortest(rate)
        } else {
            out.append("null")
        }
        out.append(" progress_eta_s=")
        if let remaining = progress.estimatedRemaining { out.appendSeconds(remaining) } else { out.append("null") }
    }

    private func writeOptional(_ value: UInt64?, into out: inout MachineLineBuffer) {
        if let value { out.appendDecimal(value) } else { out.append("null") }
    }
}

extension MachineLineBuffer {
    /// A logfmt value by go-logfmt's rules (see ``LogfmtFormat``), bare when it can be.
    mutating func appendLogfmtValue(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            if !Self.logfmtNeedsQuotes(utf8) {
                bytes.append(contentsOf: utf8)
                return
            }
            bytes.append(UInt8(ascii: "\""))
            var start = 0
            for index in 0 ..< utf8.count {
                let byte = utf8[index]
                let replacement: StaticString
                switch byte {
                case 0x5C: replacement = "\\\\"
                case 0x22: replacement = "\\\""
                case 0x0A: replacement = "\\n"
                case 0x0D: replacement = "\\r"
                case 0x09: replacement = "\\t"
                case 0x00 ..< 0x20, 0x7F: replacement = ""
                default: continue
                }
                if start < index { bytes.append(contentsOf: utf8[start ..< index]) }
                if replacement.utf8CodeUnitCount > 0 {
                    append(replacement)
                } else {
                    appendUnicodeEscape(UInt32(byte))
                }
                start = index + 1
            }
            if start < utf8.count { bytes.append(contentsOf: utf8[start ..< utf8.count]) }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    /// go-logfmt's `needsQuotedValueRune` (space and below, `=`, `"`, DEL, U+FFFD), plus `'`,
    /// plus the bare word `null`, which a reader would take for a missing value.
    static func logfmtNeedsQuotes(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        if utf8.count == 4, utf8[0] == UInt8(ascii: "n"), utf8[1] == UInt8(ascii: "u"),
           utf8[2] == UInt8(ascii: "l"), utf8[3] == UInt8(ascii: "l") {
            return true
        }
        var index = 0
        let count = utf8.count
        while index < count {
            switch utf8[index] {
            case 0x00 ... 0x20, 0x22, 0x27, 0x3D, 0x7F:
                return true
            case 0xEF where index + 2 < count && utf8[index + 1] == 0xBF && utf8[index + 2] == 0xBD:
                return true
            default:
                index += 1
            }
        }
        return false
    }
}
