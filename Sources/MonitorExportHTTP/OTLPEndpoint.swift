import Foundation
import MonitorExport

/// A validated OTLP/HTTP base URL and the two signal URLs derived from it.
///
/// The base is what `OTEL_EXPORTER_OTLP_ENDPOINT` holds: `http://collector:4318`, perhaps with
/// a path prefix (`https://gateway/otlp`); `/v1/logs` and `/v1/metrics` are appended. A URL
/// without a port uses the scheme's (80, 443), as any URL does; OTLP's usual port is 4318.
struct OTLPEndpoint: Sendable, Equatable {
    /// The base URL, checked.
    let baseURL: HTTPBaseURL
    let logsURL: URL
    let metricsURL: URL

    /// The base URL as given, without a trailing slash.
    var base: String { baseURL.base }
    /// The host to connect to, without IPv6 brackets.
    var host: String { baseURL.host }
    var port: Int { baseURL.port }

    init(parsing text: String) throws(ExportError) {
        let parsed = try HTTPBaseURL(parsing: text, what: "OTLP endpoint", kind: "OTLP/HTTP endpoints", example: "http://127.0.0.1:4318")
        for signal in ["/v1/logs", "/v1/metrics", "/v1/traces"] where parsed.path.hasSuffix(signal) {
            throw ExportError(
                code: .invalidConfiguration,
                message: "OTLP endpoint \(MessageValue.quoted(text)) names a signal path; give the base URL (\(signal) and its siblings are appended)"
            )
        }
        guard let logsURL = parsed.appending("/v1/logs"), let metricsURL = parsed.appending("/v1/metrics") else {
            throw ExportError(code: .invalidConfiguration, message: "OTLP endpoint \(MessageValue.quoted(text)) is not a usable URL")
        }
        self.baseURL = parsed
        self.logsURL = logsURL
        self.metricsURL = metricsURL
    }
}
