public import ProcessMonitor

/// Renders a heartbeat as the seed's human-readable `[process-monitor]` lines.
///
/// People and scripts grep these lines, so the default ``Style/seed`` reproduces the Rust seed's
/// messages byte for byte for the same values: one headline (info), one
/// `[process-monitor][STALL]` line per stall (warning; never capped in the seed style, as in the
/// seed; the extended style lists ``ExportLimits/maxStallLines`` and counts the rest), one `phase` line per
/// listed phase (info), then an `... and N more active thread(s) omitted` line when the monitor
/// capped the phases.
///
/// ```text
/// [process-monitor] elapsed=1h02m05s rss=1.5GiB peak_rss=2.0GiB process_threads=74 read_bytes=12.0MiB write_bytes=0B cpu=68.3/72 cores (avg over 1m00s) instrumented_threads=3 active="BMS coord_corrections" for 2m22s progress=41/128 (32%)
/// [process-monitor][STALL] thread=ThreadId(3)/worker phase="BMS coord_corrections" stuck=2m22s
/// [process-monitor] phase thread=ThreadId(3)/worker depth=2 deepest="BMS coord_corrections" in_frame=2m22s updated_ago=2m22s progress=41/128 (32%)
/// ```
///
/// Labels are first cut to ``ExportLimits/maxLabelBytes`` and then quoted as Rust's `{:?}`
/// quotes a string, so a label can never break a line; a line that would still exceed
/// ``ExportLimits/maxLineBytes`` is cut with the same visible marker.
///
/// ```swift
/// let exporter = HeartbeatExporter(
///     format: TextFormat(style: .extended, prefix: .timestampAndLevel),
///     sink: StandardStreamSink.standardError
/// )
/// ```
public struct TextFormat: HeartbeatFormat {
    /// Which fields the lines carry: exactly the seed's, or the seed's plus what it lacked.
    public struct Style: Sendable, Hashable {
        private enum Storage: Sendable, Hashable {
            case seed
            case extended
        }

        private let storage: Storage

        /// The seed's lines, byte for byte: what existing log searches and dashboards expect.
        public static let seed = Style(storage: .seed)

        /// The seed's lines with what the seed did not have, always at the end of a line or on
        /// lines of their own, so a pattern written for the seed's lines still matches:
        /// - ` rate={r}/s eta={d}` on the headline and each phase line with progress;
        /// - ` cgroup_memory={used}/{limit} (P%)` (` rss_memory=` where no cgroup says),
        ///   ` oom_kills=N` and ` fds={open}/{limit}` on the headline, when known;
        /// - ` waiting_on=N` on the phase line of a lane waiting on N live child lanes;
        /// - at most ``ExportLimits/maxStallLines`` `[STALL]` lines, then
        ///   `[process-monitor][STALL] ... and N more stalled lane(s) omitted` (warning);
        /// - `[process-monitor][STALL-END] thread=… phase="…" after=3m12s` (info) once for each
        ///   reported stall that has ended;
        /// - `[process-monitor][WARN] memory=… of limit=… (95%)` and `… fds=… of limit=…` (warning)
        ///   while memory or descriptors are at 90 % of their limit or more.
        ///
        /// ```text
        /// ... active="scan" for 10s progress=250/1000 (25%) rate=25.0/s eta=30s fds=12/1024
        /// ```
        public static let extended = Style(storage: .extended)

        /// `seed` or `extended`, as a command-line flag spells it.
        package var name: String {
            switch storage {
            case .seed: "seed"
            case .extended: "extended"
            }
        }

        /// Whether lines carry what the seed did not have: rate and ETA, container memory and
        /// descriptors, waiting counts, and the STALL-END and WARN lines.
        var isExtended: Bool { storage == .extended }
    }

    /// What goes in front of each line.
    public struct Prefix: Sendable, Hashable {
        private enum Storage: Sendable, Hashable {
            case none
            case timestampAndLevel
        }

        private let storage: Storage

        /// Nothing: the line starts with `[process-monitor]`, as the seed's message does. Use it
        /// when the sink or a logging backend adds its own time and level.
        public static let none = Prefix(storage: .none)

