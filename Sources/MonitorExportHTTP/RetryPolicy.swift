import Foundation
import MonitorExport

/// When a failed request is tried again, and after how long: the rules of the OTLP/HTTP
/// specification, as a pure function of the outcome, the attempt count and a random draw.
///
/// - Retryable: 429, 502, 503, 504, and failures to connect or to get an answer in time.
///   Everything else that is not 2xx (400 for a malformed body, 401, 404, 413, 500, …) is
///   dropped at once: sending the same bytes again cannot fix it. A redirect (3xx) is dropped
///   too, and never followed: the endpoint is misconfigured, and following would hand the
///   request's headers to another address.
/// - Delay: `Retry-After` when the server sends one (seconds or an HTTP date), else exponential
///   backoff `initial × 2^(n−1)` capped at `maxBackoff`, with jitter: a random point in its
///   upper half, so many jobs behind one collector do not retry in step. A `Retry-After` is
///   honoured within `initialBackoff … maxBackoff`: `Retry-After: 0` cannot turn into a tight
///   loop, and a server asking for an hour does not hold every later heartbeat back that long.
/// - A request is given up once its next attempt would come later than `maxRetryDuration`
///   after its first.
struct RetryPolicy: Sendable, Equatable {
    var initialBackoff: Duration
    var maxBackoff: Duration
    var maxRetryDuration: Duration

    /// How to treat one attempt's outcome.
    enum Decision: Sendable, Equatable {
        /// Delivered. `warning` names data the server accepted only in part.
        case delivered(warning: String?)
        /// Worth trying again; `retryAfter` is the server's own wish, if it said one.
        case retry(reason: String, retryAfter: Duration?)
        /// Not worth trying again.
        case reject(reason: String)
        /// A redirect, not followed and not worth trying again: the endpoint needs fixing.
        case redirected(reason: String)
    }

    static func classify(_ outcome: HTTPOutcome, now: Date) -> Decision {
        switch outcome {
        case .failed(let reason, let retryable):
            return retryable ? .retry(reason: reason, retryAfter: nil) : .reject(reason: reason)
        case .redirect(let status, let location):
            return redirected(status, location: location)
        case .response(let status, let retryAfter, let body):
            switch status {
            case 200 ..< 300:
                return .delivered(warning: partialSuccessWarning(body))
            case 300 ..< 400:
                return redirected(status, location: nil)
            case 429, 502, 503, 504:
                return .retry(
                    reason: "HTTP \(status)\(statusPhrase(status))",
                    retryAfter: retryAfter.flatMap { parseRetryAfter($0, now: now) }
                )
            default:
                return .reject(reason: "HTTP \(status)\(statusPhrase(status))\(excerpt(body))")
            }
        }
    }

    private static func redirected(_ status: Int, location: String?) -> Decision {
        .redirected(reason: "HTTP \(status)\(statusPhrase(status)) redirects"
            + (location.map { " to \(MessageValue.excerpt($0))" } ?? "") + ", which is not followed")
    }

    /// The wait before the next attempt, after `failures` consecutive failed attempts (≥ 1).
    /// `random` is a draw from `0 ..< 1`.
    func delay(failures: Int, retryAfter: Duration?, random: Double) -> Duration {
        if let retryAfter {
            return min(max(retryAfter, initialBackoff), maxBackoff)
        }
        var base = initialBackoff
        var step = 1
        while step < failures, base < maxBackoff {
            base = base * 2
            step += 1
        }
        base = min(base, maxBackoff)
        let fraction = 0.5 + 0.5 * min(max(random.isFinite ? random : 0, 0), 1)
        return base * fraction
    }

    /// `Retry-After` as a delay: delta-seconds (`120`) or an IMF-fixdate
    /// (`Wed, 21 Oct 2015 07:28:00 GMT`), the form RFC 9110 tells senders to use. A date in the
    /// past is zero; anything else (the obsolete date forms, garbage) is `nil`, and the caller
    /// falls back to its own backoff.
    static func parseRetryAfter(_ text: String, now: Date) -> Duration? {
        let value = text.trimmingCharacters(in: .whitespaces)
        if !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            // More digits than a year of seconds needs is still "a long time", not an error.
            guard value.utf8.count <= 9, let seconds = Int64(value) else { return .seconds(86_400 * 365) }
            return .seconds(seconds)
        }
        guard let date = parseIMFFixdate(value) else { return nil }
        let interval = date.timeIntervalSince(now)
        guard interval.isFinite, interval > 0 else { return .zero }
        return .milliseconds(Int64(min(interval, 86_400 * 365) * 1000))
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`, parsed by hand: `DateFormatter` depends on the locale.
    static func parseIMFFixdate(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 29, bytes[3] == UInt8(ascii: ","), bytes[4] == 0x20, bytes[7] == 0x20,
            bytes[11] == 0x20, bytes[16] == 0x20, bytes[19] == UInt8(ascii: ":"), bytes[22] == UInt8(ascii: ":"),
            bytes[25] == 0x20, String(decoding: bytes[26...], as: UTF8.self) == "GMT"
        else { return nil }
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard days.contains(String(decoding: bytes[0 ..< 3], as: UTF8.self)),
            let monthIndex = months.firstIndex(of: String(decoding: bytes[8 ..< 11], as: UTF8.self))
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let day = number(5 ..< 7), let year = number(12 ..< 16), let hour = number(17 ..< 19),
            let minute = number(20 ..< 22), let second = number(23 ..< 25),
            (1 ... 31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        let month = monthIndex + 1
        // Days from civil (Howard Hinnant), as the RFC 3339 reader in MonitorExport does.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let daysSince1970 = era * 146_097 + dayOfEra - 719_468
        let seconds = ((daysSince1970 * 24 + hour) * 60 + minute) * 60 + second
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// The OTLP partial-success answer: a 200 whose body says some records were rejected. They
    /// must not be sent again, but someone should hear about it.
    static func partialSuccessWarning(_ body: Data) -> String? {
        guard !body.isEmpty, body.count < 1 << 20,
            let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let partial = object["partialSuccess"] as? [String: Any]
        else { return nil }
        func count(_ key: String) -> Int64 {
            if let text = partial[key] as? String { return Int64(text) ?? 0 }
            if let number = partial[key] as? NSNumber { return number.int64Value }
            return 0
        }
        let rejected = count("rejectedLogRecords") + count("rejectedDataPoints")
        let message = partial["errorMessage"] as? String ?? ""
        guard rejected > 0 || !message.isEmpty else { return nil }
        return "the server accepted the request only in part (\(rejected) rejected)"
            + (message.isEmpty ? "" : ": \(message.prefix(200))")
    }

    private static func statusPhrase(_ status: Int) -> String {
        switch status {
        case 301: " Moved Permanently"
        case 302: " Found"
        case 303: " See Other"
        case 307: " Temporary Redirect"
        case 308: " Permanent Redirect"
        case 400: " Bad Request"
        case 401: " Unauthorized"
        case 403: " Forbidden"
        case 404: " Not Found"
        case 413: " Content Too Large"
        case 415: " Unsupported Media Type"
        case 429: " Too Many Requests"
        case 500: " Internal Server Error"
        case 502: " Bad Gateway"
        case 503: " Service Unavailable"
        case 504: " Gateway Timeout"
        default: ""
        }
    }

    /// The start of an error body, on one line, for a warning.
    private static func excerpt(_ body: Data) -> String {
        guard !body.isEmpty else { return "" }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
            .map { $0.isNewline || $0 == "\t" ? " " : String($0) }.joined()
        return ": \(text)\(body.count > 200 ? "…" : "")"
    }
}
