import Foundation
@testable import MonitorExportHTTP
import Testing

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(initialBackoff: .seconds(1), maxBackoff: .seconds(30), maxRetryDuration: .seconds(300))
    let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT

    @Test(arguments: [429, 502, 503, 504])
    func retriesTheStatusesTheSpecificationNames(status: Int) {
        guard case .retry(let reason, let retryAfter) = RetryPolicy.classify(.status(status), now: now) else {
            Issue.record("\(status) should be retried")
            return
        }
        #expect(reason.hasPrefix("HTTP \(status)"))
        #expect(retryAfter == nil)
    }

    @Test(arguments: [400, 401, 403, 404, 413, 415, 500, 501, 505])
    func dropsOtherStatusesAtOnce(status: Int) {
        guard case .reject(let reason) = RetryPolicy.classify(.response(status: status, retryAfter: "5", body: Data("bad\nbody".utf8)), now: now) else {
            Issue.record("\(status) should not be retried")
            return
        }
        #expect(reason.hasPrefix("HTTP \(status)"))
        #expect(reason.hasSuffix(": bad body"))
    }

    /// Every 3xx is a failure that retrying cannot fix, whether the transport saw it as a
    /// redirect (with where it pointed) or as a plain answer (304, or 300 without Location).
    @Test func redirectsAreNeitherDeliveredNorRetried() {
        #expect(RetryPolicy.classify(.redirect(status: 307, location: "http://elsewhere:9/v1/logs"), now: now)
            == .redirected(reason: "HTTP 307 Temporary Redirect redirects to http://elsewhere:9/v1/logs, which is not followed"))
        for status in [300, 304, 399] {
            #expect(RetryPolicy.classify(.status(status), now: now) == .redirected(reason: "HTTP \(status) redirects, which is not followed"))
        }
    }

    @Test func retriesConnectionFailuresButNotRefusedCertificates() {
        #expect(RetryPolicy.classify(.failed(reason: "refused", retryable: true), now: now) == .retry(reason: "refused", retryAfter: nil))
        #expect(RetryPolicy.classify(.failed(reason: "TLS", retryable: false), now: now) == .reject(reason: "TLS"))
    }

    @Test func reportsPartialSuccessButDoesNotRetryIt() {
        let body = Data(#"{"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"too old"}}"#.utf8)
        guard case .delivered(let warning) = RetryPolicy.classify(.response(status: 200, retryAfter: nil, body: body), now: now) else {
            Issue.record("a 200 is delivered")
            return
        }
        #expect(warning == "the server accepted the request only in part (2 rejected): too old")
        #expect(RetryPolicy.classify(.ok, now: now) == .delivered(warning: nil))
        #expect(RetryPolicy.classify(.response(status: 200, retryAfter: nil, body: Data("not json".utf8)), now: now) == .delivered(warning: nil))
    }

    @Test func readsRetryAfterAsSecondsOrAnHTTPDate() {
        #expect(RetryPolicy.parseRetryAfter("120", now: now) == .seconds(120))
        #expect(RetryPolicy.parseRetryAfter(" 0 ", now: now) == .zero)
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", now: now) == .seconds(5))
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now: now) == .zero)
        #expect(RetryPolicy.parseRetryAfter("99999999999999999999999", now: now) == .seconds(86_400 * 365))
        for garbage in ["", "-5", "1.5", "soon", "Wednesday, 21-Oct-15 07:28:00 GMT", "Wed, 32 Oct 2015 07:28:00 GMT",
                        "Wed, 21 Oct 2015 07:28:00 UTC", "Xyz, 21 Oct 2015 07:28:00 GMT"] {
            #expect(RetryPolicy.parseRetryAfter(garbage, now: now) == nil, "\(garbage.debugDescription)")
        }
        guard case .retry(_, let retryAfter) = RetryPolicy.classify(.status(503, retryAfter: "7"), now: now) else {
            Issue.record("503 is retried")
            return
        }
        #expect(retryAfter == .seconds(7))
    }

    @Test func backsOffExponentiallyWithJitterInTheUpperHalfUpToTheMaximum() {
        let low = (1 ... 8).map { policy.delay(failures: $0, retryAfter: nil, random: 0) }
        #expect(low == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(15), .seconds(15), .seconds(15)])
        let high = (1 ... 7).map { policy.delay(failures: $0, retryAfter: nil, random: 0.999_999) }
        for (delay, expected) in zip(high, [1, 2, 4, 8, 16, 30, 30]) {
            #expect(delay <= .seconds(expected) && delay > .seconds(expected) * 0.99)
        }
        #expect(policy.delay(failures: Int.max, retryAfter: nil, random: .nan) == .seconds(15))
    }

    @Test func honoursRetryAfterWithinTheBackoffBounds() {
        #expect(policy.delay(failures: 1, retryAfter: .seconds(7), random: 0) == .seconds(7))
        #expect(policy.delay(failures: 9, retryAfter: .seconds(7), random: 0) == .seconds(7))
        #expect(policy.delay(failures: 1, retryAfter: .zero, random: 0) == .seconds(1))
        #expect(policy.delay(failures: 1, retryAfter: .seconds(3600), random: 0) == .seconds(30))
    }
}
