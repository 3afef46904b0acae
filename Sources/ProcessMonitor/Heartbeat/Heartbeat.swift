public import Foundation

/// One heartbeat: what the process is doing right now, as a plain value.
///
/// A `Heartbeat` is built by the monitor from a snapshot of every live scope lane, a sample of
/// the process's resources and the monitor's clock. It knows nothing about output formats:
/// exporters in `MonitorExport` turn it into text, JSON Lines or logfmt.
///
/// ```swift
/// if let heartbeat = monitor.emitNow() {
///     print(heartbeat.sequence, heartbeat.resources.rssBytes ?? 0, heartbeat.active?.label ?? "idle")
/// }
/// ```
public struct Heartbeat: Sendable, Equatable {
    /// Why a heartbeat was produced.
    public enum Trigger: String, Sendable, Equatable, CaseIterable {
        /// The configured interval elapsed.
        case scheduled
        /// Someone called ``ProcessMonitor/emitNow()``.
        case requested
        /// The last heartbeat, produced by ``ProcessMonitor/stop()``.
        case final
    }

    /// Position of this heartbeat in the monitor's sequence, from 1; a gap means a lost record.
    public var sequence: UInt64
    /// Wall-clock time at which the heartbeat was taken.
    public var timestamp: Date
    /// Why this heartbeat was produced.
    public var trigger: Trigger
    /// The process id of the monitored process.
    public var processID: Int32
    /// Time since the monitor started.
    public var elapsed: Duration
    /// Memory, thread and I/O figures; each is `nil` where the platform does not report it.
    public var resources: ResourceUsage
    /// CPU cores kept busy over the measured window.
    public var cpu: CPUUsage
    /// Number of lanes (threads or tasks) that are inside at least one scope.
    public var instrumentedLanes: Int
    /// The phase whose innermost scope has been running longest, or `nil` when idle.
    public var active: ActivePhase?
    /// Phases whose innermost scope has run for at least ``stallThreshold``, oldest first.
    /// Stalls are never capped. A lane waiting on live child tasks is not a stall.
    public var stalls: [Stall]
    /// Scopes an earlier heartbeat reported as stalled that have ended since the last one.
    public var stallEnds: [StallEnd]
    /// Per-lane phases, oldest innermost scope first, capped at the configured maximum.
    public var phases: [Phase]
    /// How many phases were left out of ``phases`` by the cap.
    public var omittedPhases: Int
    /// The stall threshold that was in force for this heartbeat.
    public var stallThreshold: Duration
    /// Resources on course to reach their limit within the forecast horizon, from the trend of
    /// recent heartbeats (see ``Heartbeat/ResourceForecast``).
    public var forecasts: [ResourceForecast]

    /// Creates a heartbeat value; the monitor builds these, tests and decoders may too.
    public init(
        sequence: UInt64,
        timestamp: Date,
        trigger: Trigger,
        processID: Int32,
        elapsed: Duration,
        resources: ResourceUsage,
        cpu: CPUUsage,
        instrumentedLanes: Int,
        active: ActivePhase?,
        stalls: [Stall],
        stallEnds: [StallEnd] = [],
        phases: [Phase],
        omittedPhases: Int,
        stallThreshold: Duration,
        forecasts: [ResourceForecast] = []
    ) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.trigger = trigger
        self.processID = processID
        self.elapsed = elapsed
        self.resources = resources
        self.cpu = cpu
        self.instrumentedLanes = instrumentedLanes
        self.active = active
        self.stalls = stalls
        self.stallEnds = stallEnds
        self.phases = phases
        self.omittedPhases = omittedPhases
        self.stallThreshold = stallThreshold
        self.forecasts = forecasts
    }

    /// Resources at 90 % or more of their limit (memory, file descriptors), derived from
    /// ``resources``.
    public var resourceWarnings: [ResourceWarning] { ResourceWarning.warnings(for: resources) }

    /// `.warning` when the heartbeat carries stalls, resource warnings or forecasts, `.info`
    /// otherwise.
    public var level: HeartbeatLevel {
        stalls.isEmpty && forecasts.isEmpty && !ResourceWarning.anyWarning(for: resources) ? .info : .warning
    }
}
