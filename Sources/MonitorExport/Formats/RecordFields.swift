import Foundation
package import ProcessMonitor

// ════════════════════════════════════════════════════════════════════════════════════════════
// THE FIGURE TABLE: every figure of a heartbeat record, described once.
//
// Each row gives a figure's JSON key, its getter and setter, its bounds and null rule, the
// schema version that introduced it, and (headline figures) its Swift path, its Prometheus
// family, its OTLP metric and where the HTML report shows it. JSON Lines, logfmt (flattened),
// the decoder, Prometheus, OTLP/JSON (log attributes `processmonitor.<key>` and metrics) and
// the report all walk these rows; nothing else names a figure.
//
// ADDING A FIGURE, e.g. `ResourceUsage.swapBytes`:
//   1. The value in the core (`ProcessMonitor`) and whatever samples it.
//   2. One row below, where it belongs in the record's key order:
//
//        RecordField("swap_bytes", since: 3, swift: "resources.swapBytes",
//                    .count({ $0.resources.swapBytes }, { $0.resources.swapBytes = $1 }),
//                    prometheus: .gauge("processmonitor_swap_bytes", unit: .bytes, "Swap in use."),
//                    otlp: .gauge("processmonitor.memory.swap", unit: "By", "Swap in use."),
//                    report: .series(.memory, name: "swap", style: 3)),
//
//      Every column is decided: where a format should not carry the figure, say why with
//      `.none(because: "…")`. A figure of a stall, a phase or the active phase is a row of
//      that element's table (`stall`, `phase`, …): JSON Lines, logfmt, the decoder and the
//      OTLP log record carry those, with no other columns.
//      A figure computed from the record for metrics only (a count, a ratio) is a row of
//      `derived`.
//   3. A new key means a new `schema_version`: bump `currentVersion`, copy the newest
//      `schemas/heartbeat.vN.schema.json` and `schemas/logfmt-line.vN.schema.json`, add the key.
//   4. The README: the JSON Lines key table and the name table (`| figure | Swift | JSON …`).
//   5. The text line (`TextFormat`), if people reading logs should see it.
//
// The tests say what is missing: `RecordFieldsTests` holds the rows against the schemas and the
// README, `FieldCoverageTests` renders every format and looks for every row, and the report's
// tests look for every charted series.
// ════════════════════════════════════════════════════════════════════════════════════════════

