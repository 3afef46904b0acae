public import Foundation
public import MonitorExport
import ProcessMonitor

/// Pushes each heartbeat's Prometheus exposition to a Prometheus Pushgateway, for jobs too
/// short-lived or too hidden to be scraped, without ever making the monitor or the job wait for
/// the network.
///
/// It takes `PrometheusFormat`'s `Exposition` for each heartbeat (a `HeartbeatExporter` pairs
/// the two, checked by the compiler): it is the body of one `PUT` to `BASE/metrics/job/JOB` (and `/instance/INSTANCE` when an instance
/// is given) with `Content-Type: text/plain; version=0.0.4`. `PUT` replaces every metric of
/// that group, so the gateway always holds exactly the latest heartbeat. Values are
/// percent-encoded; a value that is empty, contains `/`, or is `.` or `..` is sent in the
/// Pushgateway's `@base64` form (`/metrics/job@base64/YS9i`).
///
/// Only the newest heartbeat is worth sending: one request may be in flight and one may wait;
/// a newer heartbeat replaces the waiting one, which is counted in ``droppedRecords`` (as
/// "queue full") so the next heartbeat reports it. Retries, backoff, `Retry-After`, the
/// start-up reachability check and the bounded ``close()`` work as in ``OTLPHTTPSink``, with the
/// same ``Configuration`` (whose `queueCapacity` is not used). On close the last heartbeat,
/// the monitor's final one, is pushed, within ``OTLPHTTPSink/Configuration/flushTimeout``.
///
/// The sink never deletes its group: a finished batch job's last values, with
/// `processmonitor_final_heartbeat 1`, stay on the gateway, which is the Pushgateway's
/// documented pattern for batch jobs; `processmonitor_heartbeat_timestamp_seconds` (and the
/// gateway's own `push_time_seconds`) tell how old they are.
///
/// ```swift
/// let sink = try PushgatewaySink(url: "http://127.0.0.1:9091", job: "nightly-etl")
/// let monitor = try ProcessMonitor.start(observers: [
///     HeartbeatExporter(format: try PrometheusFormat(attributes: ["job": "nightly-etl"]), sink: sink),
/// ])
/// ```
public final class PushgatewaySink: HeartbeatPayloadSink {
    /// The settings: those of ``OTLPHTTPSink/Configuration``, except that `queueCapacity` is
    /// not used (one heartbeat waits at most).
    public typealias Configuration = OTLPHTTPSink.Configuration

    /// The `Content-Type` of every push: the Prometheus text exposition format.
    public static let contentType = "text/plain; version=0.0.4"

    /// The job grouping label, as given.
    public let job: String
    /// The instance grouping label, if one was given.
    public let instance: String?
    /// Where each heartbeat is `PUT`: the group's URL.
    ///
    /// For example `http://127.0.0.1:9091/metrics/job/nightly-etl`.
    public let groupURL: URL
    /// The configuration in force.
    public let configuration: Configuration

    private let core: HTTPSinkCore

    /// Validates `url` (the gateway's base URL, `http(s)://HOST:9091[/PREFIX]`), `job` and
    /// `configuration`, checks that the gateway accepts connections, and starts the sender
    /// thread.
    ///
    /// - Throws: `ExportError` with code `invalidConfiguration` for a URL that is not
    ///   `http(s)://HOST[:PORT][/PREFIX]` or an empty job name, each named in the message, or a
    ///   setting out of range; `cannotOpen` when the gateway cannot be reached.
    public convenience init(
        url: String,
        job: String,
        instance: String? = nil,
        configuration: Configuration = Configuration(),
        diagnostics: SinkDiagnostics = .standard
    ) throws(ExportError) {
        let base = try Self.parseBase(url)
        let groupURL = try Self.groupURL(base: base, job: job, instance: instance)
        let transport = try HTTPSinkCore.checkedTransport(for: base, configuration: configuration)
        self.init(groupURL: groupURL, job: job, instance: instance, configuration: configuration, diagnostics: diagnostics,
                  transport: transport, timing: .system)
    }

