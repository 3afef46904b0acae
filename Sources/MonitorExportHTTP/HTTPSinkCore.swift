import Foundation
import MonitorExport
import ProcessMonitor

/// What ``OTLPHTTPSink`` and ``PushgatewaySink`` share: the queue and its sender thread built
/// from a configuration, rate-limited warnings under one prefix, and a close that happens once
/// and says in one unlimited line what was lost.
final class HTTPSinkCore: Sendable {
    let queue: HTTPPostQueue
    let limiter: WarningLimiter
    /// `[process-monitor] SINK(DESTINATION)`, the start of every warning.
    let prefix: String
    private let diagnostics: SinkDiagnostics
    private let flushTimeout: Duration
    private let closed = LockedValue(false)

    /// Starts the sender thread, named `sinkName`, with room for `capacity` waiting requests.
    init(
        sinkName: String, destination: String, capacity: Int, configuration: OTLPHTTPSink.Configuration,
        diagnostics: SinkDiagnostics, transport: any HTTPTransport, timing: HTTPPostQueue.Timing
    ) {
        let limiter = WarningLimiter(diagnostics)
        let prefix = "[process-monitor] \(sinkName)(\(MessageValue.excerpt(destination)))"
        self.limiter = limiter
        self.prefix = prefix
        self.diagnostics = diagnostics
        self.flushTimeout = configuration.flushTimeout
        queue = HTTPPostQueue(
            settings: HTTPPostQueue.Settings(
                capacity: capacity,
                requestTimeout: configuration.requestTimeout,
                retry: RetryPolicy(
                    initialBackoff: configuration.initialBackoff,
                    maxBackoff: configuration.maxBackoff,
                    maxRetryDuration: configuration.maxRetryDuration
                )
            ),
            transport: transport,
            timing: timing,
            name: sinkName,
            warn: { message in limiter.warn("\(prefix): \(message)") }
        )
    }

    deinit {
        // A sink dropped without close() must not leave its thread waiting forever.
        queue.abandon()
    }

    /// Checks `configuration`, connects to `endpoint` once unless the configuration says not
    /// to, and returns the real transport with the configured headers: the sink's own for
    /// plain HTTP, `URLSession` for HTTPS or through a proxy (see ``SocketTransport``).
    static func checkedTransport(
        for endpoint: HTTPBaseURL, configuration: OTLPHTTPSink.Configuration
    ) throws(ExportError) -> any HTTPTransport {
        try configuration.validate()
        if let timeout = configuration.reachabilityCheckTimeout {
            try ReachabilityCheck.check(host: endpoint.host, port: endpoint.port, timeout: timeout, endpoint: endpoint.base)
        }
        let headers = configuration.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        if let url = endpoint.components.url, SocketTransport.handles(url) {
            return SocketTransport(headers: headers)
        }
        return URLSessionTransport(headers: headers, timeout: configuration.requestTimeout)
    }

    /// Waits at most the flush timeout for the queue, once; later calls do nothing.
    func close() {
        let first = closed.withLock { wasClosed -> Bool in
            defer { wasClosed = true }
            return !wasClosed
        }
        guard first else { return }
        let statistics = queue.close(timeout: flushTimeout)
        if statistics.dropped > 0 {
            // Not rate-limited: it is the last word on what this sink lost.
            diagnostics.warn("\(prefix): closed; \(statistics)")
        }
    }
}
