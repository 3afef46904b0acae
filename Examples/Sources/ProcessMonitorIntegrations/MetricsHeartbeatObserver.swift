import Metrics
import ProcessMonitor

/// Feeds every heartbeat into swift-metrics gauges, for whatever backend the process has
/// bootstrapped (Prometheus, StatsD, OpenTelemetry, …).
///
/// The gauges carry the names of `PrometheusFormat`'s samples with the same meaning, so a
/// dashboard built on the textfile exporter keeps working (`read_bytes` and `written_bytes` are
/// gauges here, without `_total`, since swift-metrics counters take increments, not totals):
///
/// | gauge | value |
/// |---|---|
/// | `processmonitor_cpu_cores_busy` | `cpu.coresBusy` |
/// | `processmonitor_cpu_available_cores` | `cpu.availableCores` |
/// | `processmonitor_resident_memory_bytes` | `resources.rssBytes` |
/// | `processmonitor_resident_memory_peak_bytes` | `resources.peakRSSBytes` |
/// | `processmonitor_threads` | `resources.threads` |
/// | `processmonitor_read_bytes` | `resources.readBytes` |
/// | `processmonitor_written_bytes` | `resources.writeBytes` |
/// | `processmonitor_stalled_lanes` | `stalls.count` |
/// | `processmonitor_instrumented_lanes` | `instrumentedLanes` |
/// | `processmonitor_oldest_phase_age_seconds` | `active?.age`, 0 when no scope is open |
///
/// A figure the platform does not report (`nil`) leaves its gauge alone rather than writing a
/// made-up zero. The gauges are created once, with your static dimensions (none by default);
/// nothing per heartbeat becomes a dimension, so the series count stays fixed.
///
/// ```swift
/// MetricsSystem.bootstrap(PrometheusMetricsFactory())
/// let monitor = try ProcessMonitor.start(
///     configuration: MonitorConfiguration(interval: .seconds(15)),
///     observers: [MetricsHeartbeatObserver(dimensions: [("job", "nightly-import")])]
/// )
/// ```
public struct MetricsHeartbeatObserver: HeartbeatObserver {
    /// The gauge names, in the table's order.
    public enum Name {
        public static let cpuCoresBusy = "processmonitor_cpu_cores_busy"
        public static let cpuAvailableCores = "processmonitor_cpu_available_cores"
        public static let residentMemoryBytes = "processmonitor_resident_memory_bytes"
        public static let residentMemoryPeakBytes = "processmonitor_resident_memory_peak_bytes"
        public static let threads = "processmonitor_threads"
        public static let readBytes = "processmonitor_read_bytes"
        public static let writtenBytes = "processmonitor_written_bytes"
        public static let stalledLanes = "processmonitor_stalled_lanes"
        public static let instrumentedLanes = "processmonitor_instrumented_lanes"
        public static let oldestPhaseAgeSeconds = "processmonitor_oldest_phase_age_seconds"

        /// Every gauge name.
        public static let all = [
            cpuCoresBusy, cpuAvailableCores, residentMemoryBytes, residentMemoryPeakBytes, threads,
            readBytes, writtenBytes, stalledLanes, instrumentedLanes, oldestPhaseAgeSeconds,
        ]
    }

    private let cpuCoresBusy: Gauge
    private let cpuAvailableCores: Gauge
    private let residentMemory: Gauge
    private let residentMemoryPeak: Gauge
    private let threads: Gauge
    private let readBytes: Gauge
    private let writtenBytes: Gauge
    private let stalledLanes: Gauge
    private let instrumentedLanes: Gauge
    private let oldestPhaseAge: Gauge

    /// Creates the gauges with `dimensions` on every one, from `factory` (the bootstrapped
    /// `MetricsSystem.factory` by default; pass one to test without global state).
    ///
    /// ```swift
    /// let observer = MetricsHeartbeatObserver(dimensions: [("job", "import")], factory: TestMetrics())
    /// ```
    public init(dimensions: [(String, String)] = [], factory: any MetricsFactory = MetricsSystem.factory) {
        func gauge(_ label: String) -> Gauge { Gauge(label: label, dimensions: dimensions, factory: factory) }
        cpuCoresBusy = gauge(Name.cpuCoresBusy)
        cpuAvailableCores = gauge(Name.cpuAvailableCores)
        residentMemory = gauge(Name.residentMemoryBytes)
        residentMemoryPeak = gauge(Name.residentMemoryPeakBytes)
        threads = gauge(Name.threads)
        readBytes = gauge(Name.readBytes)
        writtenBytes = gauge(Name.writtenBytes)
        stalledLanes = gauge(Name.stalledLanes)
        instrumentedLanes = gauge(Name.instrumentedLanes)
        oldestPhaseAge = gauge(Name.oldestPhaseAgeSeconds)
    }

    /// Records the heartbeat's figures; called by the monitor on this observer's own thread.
    public func observe(_ heartbeat: Heartbeat) {
        let cpu = heartbeat.cpu
        let resources = heartbeat.resources
        if let busy = cpu.coresBusy { cpuCoresBusy.record(busy) }
        if let available = cpu.availableCores { cpuAvailableCores.record(available) }
        record(resources.rssBytes, in: residentMemory)
        record(resources.peakRSSBytes, in: residentMemoryPeak)
        record(resources.threads, in: threads)
        record(resources.readBytes, in: readBytes)
        record(resources.writeBytes, in: writtenBytes)
        stalledLanes.record(heartbeat.stalls.count)
        instrumentedLanes.record(heartbeat.instrumentedLanes)
        oldestPhaseAge.record(Self.seconds(heartbeat.active?.age ?? .zero))
    }

    private func record(_ value: UInt64?, in gauge: Gauge) {
        if let value { gauge.record(Int64(clamping: value)) }
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
