import Foundation
import MonitorExport

/// A validated `http(s)://HOST[:PORT][/PREFIX]` base URL, the part the OTLP endpoint and the
/// Pushgateway URL share: paths are appended to it.
///
/// A URL without a port uses the scheme's (80, 443), as any URL does.
struct HTTPBaseURL: Sendable, Equatable {
    /// The base URL as given, without a trailing slash.
    let base: String
    /// The parsed URL, for appending paths to.
    let components: URLComponents
    /// The percent-encoded path prefix, without a trailing slash (empty for none).
    let path: String
    /// The host to connect to, without IPv6 brackets.
    let host: String
    let port: Int

    /// `what` starts every error message (`OTLP endpoint "…"`); `kind` and `example` complete
    /// the hint for a wrong scheme: `(KIND look like EXAMPLE)`.
    init(parsing text: String, what: String, kind: String, example: String) throws(ExportError) {
        func invalid(_ problem: String) -> ExportError {
            ExportError(code: .invalidConfiguration, message: "\(what) \(MessageValue.quoted(text)) \(problem)")
        }
        guard !text.isEmpty else { throw invalid("is empty (use a URL such as \(example))") }
        guard !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) else {
            throw invalid("contains whitespace or control characters")
        }
        guard let components = URLComponents(string: text), let rawScheme = components.scheme else {
            throw invalid("is not a URL (use one such as \(example))")
        }
        let scheme = rawScheme.lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw invalid("must use http or https, not \(MessageValue.quoted(rawScheme)) (\(kind) look like \(example))")
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
        var base = text
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
        self.components = components
        self.path = path
        self.host = host
        self.port = port
    }

    /// The base URL with `suffix` (percent-encoded, starting with `/`) appended to its path.
    func appending(_ suffix: String) -> URL? {
        var url = components
        url.percentEncodedPath = path + suffix
        return url.url
    }
}
