import Foundation

/// One request with a body: by default an OTLP/HTTP `POST` of JSON to `/v1/logs` or
/// `/v1/metrics`; the Pushgateway sink `PUT`s Prometheus text instead.
struct HTTPPostRequest: Sendable, Equatable {
    var url: URL
    var body: Data
    var method: String = "POST"
    var contentType: String = "application/json"
}

/// What became of one attempt to send a request.
enum HTTPOutcome: Sendable, Equatable {
    /// The server answered; `body` holds at most the transport's limit of the answer's body.
    case response(status: Int, retryAfter: String?, body: Data)
    /// The server answered with a redirect (3xx), which is never followed: the request stays
    /// with the configured endpoint, and its headers with it. `location` is where it pointed.
    case redirect(status: Int, location: String?)
    /// No answer: the connection failed, timed out or was cut. `retryable` is false for
    /// failures that waiting cannot fix (a TLS certificate the client refuses, a bad URL).
    case failed(reason: String, retryable: Bool)
}

/// The seam between the queue and the network, so the retry and drop rules are tested without
/// a server.
protocol HTTPTransport: Sendable {
    /// Sends `request` and blocks the calling (sender) thread until an outcome is known, for at
    /// most about `timeout`.
    func post(_ request: HTTPPostRequest, timeout: Duration) -> HTTPOutcome
    /// Cuts short whatever is in flight; later posts fail at once.
    func cancelAll()
}
