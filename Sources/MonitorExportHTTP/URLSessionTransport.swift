import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ProcessMonitor

/// Sends requests with the toolchain's HTTP client, `URLSession` (libcurl on Linux).
///
/// Each post blocks the sender thread, never the monitor's, until the answer or the timeout.
final class URLSessionTransport: HTTPTransport {
    private let session: URLSession
    private let headers: [(name: String, value: String)]

    static let userAgent = "ProcessMonitor-OTLP-Exporter/1"

    init(headers: [(name: String, value: String)], timeout: Duration) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout.secondsAsDouble
        configuration.timeoutIntervalForResource = timeout.secondsAsDouble
        configuration.httpMaximumConnectionsPerHost = 1
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        session = URLSession(configuration: configuration)
        self.headers = headers
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

        let result = LockedValue<HTTPOutcome?>(nil)
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: urlRequest) { data, response, error in
            let outcome: HTTPOutcome
            if let error {
                outcome = Self.outcome(for: error)
            } else if let http = response as? HTTPURLResponse {
                outcome = .response(
                    status: http.statusCode,
                    retryAfter: http.value(forHTTPHeaderField: "Retry-After"),
                    body: data ?? Data()
                )
            } else {
                outcome = .failed(reason: "the answer was not HTTP", retryable: true)
            }
            result.withLock { $0 = outcome }
            done.signal()
        }
        task.resume()
        // URLSession's own timeout fires first; this bound is for the case where it does not.
        let bound = DispatchTime.now() + .nanoseconds(Int(clamping: max(0, timeout.wholeNanoseconds))) + .seconds(2)
        if done.wait(timeout: bound) == .timedOut {
            task.cancel()
            return .failed(reason: "no answer within \(timeout)", retryable: true)
        }
        return result.withLock { $0 } ?? .failed(reason: "no answer", retryable: true)
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
