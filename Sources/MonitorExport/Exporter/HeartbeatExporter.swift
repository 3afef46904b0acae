public import ProcessMonitor
import Synchronization

/// A format paired with a sink: the observer you hand to the monitor.
///
/// Each exporter gets heartbeats through a bounded queue and a delivery thread of its own (see
/// `HeartbeatObserver`), so a sink that blocks (a full pipe, a hung mount, a
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
    package let format: any HeartbeatFormat
    /// Where they go: a ``HeartbeatSink`` of lines, or a ``HeartbeatPayloadSink`` of the
    /// format's typed values.
    package let sink: any Sendable
    /// Heartbeats that may wait for this exporter before the oldest is dropped.
    public let queueCapacity: Int
    private let queueDrops = Atomic<UInt64>(0)
    private let deliver: @Sendable (Heartbeat, FormatContext) -> Void
    private let closeSink: @Sendable () -> Void
    private let sinkDrops: @Sendable () -> UInt64

    /// Pairs `format` with `sink`; up to `queueCapacity` heartbeats (1 through 4096, default 16)
    /// may wait while the sink is busy.
    public init(format: any HeartbeatFormat, sink: any HeartbeatSink, queueCapacity: Int = 16) {
        self.format = format
        self.sink = sink
        self.queueCapacity = min(max(1, queueCapacity), 4096)
        deliver = { heartbeat, context in sink.write(format.render(heartbeat, context: context)) }
        closeSink = { sink.close() }
        sinkDrops = { sink.droppedRecords }
    }

    /// Pairs a format that makes a typed value per heartbeat with a sink that sends that value
    /// as it is: ``OTLPJSONFormat`` with `OTLPHTTPSink`, ``PrometheusFormat`` with
    /// `PushgatewaySink`. The compiler checks that the two agree.
    ///
    /// ```swift
    /// let exporter = HeartbeatExporter(format: try OTLPJSONFormat(), sink: try OTLPHTTPSink(endpoint: "http://127.0.0.1:4318"))
    /// ```
    public init<Format: HeartbeatPayloadFormat, Sink: HeartbeatPayloadSink>(
        format: Format, sink: Sink, queueCapacity: Int = 16
    ) where Format.Payload == Sink.Payload {
        self.format = format
        self.sink = sink
        self.queueCapacity = min(max(1, queueCapacity), 4096)
        deliver = { heartbeat, context in sink.send(format.payload(for: heartbeat, context: context)) }
        closeSink = { sink.close() }
        sinkDrops = { sink.droppedRecords }
    }

    /// Renders `heartbeat` and hands it to the sink: its lines as one batch, or its typed value.
    public func observe(_ heartbeat: Heartbeat) {
        deliver(heartbeat, FormatContext(droppedRecords: droppedRecords))
    }

    /// Counts heartbeats dropped from the queue while the sink was busy.
    public func heartbeatsDropped(_ count: Int) {
        queueDrops.add(UInt64(clamping: count), ordering: .relaxed)
    }

    /// Closes the sink.
    public func monitorDidStop() {
        closeSink()
    }

    /// Records lost so far: lines the sink could not write, plus heartbeats dropped from this
    /// exporter's queue (each counted once; it was never rendered).
    public var droppedRecords: UInt64 {
        let (sum, overflow) = sinkDrops().addingReportingOverflow(queueDrops.load(ordering: .relaxed))
        return overflow ? .max : sum
    }
}
