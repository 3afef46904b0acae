import Foundation
import MonitorExport

/// A validated OTLP/HTTP base URL and the two signal URLs derived from it.
///
/// The base is what `OTEL_EXPORTER_OTLP_ENDPOINT` holds: `http://collector:4318`, perhaps with
/// a path prefix (`https://gateway/otlp`); `/v1/logs` and `/v1/metrics` are appended. A URL
/// without a port uses the scheme's (80, 443), as any URL does; OTLP's usual port is 4318.
struct OTLPEndpoint: Sendable, Equatable {
    /// The base URL as given, without a trailing slash.
    let base: String
    let logsURL: URL
    let metricsURL: URL
    /// The host to connect to, without IPv6 brackets.
    let host: String
    let port: Int

    init(parsing text: String) throws(ExportError) {
        func invalid(_ problem: String) -> ExportError {
            ExportError(code: .invalidConfiguration, message: "OTLP endpoint \(text.debugDescription) \(problem)")
        }
        guard !text.isEmpty else { throw invalid("is empty (use a URL such as http://127.0.0.1:4318)") }
        guard !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) else {
            throw invalid("contains whitespace or control characters")
        }
        guard let components = URLComponents(string: text), let rawScheme = components.scheme else {
            throw invalid("is not a URL (use one such as http://127.0.0.1:4318)")
        }
        let scheme = rawScheme.lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw invalid("must use http or https, not \(rawScheme.debugDescription) (OTLP/HTTP endpoints look like http://127.0.0.1:4318)")
        }
        var host = components.host ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw invalid("has no host") }
        guard components.user == nil, components.password == nil else {
            throw invalid("must not carry credentials; send them as a header (Authorization) instead")
        }
        guard components.query == nil else { throw invalid("must not have a query") }
        guard components.fragment == nil else { throw invalid("must not have a fragment") }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1 ... 65535).contains(port) else { throw invalid("has port \(port), outside 1…65535") }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        for signal in ["/v1/logs", "/v1/metrics", "/v1/traces"] where path.hasSuffix(signal) {
            throw invalid("names a signal path; give the base URL (\(signal) and its siblings are appended)")
        }
        var logs = components
        logs.percentEncodedPath = path + "/v1/logs"
        var metrics = components
        metrics.percentEncodedPath = path + "/v1/metrics"
        guard let logsURL = logs.url, let metricsURL = metrics.url else { throw invalid("is not a usable URL") }
        var base = text
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
        self.logsURL = logsURL
        self.metricsURL = metricsURL
        self.host = host
        self.port = port
    }
}
