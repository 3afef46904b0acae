public import ProcessMonitor

/// A format that makes one typed value per heartbeat besides its lines: the request pair an OTLP
/// endpoint takes (``OTLPJSONFormat/Requests``), the exposition a Pushgateway takes
/// (``PrometheusFormat/Exposition``).
///
/// A sink that sends such a value as it is (a ``HeartbeatPayloadSink`` of the same `Payload`)
/// is paired with the format by ``HeartbeatExporter/init(format:sink:queueCapacity:)-(Format,Sink,_)``,
/// which the compiler checks: the sink never has to tell one line from another by its text.
///
/// ```swift
/// struct CSVFormat: HeartbeatPayloadFormat {
///     func payload(for heartbeat: Heartbeat, context: FormatContext) -> [String] { ["\(heartbeat.sequence)"] }
///     func render(_ heartbeat: Heartbeat, context: FormatContext) -> [RenderedLine] {
///         payload(for: heartbeat, context: context).map { RenderedLine(text: $0, level: heartbeat.level) }
///     }
/// }
/// ```
public protocol HeartbeatPayloadFormat<Payload>: HeartbeatFormat {
    /// What the format makes of one heartbeat.
    associatedtype Payload: Sendable

    /// The heartbeat's value; ``HeartbeatFormat/render(_:context:)`` gives the same as lines.
    func payload(for heartbeat: Heartbeat, context: FormatContext) -> Payload
}

/// A sink that takes a format's typed value for each heartbeat (an OTLP request pair, a
/// Prometheus exposition) rather than lines.
///
/// Like a ``HeartbeatSink``, it never throws or blocks the exporter for long, and counts what
/// it could not deliver in ``droppedRecords``.
///
/// ```swift
/// final class LastExposition: HeartbeatPayloadSink {
///     let last = Mutex<PrometheusFormat.Exposition?>(nil)
///     func send(_ exposition: PrometheusFormat.Exposition) { last.withLock { $0 = exposition } }
/// }
/// ```
public protocol HeartbeatPayloadSink<Payload>: Sendable {
    /// What the sink sends.
    associatedtype Payload: Sendable

    /// Sends (or queues) one heartbeat's value.
    func send(_ payload: Payload)
    /// Delivers what is pending, within the sink's own bound, and releases its resources.
    func close()
    /// Values dropped because they could not be delivered.
    var droppedRecords: UInt64 { get }
}

extension HeartbeatPayloadSink {
    /// Does nothing.
    public func close() {}
    /// None.
    public var droppedRecords: UInt64 { 0 }
}
