import Foundation

/// Entry points for the benchmark suite (`Benchmarks/`), which measures the monitor's internal
/// steps without `/proc` reads, thread hand-offs or observers in the way.
///
/// They are SPI, not API: `@_spi(Benchmarks) import ProcessMonitor` sees them, a plain
/// `import ProcessMonitor` does not. (`package` access would not reach the nested benchmark
/// package, which is a package of its own, and `@testable import` needs a debug build.)
@_spi(Benchmarks)
public enum MonitorBenchmarkHooks {
    /// Snapshots every lane and builds a heartbeat from the snapshot, exactly as the monitor
    /// thread does each beat, with an empty process sample. Keeps its buffers between calls,
    /// as the monitor does. Use from one thread at a time.
    public final class SnapshotAndBuild {
        private let snapshotter = Snapshotter()
        private let configuration: MonitorConfiguration
        private let clock = SystemMonitorClock()
        private let started = SystemMonitorClock().monotonicNanoseconds()
        private var sequence: UInt64 = 0

        /// Creates the step with the default configuration (8 phase lines, 120 s stalls).
        public init(configuration: MonitorConfiguration = MonitorConfiguration()) {
            self.configuration = configuration
        }

        /// Takes one snapshot and builds one heartbeat.
        public func run() -> Heartbeat {
            sequence += 1
            let snapshot = snapshotter.take()
            defer { snapshotter.recycle(snapshot) }
            return HeartbeatBuilder.build(
                HeartbeatInputs(
                    snapshot: snapshot,
                    sample: ProcessSample(),
                    cpu: CPUUsage(),
                    now: clock.monotonicNanoseconds(),
                    started: started,
                    timestamp: clock.now(),
                    sequence: sequence,
                    trigger: .requested,
                    processID: 1,
                    configuration: configuration
                )
            ).heartbeat
        }
    }

    /// Lanes the registry holds (live threads' and tasks', idle or not).
    public static var registeredLanes: Int { LaneRegistry.shared.laneCount }
}