        /// The heartbeat's time (RFC 3339 UTC, milliseconds) and the line's level, as
        /// `2026-11-26T20:32:23.123Z INFO ` or `… WARN `: for a bare stream or file with no
        /// logging backend in front of it.
        ///
        /// ```text
        /// 2026-11-26T20:32:23.123Z WARN [process-monitor][STALL] thread=main phase="load" stuck=2m00s
        /// ```
        public static let timestampAndLevel = Prefix(storage: .timestampAndLevel)

        /// `none` or `timestampAndLevel`.
        package var name: String {
            switch storage {
            case .none: "none"
            case .timestampAndLevel: "timestampAndLevel"
            }
        }

        var includesTimestampAndLevel: Bool { storage == .timestampAndLevel }
    }

    /// Which fields the lines carry.
    package let style: Style
    /// What goes in front of each line.
    package let prefix: Prefix
    /// The label and line caps; labels are cut before they are quoted.
    package let limits: ExportLimits

    /// Creates a text format; the defaults give the seed's lines exactly.
    public init(style: Style = .seed, prefix: Prefix = .none, limits: ExportLimits = .default) {
        self.style = style
        self.prefix = prefix
        self.limits = limits
    }

    /// The heartbeat's lines in the seed's order: headline, stalls, phases, omitted count.
    public func render(_ heartbeat: Heartbeat, context: FormatContext) -> [RenderedLine] {
        var lines: [RenderedLine] = []
        lines.reserveCapacity(2 + heartbeat.stalls.count + heartbeat.phases.count)
        let timestamp = prefix.includesTimestampAndLevel ? formatRFC3339Milliseconds(heartbeat.timestamp) : ""
        var line = LineBuffer(capacity: 512)

        start(&line, .info, timestamp: timestamp)
        appendHeadline(heartbeat, to: &line)
        lines.append(finish(line, level: .info))

        // The seed printed every STALL line ("loud and unconditional"), so the seed style does
        // too; the extended style caps them like phases and counts the rest on one line.
        let listedStalls = style.isExtended ? min(heartbeat.stalls.count, limits.maxStallLines) : heartbeat.stalls.count
        for stall in heartbeat.stalls[..<listedStalls] {
            start(&line, .warning, timestamp: timestamp)
            line.append("[process-monitor][STALL] thread=")
            line.appendLane(stall.lane, limits: limits)
            line.append(" phase=")
            line.appendDebugQuoted(limits.cap(stall.label))
            line.append(" stuck=")
            guard style.isExtended else {
                line.appendDuration(stall.age)
                lines.append(finish(line, level: .warning))
                continue
            }
            line.appendDurationTenths(stall.age)
            appendStallReason(stall, to: &line)
            lines.append(finish(line, level: .warning))
            if stall.stack.count > 1 || stall.thread?.state == .suspended && !stall.stack.isEmpty {
                start(&line, .warning, timestamp: timestamp)
                line.append("[process-monitor][STALL-STACK] thread=")
                line.appendLane(stall.lane, limits: limits)
                line.append(" scopes=")
                for (index, frame) in stall.stack.enumerated() {
                    if index > 0 { line.append(" > ") }
                    line.appendDebugQuoted(limits.cap(frame.label))
                    line.append(" ")
                    line.appendDurationTenths(frame.age)
                }
                if stall.depth > stall.stack.count {
                    line.append(" > ... ")
                    line.appendInteger(stall.depth - stall.stack.count)
                    line.append(" deeper")
                }
                lines.append(finish(line, level: .warning))
            }
            for (index, frame) in (stall.backtrace ?? []).enumerated() {
                start(&line, .warning, timestamp: timestamp)
                line.append("[process-monitor][STALL-BACKTRACE] thread=")
                line.appendLane(stall.lane, limits: limits)
                line.append(" frame=")
                line.appendInteger(index)
                line.append(" ")
                line.appendDebugQuoted(limits.cap(frame))
                lines.append(finish(line, level: .warning))
            }
        }
        if listedStalls < heartbeat.stalls.count {
            start(&line, .warning, timestamp: timestamp)
            line.append("[process-monitor][STALL] ... and ")
            line.appendInteger(heartbeat.stalls.count - listedStalls)
            line.append(" more stalled lane(s) omitted")
            lines.append(finish(line, level: .warning))
        }

        if style.isExtended {
            for end in heartbeat.stallEnds {
                start(&line, .info, timestamp: timestamp)
                line.append("[process-monitor][STALL-END] thread=")
                line.appendLane(end.lane, limits: limits)
                line.append(" phase=")
                line.appendDebugQuoted(limits.cap(end.label))
                line.append(" after=")
                line.appendDurationTenths(end.duration)
                lines.append(finish(line, level: .info))
            }
            for resource in ResourceWarning.Resource.allCases {
                let warning = heartbeat.resourceWarnings.first { $0.resource == resource }
                let forecast = heartbeat.forecasts.first { $0.resource == resource }
                guard let used = warning?.used ?? forecast?.used, let limit = warning?.limit ?? forecast?.limit else {
                    continue
                }
                start(&line, .warning, timestamp: timestamp)
                line.append("[process-monitor][WARN] ")
                switch resource {
                case .memory:
                    line.append("memory=")
                    line.appendBytes(used)
                    line.append(" of limit=")
                    line.appendBytes(limit)
                case .fileDescriptors:
                    line.append("fds=")
                    line.appendInteger(used)
                    line.append(" of limit=")
                    line.appendInteger(limit)
                }
                line.append(" (")
                line.appendPercent(used: used, of: limit)
                line.append(")")
                if let forecast {
                    line.append(" limit_in=")
                    line.appendDuration(forecast.timeToLimit)
                    if let remaining = heartbeat.active?.progress?.estimatedRemaining {
                        line.append(" job_eta=")
                        line.appendDuration(remaining)
                    }
                }
                lines.append(finish(line, level: .warning))
            }
        }

        for phase in heartbeat.phases {
            start(&line, .info, timestamp: timestamp)
            line.append("[process-monitor] phase thread=")
            line.appendLane(phase.lane, limits: limits)
            line.append(" depth=")
            line.appendInteger(phase.depth)
            line.append(" deepest=")
            line.appendDebugQuoted(limits.cap(phase.label))
            line.append(" in_frame=")
            line.appendDuration(phase.age)
            line.append(" updated_ago=")
            line.appendDuration(phase.sinceLastChange)
            if let progress = phase.progress {
                appendProgress(progress, to: &line)
            }
            if style.isExtended, phase.activeDescendants > 0 {
                line.append(" waiting_on=")
                line.appendInteger(phase.activeDescendants)
            }
            lines.append(finish(line, level: .info))
        }

        if heartbeat.omittedPhases > 0 {
            start(&line, .info, timestamp: timestamp)
            line.append("[process-monitor] phase ... and ")
            line.appendInteger(heartbeat.omittedPhases)
            line.append(" more active thread(s) omitted")
            lines.append(finish(line, level: .info))
        }
        return lines
    }

