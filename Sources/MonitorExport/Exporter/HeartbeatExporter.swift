import ProcessMonitor

/// A format paired with a sink: the observer you hand to the monitor.
///
/// ```swift
/// let monitor = try ProcessMonitor.start(observers: [
///     HeartbeatExporter(format: TextFormat(), sink: StandardStreamSink.standardError),
/// ])
/// ```
public struct HeartbeatExporter: HeartbeatObserver {
    /// How heartbeats are rendered.
    public let format: any HeartbeatFormat
    /// Where rendered lines go.
    public let sink: any HeartbeatSink

    /// Pairs `format` with `sink`.
    ///
    /// ```swift
    /// HeartbeatExporter(format: TextFormat(), sink: StandardStreamSink.standardOutput)
    /// ```
    public init(format: any HeartbeatFormat, sink: any HeartbeatSink) {
        self.format = format
        self.sink = sink
    }

    public func observe(_ heartbeat: Heartbeat) {
        let context = FormatContext(droppedRecords: sink.droppedRecords)
        sink.write(format.render(heartbeat, context: context))
    }

    public func monitorDidStop() {
        sink.close()
    }
}
