public import Foundation
public import MonitorExport
import ProcessMonitor

/// Sends each heartbeat to an OpenTelemetry collector over OTLP/HTTP with JSON encoding, without
/// ever making the monitor or the job wait for the network.
///
/// It takes `OTLPJSONFormat`'s `Requests` for each heartbeat (a
/// `HeartbeatExporter` pairs the two, checked by the compiler) and posts the logs request to
/// `BASE/v1/logs` and the metrics request to `BASE/v1/metrics`, with
/// `Content-Type: application/json`.
///
/// ``send(_:)`` only queues: a bounded queue (``Configuration/queueCapacity``)
/// feeds a sender thread of the sink's own, which posts one request at a time (plain `http://`
/// over a connection of its own, `https://` or through a proxy with `URLSession`). 429, 502,
/// 503, 504, timeouts and failed connections are retried with exponential backoff and jitter,
/// honouring `Retry-After` (seconds or an HTTP date), as the OTLP specification asks; other
/// answers drop the request at once. At most 64 KiB of an answer's body is read, and a
/// redirect is never followed (the headers, `Authorization` among them, never go elsewhere):
/// it is dropped, counted as rejected and warned about once. Whatever is dropped (queue
/// full, refused, retried too long, left at close) is counted in ``droppedRecords``, which the
/// next heartbeat reports, and warned about at most once a minute through the
/// `SinkDiagnostics`.
///
/// The initializer validates the URL (`http` or `https`, a host, no query or fragment) and,
/// unless ``Configuration/reachabilityCheckTimeout`` is `nil`, connects to the host once, so a
/// wrong endpoint fails the job's start with a clear message. After that nothing throws or
/// traps: a collector that goes away only costs dropped, counted records.
///
/// ``close()``, which the monitor's `stop()` calls, waits at most
/// ``Configuration/flushTimeout`` for the queue to drain, then counts what is left as dropped
/// and, if anything was, says so on the diagnostics in one line.
///
/// This is a product of its own (`MonitorExportHTTP`) because `URLSession` lives in
/// FoundationNetworking on Linux, which links libcurl and its TLS, LDAP and Kerberos libraries
/// into every binary that imports it.
///
/// ```swift
/// let sink = try OTLPHTTPSink(endpoint: "http://127.0.0.1:4318")
/// let monitor = try ProcessMonitor.start(observers: [
///     HeartbeatExporter(format: try OTLPJSONFormat(attributes: ["service.name": "trainer"]), sink: sink),
/// ])
/// ```
public final class OTLPHTTPSink: HeartbeatPayloadSink {
    /// The base URL as given, without a trailing slash.
    public let endpoint: String
    /// Where log records go: the base URL with `/v1/logs` appended.
    public let logsURL: URL
    /// Where metrics go: the base URL with `/v1/metrics` appended.
    public let metricsURL: URL
    /// The configuration in force.
    public let configuration: Configuration

    private let core: HTTPSinkCore

    /// Validates `endpoint` and `configuration`, checks that the endpoint accepts connections,
    /// and starts the sender thread.
    ///
    /// - Throws: `ExportError` with code `invalidConfiguration` for a URL that is not
    ///   `http(s)://HOST[:PORT][/PREFIX]` or a setting out of range, and `cannotOpen` when the
    ///   endpoint cannot be reached (`cannot reach http://127.0.0.1:4318 (127.0.0.1:4318):
    ///   Connection refused`).
    public convenience init(
        endpoint: String,
        configuration: Configuration = Configuration(),
        diagnostics: SinkDiagnostics = .standard
    ) throws(ExportError) {
        let parsed = try OTLPEndpoint(parsing: endpoint)
        let transport = try HTTPSinkCore.checkedTransport(for: parsed.baseURL, configuration: configuration)
        self.init(endpoint: parsed, configuration: configuration, diagnostics: diagnostics, transport: transport, timing: .system)
    }

    /// The seam for tests: any transport, any timing; nothing is checked over the network.
    init(
        endpoint: OTLPEndpoint, configuration: Configuration, diagnostics: SinkDiagnostics,
        transport: any HTTPTransport, timing: HTTPPostQueue.Timing
    ) {
        self.endpoint = endpoint.base
        self.logsURL = endpoint.logsURL
        self.metricsURL = endpoint.metricsURL
        self.configuration = configuration
        core = HTTPSinkCore(
            sinkName: "OTLPHTTPSink", destination: endpoint.base, capacity: configuration.queueCapacity,
            configuration: configuration, diagnostics: diagnostics, transport: transport, timing: timing
        )
    }

    /// Queues the heartbeat's two requests, logs then metrics, and returns at once.
    public func send(_ requests: OTLPJSONFormat.Requests) {
        core.queue.enqueue(HTTPPostRequest(url: logsURL, body: Data(requests.logs.utf8)))
        core.queue.enqueue(HTTPPostRequest(url: metricsURL, body: Data(requests.metrics.utf8)))
    }

    /// Waits at most ``Configuration/flushTimeout`` for queued requests to be sent, then drops
    /// and counts the rest and stops the sender thread. When anything was dropped in all, one
    /// line says how many and why. Later writes are dropped and counted; closing again does
    /// nothing more.
    public func close() {
        core.close()
    }

    /// Requests that were not delivered, for any reason: see ``statistics``.
    public var droppedRecords: UInt64 { core.queue.statistics.dropped }

    /// What became of the requests so far.
    public var statistics: HTTPDeliveryStatistics { core.queue.statistics }
}
