/// What became of the requests an HTTP sink was given.
///
/// Every request ends up in exactly one of `sent` or a `dropped…` count, except those still
/// queued or in flight. ``dropped`` is what the sink reports as
/// `HeartbeatPayloadSink.droppedRecords`, so the next heartbeat carries it.
///
/// ```swift
/// let sink = try OTLPHTTPSink(endpoint: "http://127.0.0.1:4318")
/// // … the job runs, the monitor stops …
/// sink.close()
/// let stats = sink.statistics
/// print("\(stats.sent) sent, \(stats.dropped) dropped, \(stats.retried) retries")
/// ```
public struct HTTPDeliveryStatistics: Sendable, Equatable, CustomStringConvertible {
    /// Requests the server accepted (a 2xx answer).
    public var sent: UInt64 = 0
    /// Attempts that failed in a retryable way and were tried again.
    public var retried: UInt64 = 0
    /// Requests pushed out of a full queue (the oldest waiting one goes).
    public var droppedQueueFull: UInt64 = 0
    /// Requests the server refused in a way retrying cannot fix (400, 401, 404, 413, 500, …),
    /// redirects (3xx, never followed), or lines that were not a request at all.
    public var droppedRejected: UInt64 = 0
    /// Requests given up after retrying for the longest time allowed.
    public var droppedGaveUp: UInt64 = 0
    /// Requests still queued, in flight or waiting to retry when `close()` ran out of time.
    public var droppedAtClose: UInt64 = 0
    /// Requests written after `close()`.
    public var droppedAfterClose: UInt64 = 0

    /// Creates statistics with every count at zero.
    public init() {}

    /// Every request that was not delivered, whatever the reason.
    public var dropped: UInt64 {
        droppedQueueFull &+ droppedRejected &+ droppedGaveUp &+ droppedAtClose &+ droppedAfterClose
    }

    /// `12 sent, 3 dropped (1 queue full, 0 rejected, 0 gave up, 2 at close, 0 after close), 5 retries`.
    public var description: String {
        "\(sent) sent, \(dropped) dropped (\(droppedQueueFull) queue full, \(droppedRejected) rejected, "
            + "\(droppedGaveUp) gave up, \(droppedAtClose) at close, \(droppedAfterClose) after close), "
            + "\(retried) \(retried == 1 ? "retry" : "retries")"
    }
}