/// The field tables, in output order.
package enum RecordFields {
    /// The `schema_version` the formats write; the decoder also reads every older one.
    static let currentVersion = 3
    static let supportedVersions = 1 ... currentVersion

    /// Before the headline fields come `timestamp`, `level`, `message` and `schema_version`,
    /// which every line of every format starts with; after them the arrays and the tail.
    package static let headline: [RecordField<Heartbeat>] = [
        RecordField(
            "seq", swift: "sequence",
            .count({ $0.sequence }, { $0.sequence = $1 ?? 0 }, nullable: false, minimum: 1),
            prometheus: .counter("processmonitor_heartbeats_total",
                                 "Heartbeats this process has produced, the latest included: the heartbeat's sequence number."),
            otlp: .none(because: "a record's sequence number: the log record carries it"),
            report: .shown(under: "First heartbeat")),
        RecordField(
            "pid", swift: "processID",
            .count({ UInt64(clamping: $0.processID) }, { $0.processID = Int32(clamping: $1 ?? 0) },
                   nullable: false, maximum: UInt64(Int32.max)),
            otlpAttribute: .resource("process.pid"),
            prometheus: .none(because: "names the process, not a figure; as a label it would start new series at every restart"),
            otlp: .none(because: "the resource attribute process.pid"),
            report: .shown(under: "Process")),
        RecordField(
            "trigger", swift: "trigger",
            .word({ $0.trigger.rawValue }, { heartbeat, word in
                guard let trigger = Heartbeat.Trigger(rawValue: word) else { return false }
                heartbeat.trigger = trigger
                return true
            }, allowed: Heartbeat.Trigger.allCases.map(\.rawValue)),
            prometheus: .gauge("processmonitor_final_heartbeat",
                               "1 when this is the last heartbeat, written as the monitor stopped, else 0.",
                               sample: .oneWhen(Heartbeat.Trigger.final.rawValue)),
            otlp: .none(because: "why the record was written: the log record carries it"),
            report: .shown(under: "Last heartbeat")),
        RecordField(
            "elapsed_s", swift: "elapsed",
            .seconds({ $0.elapsed }, { $0.elapsed = $1 ?? .zero }),
            prometheus: .gauge("processmonitor_elapsed_seconds", unit: .seconds, "Time since the monitor started."),
            otlp: .none(because: "every sum's startTimeUnixNano is the monitor's start; the log record carries it"),
            report: .shown(under: "Monitor started")),
        RecordField(
            "rss_bytes", swift: "resources.rssBytes",
            .count({ $0.resources.rssBytes }, { $0.resources.rssBytes = $1 }),
            prometheus: .gauge("processmonitor_resident_memory_bytes", unit: .bytes, "Resident set size (VmRSS)."),
            otlp: .upDownSum("process.memory.usage", unit: "By", "The amount of physical memory in use.",
                             semanticConvention: true),
            report: .series(.memory, name: "RSS", style: 1)),
        RecordField(
            "peak_rss_bytes", swift: "resources.peakRSSBytes",
            .count({ $0.resources.peakRSSBytes }, { $0.resources.peakRSSBytes = $1 }),
            prometheus: .gauge("processmonitor_resident_memory_peak_bytes", unit: .bytes, "Peak resident set size (VmHWM)."),
            otlp: .gauge("processmonitor.memory.peak", unit: "By", "Peak resident set size (VmHWM)."),
            report: .series(.memory, name: "peak RSS", style: 3)),
        RecordField(
            "process_threads", swift: "resources.threads",
            .count({ $0.resources.threads }, { $0.resources.threads = $1 }),
            prometheus: .gauge("processmonitor_threads", "Threads in the process."),
            otlp: .upDownSum("process.thread.count", unit: "{thread}", "Process threads count.", semanticConvention: true),
            report: .none(because: "not charted: the timeline shows what the instrumented threads do")),
        RecordField(
            "read_bytes", swift: "resources.readBytes",
            .count({ $0.resources.readBytes }, { $0.resources.readBytes = $1 }),
            prometheus: .counter("processmonitor_read_bytes_total", unit: .bytes,
                                 "Bytes the process caused to be read from storage."),
            otlp: .counter("process.disk.io", unit: "By", "Disk bytes transferred.", semanticConvention: true,
                           pointAttribute: ("disk.io.direction", "read")),
            report: .shown(under: "Storage I/O")),
        RecordField(
            "write_bytes", swift: "resources.writeBytes",
            .count({ $0.resources.writeBytes }, { $0.resources.writeBytes = $1 }),
            prometheus: .counter("processmonitor_written_bytes_total", unit: .bytes,
                                 "Bytes the process caused to be written to storage."),
            otlp: .counter("process.disk.io", unit: "By", "Disk bytes transferred.", semanticConvention: true,
                           pointAttribute: ("disk.io.direction", "write")),
            report: .shown(under: "Storage I/O")),
        RecordField(
            "memory_limit_bytes", since: 2, swift: "resources.memoryLimitBytes",
            .count({ $0.resources.memoryLimitBytes }, { $0.resources.memoryLimitBytes = $1 }),
            prometheus: .gauge("processmonitor_memory_limit_bytes", unit: .bytes,
                               "The cgroup memory limit; no sample when there is none."),
            otlp: .gauge("processmonitor.memory.limit", unit: "By",
                         "Memory limit of the process's cgroup, the tightest along its path."),
            report: .series(.memory, name: "memory limit", style: 2, isLimit: true)),
        RecordField(
            "memory_usage_bytes", since: 2, swift: "resources.memoryUsageBytes",
            .count({ $0.resources.memoryUsageBytes }, { $0.resources.memoryUsageBytes = $1 }),
            prometheus: .gauge("processmonitor_memory_usage_bytes", unit: .bytes,
                               "Memory charged to the process's cgroup, page cache included."),
            otlp: .gauge("processmonitor.memory.cgroup_usage", unit: "By",
                         "Memory charged to the process's cgroup, page cache included."),
            report: .series(.memory, name: "cgroup memory in use", style: 4)),
        RecordField(
            "memory_headroom_bytes", since: 2, swift: "resources.memoryHeadroomBytes",
            .count({ $0.resources.memoryHeadroomBytes }, { _, _ in }, derived: true),
            prometheus: .none(because: "derived: processmonitor_memory_limit_bytes minus the memory in use"),
            otlp: .none(because: "derived: processmonitor.memory.limit minus the memory in use"),
            report: .none(because: "the memory chart draws the limit and the usage it is derived from")),
        RecordField(
            "oom_kills", since: 2, swift: "resources.oomKills",
            .count({ $0.resources.oomKills }, { $0.resources.oomKills = $1 }),
            prometheus: .counter("processmonitor_oom_kills_total", "Processes of the cgroup that the OOM killer ended."),
            otlp: .counter("processmonitor.memory.oom_kills", unit: "{process}", "Processes of the cgroup the OOM killer ended."),
            report: .shown(under: "OOM kills")),
        RecordField(
            "open_fds", since: 2, swift: "resources.openFileDescriptors",
            .count({ $0.resources.openFileDescriptors }, { $0.resources.openFileDescriptors = $1 }),
            prometheus: .gauge("processmonitor_open_fds", "Open file descriptors."),
            otlp: .upDownSum("process.unix.file_descriptor.count", unit: "{file_descriptor}",
                             "Number of UNIX file descriptors in use by the process.", semanticConvention: true),
            report: .series(.fileDescriptors, name: "open descriptors", style: 1)),
        RecordField(
            "fd_limit", since: 2, swift: "resources.fileDescriptorLimit",
            .count({ $0.resources.fileDescriptorLimit }, { $0.resources.fileDescriptorLimit = $1 }),
            prometheus: .gauge("processmonitor_max_fds", "The soft limit on open file descriptors; no sample when unlimited."),
            otlp: .gauge("processmonitor.file_descriptor.limit", unit: "{file_descriptor}",
                         "Soft limit on open file descriptors (RLIMIT_NOFILE)."),
            report: .series(.fileDescriptors, name: "descriptor limit", style: 2, isLimit: true)),
        RecordField(
            "cpu_cores", swift: "cpu.coresBusy",
            .number({ $0.cpu.coresBusy }, { $0.cpu.coresBusy = $1 }),
            prometheus: .gauge("processmonitor_cpu_cores_busy",
                               "Average number of CPU cores the process kept busy over the measured window."),
            otlp: .gauge("processmonitor.cpu.cores_busy", unit: "{cpu}", "Average cores kept busy over the measured window."),
            report: .series(.cpuCores, name: "cores busy", style: 1)),
        RecordField(
            "cpu_available_cores", swift: "cpu.availableCores",
            .number({ $0.cpu.availableCores }, { $0.cpu.availableCores = $1 }, positive: true),
            prometheus: .gauge("processmonitor_cpu_available_cores",
                               "CPU cores the process may use: the smaller of its affinity and its cgroup quota."),
            otlp: .gauge("processmonitor.cpu.available_cores", unit: "{cpu}",
                         "Cores the process may use: the smaller of its CPU affinity and its cgroup quota."),
            report: .series(.cpuCores, name: "available cores", style: 2, isLimit: true)),
        RecordField(
            "cpu_affinity_cores", since: 2, swift: "cpu.affinityCores",
            .count({ $0.cpu.affinityCores.map { UInt64(clamping: $0) } },
                   { $0.cpu.affinityCores = $1.map { Int(clamping: $0) } }, minimum: 1),
            prometheus: .gauge("processmonitor_cpu_affinity_cores", "CPU cores in the process's affinity mask."),
            otlp: .gauge("processmonitor.cpu.affinity_cores", unit: "{cpu}", "CPU cores in the process's affinity mask."),
            report: .series(.cpuCores, name: "affinity cores", style: 4, isLimit: true,
                            shown: .whenDifferentFrom("cpu_available_cores"))),
        RecordField(
            "cpu_quota_cores", since: 2, swift: "cpu.quotaCores",
            .number({ $0.cpu.quotaCores }, { $0.cpu.quotaCores = $1 }, positive: true),
            prometheus: .gauge("processmonitor_cpu_quota_cores", "The cgroup CPU quota in cores; no sample when there is no quota."),
            otlp: .gauge("processmonitor.cpu.quota_cores", unit: "{cpu}", "The cgroup CPU quota in cores."),
            report: .series(.cpuCores, name: "CPU quota", style: 3, isLimit: true, shown: .whenKnown)),
        RecordField(
            "cpu_window_s", swift: "cpu.window",
            .seconds({ $0.cpu.window }, { $0.cpu.window = $1 }, nullable: true),
            prometheus: .gauge("processmonitor_cpu_window_seconds", unit: .seconds, "The wall-clock window the CPU average covers."),
            otlp: .gauge("processmonitor.cpu.window", unit: "s", "The wall-clock window processmonitor.cpu.cores_busy covers."),
            report: .none(because: "the chart plots each average at its heartbeat; the window is the spacing")),
        RecordField(
            "cpu_time_s", since: 2, swift: "cpu.totalTime",
            .seconds({ $0.cpu.totalTime }, { $0.cpu.totalTime = $1 }, nullable: true),
            prometheus: .counter("processmonitor_cpu_seconds_total", unit: .seconds, "User plus system CPU time the process has used."),
            // User and system time are one figure here, so no `cpu.mode` attribute.
            otlp: .counter("process.cpu.time", unit: "s", "Total CPU seconds used by the process (user plus system).",
                           semanticConvention: true),
            report: .none(because: "the CPU chart draws cores busy, this counter's rate")),
        RecordField(
            "instrumented_threads", swift: "instrumentedLanes",
            .integer({ $0.instrumentedLanes }, { $0.instrumentedLanes = $1 }),
            prometheus: .gauge("processmonitor_instrumented_lanes", "Threads and tasks inside at least one scope."),
            otlp: .gauge("processmonitor.lanes.instrumented", unit: "{lane}", "Threads and tasks inside at least one scope."),
            report: .none(because: "the timeline draws every instrumented lane")),
        RecordField(
            "active", swift: "active",
            .active({ $0.active }, { $0.active = $1 }),
            prometheus: .none(because: "see processmonitor_oldest_phase_age_seconds, _active_progress_ratio and _active_phase_info"),
            otlp: .none(because: "see processmonitor.phase.oldest_age and processmonitor.progress.ratio"),
            report: .shown(under: "Progress of the active phase")),
        RecordField(
            "stall_threshold_s", swift: "stallThreshold",
            .seconds({ $0.stallThreshold }, { $0.stallThreshold = $1 ?? .zero }),
            prometheus: .gauge("processmonitor_stall_threshold_seconds", unit: .seconds,
                               "Innermost scope age at which a lane counts as stalled."),
            otlp: .gauge("processmonitor.stall.threshold", unit: "s", "Innermost scope age at which a lane counts as stalled."),
            report: .shown(under: "Stall threshold")),
    ]

    /// Figures computed from the record for Prometheus and OTLP metrics, written after the
    /// headline's.
    package static let derived: [DerivedFigure] = [
        DerivedFigure(
            source: "timestamp",
            value: .seconds { heartbeat in
                let milliseconds = (heartbeat.timestamp.timeIntervalSince1970 * 1000).rounded()
                // A date no Int64 of milliseconds can hold exists only in a hand-built heartbeat.
                guard milliseconds.isFinite, abs(milliseconds) < 9e15 else { return nil }
                return .milliseconds(Int64(milliseconds))
            },
            prometheus: .gauge("processmonitor_heartbeat_timestamp_seconds", unit: .seconds,
                               "Unix time at which the heartbeat was taken."),
            otlp: .none(because: "every data point's timeUnixNano")),
        DerivedFigure(
            source: "cpu_cores / cpu_available_cores",
            value: .number { heartbeat in
                guard let busy = heartbeat.cpu.coresBusy, let available = heartbeat.cpu.availableCores, available > 0 else {
                    return nil
                }
                return min(max(busy / available, 0), 1)
            },
            prometheus: .none(because: "PromQL divides: processmonitor_cpu_cores_busy / processmonitor_cpu_available_cores"),
            otlp: .gauge("process.cpu.utilization", unit: "1",
                         "Difference in process.cpu.time since the last measurement, divided by the elapsed time and number of CPUs available to the process.",
                         semanticConvention: true)),
        DerivedFigure(
            source: "warnings",
            value: .resourceWarnings,
            prometheus: .gauge("processmonitor_resource_warning", "1 when the resource is at 90% or more of its limit, else 0."),
            otlp: .none(because: "the log record's processmonitor.warnings")),
        DerivedFigure(
            source: "forecasts",
            value: .resourceForecasts,
            prometheus: .gauge("processmonitor_resource_limit_in_seconds", unit: .seconds,
                               "Time until the resource reaches its limit at the trend of the last heartbeats; a sample only while a forecast warns."),
            otlp: .none(because: "the log record's processmonitor.forecasts")),
        DerivedFigure(
            source: "stalls",
            value: .count { heartbeat, _ in UInt64(heartbeat.stalls.count) },
            prometheus: .gauge("processmonitor_stalled_lanes", "Lanes whose innermost scope has run for at least the stall threshold."),
            otlp: .gauge("processmonitor.lanes.stalled", unit: "{lane}",
                         "Threads and tasks whose innermost scope has run for at least the stall threshold.")),
        DerivedFigure(
            source: "active.age_s",
            value: .seconds { $0.active?.age ?? .zero },
            prometheus: .gauge("processmonitor_oldest_phase_age_seconds", unit: .seconds,
                               "Age of the oldest innermost scope (the active phase); 0 when no scope is open."),
            otlp: .gauge("processmonitor.phase.oldest_age", unit: "s",
                         "How long the oldest innermost scope has been running; 0 when no scope is open.")),
        DerivedFigure(
            source: "active.progress",
            value: .number { heartbeat in heartbeat.active?.progress?.fraction.map { min(max($0, 0), 1) } },
            prometheus: .gauge("processmonitor_active_progress_ratio", unit: .ratio,
                               "Progress of the active phase, done over total; no sample when the total is unknown."),
            otlp: .gauge("processmonitor.progress.ratio", unit: "1", "Progress of the oldest phase's counter, done / total.")),
        DerivedFigure(
            source: "active.label",
            value: .activePhaseInfo,
            prometheus: .gauge("processmonitor_active_phase_info", "Always 1; the phase label names the active phase. No sample when idle."),
            otlp: .none(because: "a label as a metric attribute churns series; the log record's processmonitor.active.label")),
        DerivedFigure(
            source: "dropped_records",
            value: .count { _, context in context.droppedRecords },
            prometheus: .counter("processmonitor_dropped_records_total", "Heartbeats the sink could not write (disk full, directory gone)."),
            otlp: .counter("processmonitor.records.dropped", unit: "{record}", "Records the exporter's sink could not deliver so far.")),
    ]

    /// The `active` object.
    static let active: [RecordField<Heartbeat.ActivePhase>] = [
        RecordField("lane", .lane({ $0.lane }, { $0.lane = $1 ?? $0.lane })),
        RecordField("label", .label({ $0.label }, { $0.label = $1 })),
        RecordField("age_s", .seconds({ $0.age }, { $0.age = $1 ?? .zero })),
        RecordField("progress", .progress({ $0.progress }, { $0.progress = $1 })),
    ].map { $0.nested(logfmt: "active_", otlp: "processmonitor.active.") }

    /// A `progress` object. `total` is `null` when unknown (0 in the core); rate and ETA are
    /// derived from the rest.
    static let progress: [RecordField<ProgressReading>] = [
        RecordField("current", .count({ $0.current }, { $0.current = $1 ?? 0 }, nullable: false)),
        RecordField("total", .count({ $0.total == 0 ? nil : $0.total }, { $0.total = $1 ?? 0 }, minimum: 1)),
        RecordField("elapsed_s", .seconds({ $0.elapsed }, { $0.elapsed = $1 ?? .zero })),
        RecordField("rate_per_s", .number({ $0.unitsPerSecond }, { _, _ in }, derived: true)),
        RecordField("eta_s", .seconds({ $0.estimatedRemaining }, { _, _ in }, nullable: true, derived: true)),
        RecordField("since_last_move_s", since: 3, .seconds({ $0.sinceLastMove }, { $0.sinceLastMove = $1 }, nullable: true)),
    ].map { $0.nested(logfmt: "progress_", otlp: "progress.") }

    /// The `progress` object of the active phase, as OTLP names it (`processmonitor.active.progress.current`).
    static let activeProgress = progress.map { $0.nested(logfmt: "progress_", otlp: "processmonitor.active.progress.") }

    /// An element of `stalls`: where the lane is stuck, and (since version 3) why: the
    /// threshold it passed, its counter, every open scope, and what its thread is doing.
    static let stall: [RecordField<Heartbeat.Stall>] = [
        RecordField("thread", .lane({ $0.lane }, { $0.lane = $1 ?? $0.lane })),
        RecordField("label", .label({ $0.label }, { $0.label = $1 })),
        RecordField("stuck_s", .seconds({ $0.age }, { $0.age = $1 ?? .zero })),
        RecordField("threshold_s", since: 3, .seconds({ $0.threshold }, { $0.threshold = $1 ?? .zero })),
        RecordField("depth", since: 3, .integer({ $0.depth }, { $0.depth = $1 }, minimum: 1)),
        RecordField("progress", since: 3, .progress({ $0.progress }, { $0.progress = $1 })),
        RecordField("thread_state", since: 3, .text({ $0.thread?.state.rawValue }, { stall, word in
            guard let word else {
                stall.thread = nil
                return true
            }
            guard let state = Heartbeat.ThreadActivity.State(rawValue: word) else { return false }
            stall.thread = Heartbeat.ThreadActivity(state: state)
            return true
        }, allowed: Heartbeat.ThreadActivity.State.allCases.map(\.rawValue))),
        RecordField("tid", since: 3, .count({ $0.thread?.threadID.map { UInt64(clamping: $0) } }, { stall, value in
            stall.setActivity { $0.threadID = value.map { Int32(clamping: $0) } }
        }, maximum: UInt64(Int32.max))),
        RecordField("syscall", since: 3, .text({ $0.thread?.syscall }, { stall, text in
            stall.setActivity { $0.syscall = text }
            return true
        })),
        RecordField("fd", since: 3, .count({ $0.thread?.fileDescriptor.map { UInt64(clamping: $0) } }, { stall, value in
            stall.setActivity { $0.fileDescriptor = value.map { Int32(clamping: $0) } }
        }, maximum: UInt64(Int32.max))),
        RecordField("target", since: 3, .text({ $0.thread?.target }, { stall, text in
            stall.setActivity { $0.target = text }
            return true
        })),
        RecordField("wchan", since: 3, .text({ $0.thread?.waitChannel }, { stall, text in
            stall.setActivity { $0.waitChannel = text }
            return true
        })),
        RecordField("thread_cpu_ratio", since: 3, .number({ $0.thread?.cpuFraction }, { stall, value in
            stall.setActivity { $0.cpuFraction = value }
        })),
        RecordField("thread_cpu_window_s", since: 3, .seconds({ $0.thread?.cpuWindow }, { stall, value in
            stall.setActivity { $0.cpuWindow = value }
        }, nullable: true)),
        RecordField("stack", since: 3, .frames({ $0.stack }, { $0.stack = $1 })),
        RecordField("backtrace", since: 3, .lines({ $0.backtrace }, { $0.backtrace = $1 })),
    ]

    /// An element of a stall's `stack`: one open scope, outermost first.
    static let frame: [RecordField<Heartbeat.ScopeFrame>] = [
        RecordField("label", since: 3, .label({ $0.label }, { $0.label = $1 })),
        RecordField("age_s", since: 3, .seconds({ $0.age }, { $0.age = $1 ?? .zero })),
    ]

    /// An element of `stall_ends`.
    static let stallEnd: [RecordField<Heartbeat.StallEnd>] = [
        RecordField("thread", since: 2, .lane({ $0.lane }, { $0.lane = $1 ?? $0.lane })),
        RecordField("label", since: 2, .label({ $0.label }, { $0.label = $1 })),
        RecordField("after_s", since: 2, .seconds({ $0.duration }, { $0.duration = $1 ?? .zero })),
    ]

    /// An element of `warnings`, derived from the headline's figures.
    static let warning: [RecordField<ResourceWarning>] = [
        RecordField("resource", since: 2, .word({ $0.resource.rawValue }, { warning, word in
            guard let resource = ResourceWarning.Resource(rawValue: word) else { return false }
            warning.resource = resource
            return true
        }, allowed: ResourceWarning.Resource.allCases.map(\.rawValue))),
        RecordField("used", since: 2, .count({ $0.used }, { $0.used = $1 ?? 0 }, nullable: false)),
        RecordField("limit", since: 2, .count({ $0.limit }, { $0.limit = $1 ?? 0 }, nullable: false)),
    ]

    /// An element of `forecasts`: a resource whose trend reaches its limit within the horizon.
    static let forecast: [RecordField<Heartbeat.ResourceForecast>] = [
        RecordField("resource", since: 3, .word({ $0.resource.rawValue }, { forecast, word in
            guard let resource = ResourceWarning.Resource(rawValue: word) else { return false }
            forecast.resource = resource
            return true
        }, allowed: ResourceWarning.Resource.allCases.map(\.rawValue))),
        RecordField("used", since: 3, .count({ $0.used }, { $0.used = $1 ?? 0 }, nullable: false)),
        RecordField("limit", since: 3, .count({ $0.limit }, { $0.limit = $1 ?? 0 }, nullable: false)),
        RecordField("growth_per_s", since: 3, .number({ $0.growthPerSecond }, { $0.growthPerSecond = $1 ?? 0 }, positive: true)),
        RecordField("limit_in_s", since: 3, .seconds({ $0.timeToLimit }, { $0.timeToLimit = $1 ?? .zero })),
        RecordField("window_s", since: 3, .seconds({ $0.window }, { $0.window = $1 ?? .zero })),
    ]

    /// An element of `phases`.
    static let phase: [RecordField<Heartbeat.Phase>] = [
        RecordField("thread", .lane({ $0.lane }, { $0.lane = $1 ?? $0.lane })),
        RecordField("depth", .integer({ $0.depth }, { $0.depth = $1 }, minimum: 1)),
        RecordField("label", .label({ $0.label }, { $0.label = $1 })),
        RecordField("in_frame_s", .seconds({ $0.age }, { $0.age = $1 ?? .zero })),
        RecordField("updated_ago_s", .seconds({ $0.sinceLastChange }, { $0.sinceLastChange = $1 ?? .zero })),
        RecordField("progress", .progress({ $0.progress }, { $0.progress = $1 })),
        RecordField("parent", since: 2, .lane({ $0.parent }, { $0.parent = $1 }, nullable: true)),
        RecordField("waiting_on", since: 2, .integer({ $0.activeDescendants }, { $0.activeDescendants = $1 })),
        RecordField("stall_threshold_s", since: 3, .seconds({ $0.stallThreshold }, { $0.stallThreshold = $1 }, nullable: true)),
    ]

    /// The fields a record of `version` has, in order.
    static func fields<Root>(_ table: [RecordField<Root>], version: Int) -> [RecordField<Root>] {
        version >= currentVersion ? table : table.filter { $0.since <= version }
    }

    /// The top-level keys of a JSON Lines record of `version`, in order.
    package static func topLevelKeys(version: Int) -> [String] {
        var keys = ["timestamp", "level", "message", "schema_version"]
        keys += fields(headline, version: version).map(\.key)
        keys += ["stalls", "stalls_omitted"]
        if version >= 2 { keys += ["stall_ends", "stall_ends_omitted", "warnings"] }
        if version >= 3 { keys += ["forecasts"] }
        keys += ["phases", "phases_omitted", "dropped_records", "attributes"]
        return keys
    }

    /// The headline row with JSON key `key`.
    package static func headlineField(_ key: String) -> RecordField<Heartbeat>? {
        headline.first { $0.key == key }
    }
}

