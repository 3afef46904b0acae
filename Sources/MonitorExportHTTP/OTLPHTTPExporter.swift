import MonitorExport
import ProcessMonitor

/// Builds the `otlp-http:URL` exporter: ``OTLPHTTPSink`` fed by `OTLPJSONFormat`.
///
/// It lives here rather than in `ExportSpecification`, because `MonitorExport` must not depend
/// on FoundationNetworking; a command line that offers `--export otlp-http:URL` calls it.
///
/// ```swift
/// let exporter = try OTLPHTTPExporter.make(endpoint: "http://127.0.0.1:4318", attributes: ["job": "etl"])
/// let monitor = try ProcessMonitor.start(observers: [exporter])
/// ```
public enum OTLPHTTPExporter {
    /// The prefix of the flag value that names this exporter: `otlp-http:http://127.0.0.1:4318`.
    ///
    /// ```swift
    /// if flag.hasPrefix(OTLPHTTPExporter.flagPrefix) { … }
    /// ```
    public static let flagPrefix = "otlp-http:"

    /// An exporter that sends each heartbeat's log record and metrics to `endpoint`.
    ///
    /// - Throws: `ExportError` for a bad URL, attribute or setting, or an endpoint that cannot
    ///   be reached (see ``OTLPHTTPSink/init(endpoint:configuration:diagnostics:)``).
    ///
    /// ```swift
    /// let exporter = try OTLPHTTPExporter.make(endpoint: "http://collector:4318", serviceName: "trainer")
    /// ```
    public static func make(
        endpoint: String,
        attributes: [String: String] = [:],
        serviceName: String? = nil,
        limits: ExportLimits = .default,
        configuration: OTLPHTTPSink.Configuration = OTLPHTTPSink.Configuration(),
        diagnostics: SinkDiagnostics = .standard
    ) throws(ExportError) -> HeartbeatExporter {
        let format = try OTLPJSONFormat(attributes: attributes, serviceName: serviceName, limits: limits)
        let sink = try OTLPHTTPSink(endpoint: endpoint, configuration: configuration, diagnostics: diagnostics)
        return HeartbeatExporter(format: format, sink: sink)
    }
}

extension ExportFormat {
    /// OTLP/HTTP with JSON encoding: each heartbeat's log record and metrics POSTed to
    /// `URL/v1/logs` and `URL/v1/metrics` from a bounded queue of its own (see ``OTLPHTTPSink``).
    /// Add it to the formats a specification is parsed against:
    ///
    /// ```swift
    /// let formats = ExportFormat.builtIn + [.otlpHTTP]
    /// let spec = try ExportSpecification(parsing: "otlp-http:http://127.0.0.1:4318", formats: formats)
    /// ```
    public static let otlpHTTP = ExportFormat(
        name: "otlp-http", summary: "OTLP/HTTP JSON to a collector (/v1/logs, /v1/metrics)",
        destinations: "an http:// or https:// base URL"
    ) { destination, options throws(ExportError) in
        try OTLPHTTPExporter.make(endpoint: destination, attributes: options.attributes, limits: options.limits,
                                  diagnostics: options.diagnostics)
    }
}