    private func appendHeadline(_ heartbeat: Heartbeat, to line: inout LineBuffer) {
        let resources = heartbeat.resources
        line.append("[process-monitor] elapsed=")
        line.appendDuration(heartbeat.elapsed)
        line.append(" rss=")
        line.appendBytes(resources.rssBytes)
        line.append(" peak_rss=")
        line.appendBytes(resources.peakRSSBytes)
        line.append(" process_threads=")
        if let threads = resources.threads {
            line.appendInteger(threads)
        } else {
            line.append("<unknown>")
        }
        line.append(" read_bytes=")
        line.appendBytes(resources.readBytes)
        line.append(" write_bytes=")
        line.appendBytes(resources.writeBytes)
        line.append(" ")
        line.appendCPU(heartbeat.cpu)
        line.append(" instrumented_threads=")
        line.appendInteger(heartbeat.instrumentedLanes)
        if let active = heartbeat.active {
            line.append(" active=")
            line.appendDebugQuoted(limits.cap(active.label))
            line.append(" for ")
            line.appendDuration(active.age)
            if let progress = active.progress {
                appendProgress(progress, to: &line)
            }
        } else {
            line.append(" active=<idle>")
        }
        guard style.isExtended else { return }
        if let limit = resources.memoryLimitBytes, let used = resources.memoryInUseBytes {
            // Whose memory: the cgroup's charge (what the OOM killer compares), or the
            // process's RSS where the cgroup does not say.
            line.append(resources.memoryUsageBytes != nil ? " cgroup_memory=" : " rss_memory=")
            line.appendBytes(used)
            line.append("/")
            line.appendBytes(limit)
            line.append(" (")
            line.appendPercent(used: used, of: limit)
            line.append(")")
        }
        if let kills = resources.oomKills, kills > 0 {
            line.append(" oom_kills=")
            line.appendInteger(kills)
        }
        if let open = resources.openFileDescriptors {
            line.append(" fds=")
            line.appendInteger(open)
            if let limit = resources.fileDescriptorLimit {
                line.append("/")
                line.appendInteger(limit)
            }
        }
        if heartbeat.trigger != .scheduled {
            line.append(" trigger=")
            line.append(heartbeat.trigger.rawValue)
        }
    }