/// The placeholder values the decoder fills in before reading each field.
extension Heartbeat.ActivePhase {
    static let blank = Heartbeat.ActivePhase(lane: .thread(0), label: "", age: .zero)
}

extension ProgressReading {
    static let blank = ProgressReading(current: 0, total: 0, elapsed: .zero)
}

extension Heartbeat.Stall {
    static let blank = Heartbeat.Stall(lane: .thread(0), label: "", age: .zero)
}

extension Heartbeat.Stall {
    /// Sets a figure of the thread's activity, creating one in state `unknown` when a record
    /// gives a figure without a state (no writer does, but a decoder must not drop it).
    mutating func setActivity(_ change: (inout Heartbeat.ThreadActivity) -> Void) {
        var activity = thread ?? Heartbeat.ThreadActivity(state: .unknown)
        change(&activity)
        if thread != nil || activity != Heartbeat.ThreadActivity(state: .unknown) { thread = activity }
    }
}

extension Heartbeat.StallEnd {
    static let blank = Heartbeat.StallEnd(lane: .thread(0), label: "", duration: .zero)
}

extension Heartbeat.ResourceForecast {
    static let blank = Heartbeat.ResourceForecast(resource: .memory, used: 0, limit: 0, growthPerSecond: 0, timeToLimit: .zero, window: .zero)
}

extension ResourceWarning {
    static let blank = ResourceWarning(resource: .memory, used: 0, limit: 0)
}

extension Heartbeat.Phase {
    static let blank = Heartbeat.Phase(lane: .thread(0), depth: 0, label: "", age: .zero, sinceLastChange: .zero)
}

extension Heartbeat {
    static let blank = Heartbeat(
        sequence: 0, timestamp: .init(timeIntervalSince1970: 0), trigger: .scheduled, processID: 0,
        elapsed: .zero, resources: ResourceUsage(), cpu: CPUUsage(), instrumentedLanes: 0, active: nil,
        stalls: [], phases: [], omittedPhases: 0, stallThreshold: .zero
    )
}
