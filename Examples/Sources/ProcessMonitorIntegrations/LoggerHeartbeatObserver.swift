import Logging
import ProcessMonitor

/// Logs one swift-log event per heartbeat, its figures as structured metadata under the JSON
/// Lines key names, so a log backend can filter on `rss_bytes` or `stalls` instead of parsing a
/// line of text.
///
/// Heartbeats with stalls or resource warnings log at `warningLevel` (`.warning`), the others
/// at `infoLevel` (`.info`). The message is `heartbeat`, `heartbeat: stall` or
/// `heartbeat: resource warning`; the metadata is ``HeartbeatMetadata/metadata(for:includePhases:)``:
///
/// With `StreamLogHandler` (one line, cut here):
///
/// ```
/// 2026-12-02T08:27:07+0000 warning heartbeat: active_age_s=0.408 active_label=slow step
///   active_lane=ThreadId(1)/main cpu_affinity_cores=2 cpu_available_cores=2.0 cpu_cores=0.0 …
///   rss_bytes=22245376 seq=2 stall_threshold_s=0.300 stalls=[["label": "slow step",
///   "stuck_s": "0.408", "thread": "ThreadId(1)/main"]] trigger=scheduled write_bytes=4096
///   [process-monitor] heartbeat: stall
/// ```
///
/// ```swift
/// let monitor = try ProcessMonitor.start(observers: [
///     LoggerHeartbeatObserver(logger: Logger(label: "heartbeat")),
/// ])
/// ```
public struct LoggerHeartbeatObserver: HeartbeatObserver {
    /// The logger every heartbeat goes to.
    public let logger: Logger
    /// Level of a heartbeat without stalls or resource warnings.
    public let infoLevel: Logger.Level
    /// Level of a heartbeat with stalls or resource warnings.
    public let warningLevel: Logger.Level
    /// Whether the metadata carries the `phases` list (one entry per lane, capped by the
    /// monitor's `maxPhaseLines`).
    public let includePhases: Bool
    /// The log event's `source`, shown by `StreamLogHandler` in brackets.
    public let source: String

    /// Creates the observer.
    ///
    /// ```swift
    /// LoggerHeartbeatObserver(logger: logger, infoLevel: .debug, includePhases: false)
    /// ```
    public init(
        logger: Logger,
        infoLevel: Logger.Level = .info,
        warningLevel: Logger.Level = .warning,
        includePhases: Bool = true,
        source: String = "process-monitor"
    ) {
        self.logger = logger
        self.infoLevel = infoLevel
        self.warningLevel = warningLevel
        self.includePhases = includePhases
        self.source = source
    }

    /// Logs the heartbeat; called by the monitor on this observer's own thread.
    public func observe(_ heartbeat: Heartbeat) {
        let level = heartbeat.level == .warning ? warningLevel : infoLevel
        let message: Logger.Message =
            if !heartbeat.stalls.isEmpty { "heartbeat: stall" }
            else if !heartbeat.resourceWarnings.isEmpty { "heartbeat: resource warning" }
            else { "heartbeat" }
        // Built only when the level is enabled: the metadata closure is autoclosure'd by swift-log.
        logger.log(
            level: level,
            message,
            metadata: HeartbeatMetadata.metadata(for: heartbeat, includePhases: includePhases),
            source: source
        )
    }
}

