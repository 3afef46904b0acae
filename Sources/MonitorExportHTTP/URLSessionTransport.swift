import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ProcessMonitor

/// Sends requests with the toolchain's HTTP client, `URLSession` (libcurl on Linux).
///
/// Each post blocks the sender thread, never the monitor's, until the answer or the timeout.
/// Two rules keep a misbehaving server from harming the job:
/// - At most ``maxResponseBodyBytes`` of an answer's body are read; then the request is
///   cancelled. The body only ever serves a warning (an error's first words, an OTLP partial
///   success), and a receiver answering a gigabyte must not grow the job's memory by a
///   gigabyte, nor hold `stop()` past the flush timeout while it downloads.
/// - A redirect is never followed: the 3xx answer is the outcome. Following one would send the
///   configured headers (`Authorization`) to wherever the server points, and libcurl resends a
///   redirected `PUT` or `POST` without its body (an empty Pushgateway `PUT` wipes the group).
final class URLSessionTransport: HTTPTransport {
    /// The most of an answer's body that is read: enough for any error message or OTLP
    /// partial-success answer.
    static let maxResponseBodyBytes = 64 * 1024

    private let session: URLSession
    private let reader: ResponseReader
    private let headers: [(name: String, value: String)]

    static let userAgent = "ProcessMonitor-OTLP-Exporter/1"

    init(headers: [(name: String, value: String)], timeout: Duration, maxBodyBytes: Int = maxResponseBodyBytes) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout.secondsAsDouble
        configuration.timeoutIntervalForResource = timeout.secondsAsDouble
        configuration.httpMaximumConnectionsPerHost = 1
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        reader = ResponseReader(maxBodyBytes: maxBodyBytes)
        session = URLSession(configuration: configuration, delegate: reader, delegateQueue: nil)
        self.headers = headers
    }

    deinit {
        // The session holds its delegate until it is invalidated.
        session.invalidateAndCancel()
    }

    func post(_ request: HTTPPostRequest, timeout: Duration) -> HTTPOutcome {
        var urlRequest = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout.secondsAsDouble)
        urlRequest.httpMethod = request.method
        urlRequest.setValue(request.contentType, forHTTPHeaderField: "Content-Type")
        urlRequest.setValue(Self.userAgent, forHTTPHeaderField: "User-Agent")
        for header in headers {
            urlRequest.setValue(header.value, forHTTPHeaderField: header.name)
        }
        urlRequest.httpBody = request.body

        let exchange = ResponseReader.Exchange()
        let task = session.dataTask(with: urlRequest)
        reader.begin(exchange, for: task.taskIdentifier)
        defer { reader.end(task.taskIdentifier) }
        task.resume()
        // URLSession's own timeout fires first; this bound is for the case where it does not.
        let bound = DispatchTime.now() + .nanoseconds(Int(clamping: max(0, timeout.wholeNanoseconds))) + .seconds(2)
        guard let outcome = exchange.wait(until: bound) else {
            task.cancel()
            return .failed(reason: "no answer within \(timeout)", retryable: true)
        }
        return outcome
    }

    func cancelAll() {
        session.invalidateAndCancel()
    }

    /// Connection trouble is worth retrying (the OTLP specification says so); a refused
    /// certificate or an unusable URL is not.
    static func outcome(for error: any Error) -> HTTPOutcome {
        guard let urlError = error as? URLError else {
            return .failed(reason: "\(error)", retryable: true)
        }
        switch urlError.code {
        case .cannotConnectToHost: return .failed(reason: "cannot connect (connection refused)", retryable: true)
        case .timedOut: return .failed(reason: "timed out", retryable: true)
        case .networkConnectionLost: return .failed(reason: "connection lost", retryable: true)
        case .cannotFindHost, .dnsLookupFailed: return .failed(reason: "cannot resolve the host", retryable: true)
        case .notConnectedToInternet: return .failed(reason: "no network", retryable: true)
        case .cancelled: return .failed(reason: "cancelled", retryable: true)
        case .badURL, .unsupportedURL:
            return .failed(reason: "unusable URL (URLError \(urlError.code.rawValue))", retryable: false)
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
            .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected,
            .clientCertificateRequired:
            return .failed(reason: "TLS failed (URLError \(urlError.code.rawValue))", retryable: false)
        default:
            return .failed(reason: "\(urlError.localizedDescription) (URLError \(urlError.code.rawValue))", retryable: true)
        }
    }
}