    /// The seam for tests: any transport, any timing; nothing is checked over the network.
    init(
        groupURL: URL, job: String, instance: String?, configuration: Configuration, diagnostics: SinkDiagnostics,
        transport: any HTTPTransport, timing: HTTPPostQueue.Timing
    ) {
        self.groupURL = groupURL
        self.job = job
        self.instance = instance
        self.configuration = configuration
        core = HTTPSinkCore(
            sinkName: "PushgatewaySink", destination: groupURL.absoluteString, capacity: 1,
            configuration: configuration, diagnostics: diagnostics, transport: transport, timing: timing
        )
    }

    /// Pushes one heartbeat's exposition as one request, replacing a push that has not been
    /// sent yet; returns at once. An empty exposition is not pushed: it would empty the group.
    public func send(_ exposition: PrometheusFormat.Exposition) {
        guard !exposition.lines.isEmpty else { return }
        core.queue.enqueue(HTTPPostRequest(url: groupURL, body: Data(exposition.text.utf8), method: "PUT",
                                           contentType: Self.contentType))
    }

    /// Waits at most ``OTLPHTTPSink/Configuration/flushTimeout`` for the last heartbeat to be
    /// pushed, then drops and counts what is left and stops the sender thread; the group stays
    /// on the gateway. Closing again does nothing more.
    public func close() {
        core.close()
    }

    /// Heartbeats that were not pushed, for any reason, a waiting one replaced by a newer one
    /// included: see ``statistics``.
    public var droppedRecords: UInt64 { core.queue.statistics.dropped }

    /// What became of the pushes so far; a replaced heartbeat counts as `droppedQueueFull`.
    public var statistics: HTTPDeliveryStatistics { core.queue.statistics }

    // MARK: - The group's URL

    static func parseBase(_ text: String) throws(ExportError) -> HTTPBaseURL {
        let base = try HTTPBaseURL(parsing: text, what: "Pushgateway URL", kind: "Pushgateway URLs", example: "http://127.0.0.1:9091")
        if base.path.hasSuffix("/metrics") || base.path.contains("/metrics/job") {
            throw ExportError(
                code: .invalidConfiguration,
                message: "Pushgateway URL \(MessageValue.quoted(text)) names a push path; give the base URL (/metrics/job/JOB is appended)"
            )
        }
        return base
    }

    /// `BASE/metrics/job/JOB[/instance/INSTANCE]`, each value escaped by ``pathSegments(label:value:)``.
    static func groupURL(base: HTTPBaseURL, job: String, instance: String?) throws(ExportError) -> URL {
        guard !job.isEmpty else {
            throw ExportError(
                code: .invalidConfiguration,
                message: "Pushgateway job name \(MessageValue.quoted(job)) is empty; set the job attribute (--attribute job=NAME)"
            )
        }
        var suffix = "/metrics" + pathSegments(label: "job", value: job)
        if let instance { suffix += pathSegments(label: "instance", value: instance) }
        guard let url = base.appending(suffix) else {
            throw ExportError(
                code: .invalidConfiguration,
                message: "Pushgateway URL \(MessageValue.quoted(base.base)) with job \(MessageValue.quoted(job)) is not a usable URL"
            )
        }
        return url
    }

    /// `/LABEL/VALUE` with the value percent-encoded (everything but RFC 3986's unreserved
    /// characters), or `/LABEL@base64/BASE64URL` for a value that is empty, holds a `/`, or is a
    /// dot segment a URL library would collapse.
    static func pathSegments(label: String, value: String) -> String {
        if value.isEmpty || value.contains("/") || value == "." || value == ".." {
            let encoded = Data(value.utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            return "/\(label)@base64/\(encoded.isEmpty ? "=" : encoded)"
        }
        var escaped = ""
        for byte in value.utf8 {
            let isUnreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            if isUnreserved {
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                escaped += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return "/\(label)/\(escaped)"
    }
}
