import ProcessMonitor
import Synchronization

/// A format paired with a sink: the observer you hand to the monitor.
///
/// Each exporter gets heartbeats through a bounded queue and a delivery thread of its own (see
/// ``ProcessMonitor/HeartbeatObserver``), so a sink that blocks (a full pipe, a hung mount, a
/// slow server) delays no other exporter and no heartbeat. When the queue overflows, the oldest
/// waiting heartbeats are dropped; they count in ``droppedRecords``, which every machine-format
/// record reports as `dropped_records`, beside the lines the sink itself could not write.
///
/// ```swift
/// let monitor = try ProcessMonitor.start(observers: [
///     HeartbeatExporter(format: TextFormat(), sink: StandardStreamSink.standardError),
/// ])
/// ```
public final class HeartbeatExporter: HeartbeatObserver {
    /// How heartbeats are rendered.
    public let format: any HeartbeatFormat
    /// Where rendered lines go.
    public let sink: any HeartbeatSink
    /// Heartbeats that may wait for this exporter before the oldest is dropped.
    public let queueCapacity: Int
    private let queueDrops = Atomic<UInt64>(0)

    /// Pairs `format` with `sink`; up to `queueCapacity` heartbeats (1 through 4096, default 16)
    /// may wait while the sink is busy.
    ///
    /// ```swift
    /// HeartbeatExporter(format: TextFormat(), sink: StandardStreamSink.standardOutput)
    /// ```
    public init(format: any HeartbeatFormat, sink: any HeartbeatSink, queueCapacity: Int = 16) {
        self.format = format
        self.sink = sink
        self.queueCapacity = min(max(1, queueCapacity), 4096)
    }

    /// Renders `heartbeat` and writes its lines to the sink as one batch.
    public func observe(_ heartbeat: Heartbeat) {
        sink.write(format.render(heartbeat, context: FormatContext(droppedRecords: droppedRecords)))
    }

    /// Counts heartbeats dropped from the queue while the sink was busy.
    public func heartbeatsDropped(_ count: Int) {
        queueDrops.add(UInt64(clamping: count), ordering: .relaxed)
    }

    /// Closes the sink.
    public func monitorDidStop() {
        sink.close()
    }

    /// Records lost so far: lines the sink could not write, plus heartbeats dropped from this
    /// exporter's queue (each counted once; it was never rendered).
    ///
    /// ```swift
    /// if exporter.droppedRecords > 0 { print("the heartbeat log has gaps") }
    /// ```
    public var droppedRecords: UInt64 {
        let (sum, overflow) = sink.droppedRecords.addingReportingOverflow(queueDrops.load(ordering: .relaxed))
        return overflow ? .max : sum
    }
}