/// The session's delegate: collects each answer for the sender thread waiting on it, reads at
/// most `maxBodyBytes` of a body (then cancels the task), and refuses every redirect.
// @unchecked Sendable: `exchanges` is a LockedValue; `maxBodyBytes` is immutable.
final class ResponseReader: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// One request's answer as it arrives, and the semaphore its sender waits on.
    // @unchecked Sendable: `state` is a LockedValue; `done` is a semaphore.
    final class Exchange: @unchecked Sendable {
        private struct State {
            var response: HTTPURLResponse?
            var body = Data()
            var redirectedTo: String?
            var outcome: HTTPOutcome?
        }

        private let state = LockedValue(State())
        private let done = DispatchSemaphore(value: 0)

        func received(_ response: URLResponse) {
            state.withLock { $0.response = response as? HTTPURLResponse }
        }

        /// Keeps `data` up to `limit` bytes in all; true once the limit is reached, when the
        /// exchange is finished with what it has and the task should be cancelled.
        func append(_ data: Data, limit: Int) -> Bool {
            let full: Bool = state.withLock { state in
                guard state.outcome == nil else { return true }
                state.body.append(data.prefix(max(0, limit - state.body.count)))
                return state.body.count >= limit && data.count > 0
            }
            if full { finish(nil) }
            return full
        }

        func redirected(to url: URL?) {
            state.withLock { $0.redirectedTo = url?.absoluteString }
        }

        /// Settles the outcome once: from the response and the body read so far, or from
        /// `error` when no answer came. Later calls (the cancellation after a full body) change
        /// nothing.
        func finish(_ error: (any Error)?) {
            let settled: Bool = state.withLock { state in
                guard state.outcome == nil else { return false }
                if let response = state.response, error == nil || state.body.count > 0 || (error as? URLError)?.code == .cancelled {
                    let status = response.statusCode
                    if (300 ..< 400).contains(status) {
                        let location = state.redirectedTo ?? response.value(forHTTPHeaderField: "Location")
                        state.outcome = .redirect(status: status, location: location)
                    } else {
                        state.outcome = .response(
                            status: status, retryAfter: response.value(forHTTPHeaderField: "Retry-After"), body: state.body
                        )
                    }
                } else if let error {
                    state.outcome = URLSessionTransport.outcome(for: error)
                } else {
                    state.outcome = .failed(reason: "the answer was not HTTP", retryable: true)
                }
                return true
            }
            if settled { done.signal() }
        }

        /// The outcome, or nil when `deadline` passed first.
        func wait(until deadline: DispatchTime) -> HTTPOutcome? {
            guard done.wait(timeout: deadline) == .success else { return nil }
            return state.withLock { $0.outcome }
        }
    }

    let maxBodyBytes: Int
    private let exchanges = LockedValue<[Int: Exchange]>([:])

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    func begin(_ exchange: Exchange, for task: Int) {
        exchanges.withLock { $0[task] = exchange }
    }

    func end(_ task: Int) {
        exchanges.withLock { $0[task] = nil }
    }

    private func exchange(for task: URLSessionTask) -> Exchange? {
        exchanges.withLock { $0[task.taskIdentifier] }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        exchange(for: dataTask)?.received(response)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        // No one waits for this task any more (it timed out): stop reading it.
        guard let exchange = exchange(for: dataTask) else { return dataTask.cancel() }
        if exchange.append(data, limit: maxBodyBytes) { dataTask.cancel() }
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        exchange(for: task)?.redirected(to: request.url)
        // nil: not followed; the 3xx answer completes the task.
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        exchange(for: task)?.finish(error)
    }
}