/// A heartbeat as swift-log metadata, keyed by the JSON Lines names.
///
/// - Headline figures under their JSON Lines keys: `seq`, `pid`, `trigger`, `elapsed_s`,
///   `rss_bytes`, `peak_rss_bytes`, `process_threads`, `read_bytes`, `write_bytes`,
///   `memory_limit_bytes`, `memory_usage_bytes`, `memory_headroom_bytes`, `oom_kills`,
///   `open_fds`, `fd_limit`, `cpu_cores`, `cpu_available_cores`, `cpu_affinity_cores`,
///   `cpu_quota_cores`, `cpu_window_s`, `instrumented_threads`, `stall_threshold_s`.
///   A figure that is unknown (`null` in JSON Lines) is left out.
/// - The active phase flattened as in logfmt: `active_lane`, `active_label`, `active_age_s`,
///   and `progress_current`, `progress_total`, `progress_elapsed_s`, `progress_rate_per_s`,
///   `progress_eta_s` when it has a counter. Left out when idle.
/// - Lists as in JSON Lines: `stalls` (always there, `[]` when none) of
///   `{thread, label, stuck_s}`; `stall_ends` of `{thread, label, after_s}` and `warnings` of
///   `{resource, used, limit}` when not empty; `phases` of
///   `{thread, depth, label, in_frame_s, updated_ago_s, waiting_on}` and `phases_omitted`.
///
/// Seconds are written like the file formats, with exactly three decimals (`"4.443"`); counts
/// and core figures are numbers (`.stringConvertible`), so handlers that keep types can.
public enum HeartbeatMetadata {
    /// The metadata for `heartbeat`.
    ///
    /// ```swift
    /// logger.info("checkpoint", metadata: HeartbeatMetadata.metadata(for: heartbeat, includePhases: false))
    /// ```
    public static func metadata(for heartbeat: Heartbeat, includePhases: Bool = true) -> Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        let resources = heartbeat.resources
        let cpu = heartbeat.cpu
        metadata["seq"] = .stringConvertible(heartbeat.sequence)
        metadata["pid"] = .stringConvertible(heartbeat.processID)
        metadata["trigger"] = .string(heartbeat.trigger.rawValue)
        metadata["elapsed_s"] = .string(seconds(heartbeat.elapsed))
        metadata["rss_bytes"] = count(resources.rssBytes)
        metadata["peak_rss_bytes"] = count(resources.peakRSSBytes)
        metadata["process_threads"] = count(resources.threads)
        metadata["read_bytes"] = count(resources.readBytes)
        metadata["write_bytes"] = count(resources.writeBytes)
        metadata["memory_limit_bytes"] = count(resources.memoryLimitBytes)
        metadata["memory_usage_bytes"] = count(resources.memoryUsageBytes)
        metadata["memory_headroom_bytes"] = count(resources.memoryHeadroomBytes)
        metadata["oom_kills"] = count(resources.oomKills)
        metadata["open_fds"] = count(resources.openFileDescriptors)
        metadata["fd_limit"] = count(resources.fileDescriptorLimit)
        metadata["cpu_cores"] = number(cpu.coresBusy)
        metadata["cpu_available_cores"] = number(cpu.availableCores)
        metadata["cpu_affinity_cores"] = cpu.affinityCores.map { .stringConvertible($0) }
        metadata["cpu_quota_cores"] = number(cpu.quotaCores)
        metadata["cpu_window_s"] = cpu.window.map { .string(seconds($0)) }
        metadata["instrumented_threads"] = .stringConvertible(heartbeat.instrumentedLanes)
        metadata["stall_threshold_s"] = .string(seconds(heartbeat.stallThreshold))
        if let active = heartbeat.active {
            metadata["active_lane"] = .string(active.lane.description)
            metadata["active_label"] = .string(active.label)
            metadata["active_age_s"] = .string(seconds(active.age))
            if let progress = active.progress {
                metadata.merge(progressMetadata(progress, prefix: "progress_")) { _, new in new }
            }
        }
        metadata["stalls"] = .array(heartbeat.stalls.map { stall in
            ["thread": .string(stall.lane.description), "label": .string(stall.label), "stuck_s": .string(seconds(stall.age))]
        })
        if !heartbeat.stallEnds.isEmpty {
            metadata["stall_ends"] = .array(heartbeat.stallEnds.map { end in
                ["thread": .string(end.lane.description), "label": .string(end.label), "after_s": .string(seconds(end.duration))]
            })
        }
        let warnings = heartbeat.resourceWarnings
        if !warnings.isEmpty {
            metadata["warnings"] = .array(warnings.map { warning in
                ["resource": .string(warning.resource.rawValue), "used": .stringConvertible(warning.used),
                 "limit": .stringConvertible(warning.limit)]
            })
        }
        if includePhases {
            metadata["phases"] = .array(heartbeat.phases.map { phase in
                var entry: Logger.Metadata = [
                    "thread": .string(phase.lane.description),
                    "depth": .stringConvertible(phase.depth),
                    "label": .string(phase.label),
                    "in_frame_s": .string(seconds(phase.age)),
                    "updated_ago_s": .string(seconds(phase.sinceLastChange)),
                    "waiting_on": .stringConvertible(phase.activeDescendants),
                ]
                if let parent = phase.parent { entry["parent"] = .string(parent.description) }
                if let progress = phase.progress {
                    entry["progress"] = .dictionary(progressMetadata(progress, prefix: ""))
                }
                return .dictionary(entry)
            })
            metadata["phases_omitted"] = .stringConvertible(heartbeat.omittedPhases)
        }
        return metadata
    }

    private static func progressMetadata(_ progress: ProgressReading, prefix: String) -> Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        metadata[prefix + "current"] = .stringConvertible(progress.current)
        // 0 means unknown in the core and `null` in JSON Lines: left out here.
        if progress.total > 0 { metadata[prefix + "total"] = .stringConvertible(progress.total) }
        metadata[prefix + "elapsed_s"] = .string(seconds(progress.elapsed))
        metadata[prefix + "rate_per_s"] = number(progress.unitsPerSecond)
        metadata[prefix + "eta_s"] = progress.estimatedRemaining.map { .string(seconds($0)) }
        return metadata
    }

    private static func count(_ value: UInt64?) -> Logger.MetadataValue? {
        value.map { .stringConvertible($0) }
    }

    private static func number(_ value: Double?) -> Logger.MetadataValue? {
        guard let value, value.isFinite else { return nil }
        return .stringConvertible(value)
    }

    /// Seconds with exactly three decimals, truncated to the millisecond like the file formats:
    /// `"142.318"`, `"4.000"`.
    static func seconds(_ duration: Duration) -> String {
        let (whole, attoseconds) = duration.components
        guard whole >= 0, attoseconds >= 0 else { return "0.000" }
        let milliseconds = attoseconds / 1_000_000_000_000_000
        let fraction = String(milliseconds)
        return "\(whole)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