    /// The extended style's *why* of a stall, after `stuck=`: the threshold it passed, how long
    /// its counter has not moved, and what its thread is doing.
    private func appendStallReason(_ stall: Heartbeat.Stall, to line: inout LineBuffer) {
        line.append(" threshold=")
        line.appendDurationTenths(stall.threshold)
        if let quiet = stall.progress?.sinceLastMove {
            line.append(" no_progress_for=")
            line.appendDurationTenths(quiet)
        }
        guard let thread = stall.thread else { return }
        line.append(" thread_state=")
        line.append(thread.state.rawValue)
        if let call = thread.syscall {
            line.append(" syscall=")
            line.appendDebugQuotedIfNeeded(call)
        }
        if let fd = thread.fileDescriptor {
            line.append(" fd=")
            line.appendInteger(Int(fd))
        }
        if let target = thread.target {
            line.append(" target=")
            line.appendDebugQuoted(limits.cap(target))
        }
        if let channel = thread.waitChannel {
            line.append(" wchan=")
            line.appendDebugQuotedIfNeeded(limits.cap(channel))
        }
        if let cpu = thread.cpuFraction {
            line.append(" thread_cpu=")
            line.appendFixed((cpu * 100).rounded(.toNearestOrEven), fractionDigits: 0)
            line.append("%")
        }
        if let id = thread.threadID {
            line.append(" tid=")
            line.appendInteger(Int(id))
        }
    }

    /// The seed's progress part, then (extended style only) what the seed did not have.
    private func appendProgress(_ progress: ProgressReading, to line: inout LineBuffer) {
        line.appendProgress(current: progress.current, total: progress.total)
        guard style.isExtended else { return }
        if let rate = progress.unitsPerSecond {
            line.append(" rate=")
            line.appendFixed(rate, fractionDigits: 1)
            line.append("/s")
        }
        if let remaining = progress.estimatedRemaining {
            line.append(" eta=")
            line.appendDuration(remaining)
        }
    }

    /// Empties `line` (keeping its storage) and writes the prefix, if any.
    private func start(_ line: inout LineBuffer, _ level: HeartbeatLevel, timestamp: String) {
        line.removeAll()
        if prefix.includesTimestampAndLevel {
            line.append(timestamp)
            line.append(level == .warning ? " WARN " : " INFO ")
        }
    }

    private func finish(_ line: borrowing LineBuffer, level: HeartbeatLevel) -> RenderedLine {
        let text = line.count > limits.maxLineBytes ? fitLine(line.text, maxBytes: limits.maxLineBytes) : line.text
        return RenderedLine(text: text, level: level)
    }
}

/// `line` itself when it fits in `maxBytes` UTF-8 bytes; otherwise its longest prefix of whole
/// characters that fits together with ``ExportLimits/truncationMarker(cutBytes:)``, then the
/// marker.
///
/// Capped labels already keep ordinary lines far below the limit; this is the backstop for a
/// label of control characters, whose escapes are up to six times its raw size.
///
/// A 2000-byte line cut to 1024 bytes keeps 1008 bytes, then `…[+992 bytes]`.
func fitLine(_ line: String, maxBytes: Int) -> String { ExportLimits.cut(line, maxBytes: maxBytes) }
