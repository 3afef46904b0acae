public import MonitorExport
import ProcessMonitor

extension ExportFormat {
    /// OTLP/HTTP with JSON encoding: each heartbeat's log record and metrics POSTed to
    /// `URL/v1/logs` and `URL/v1/metrics` from a bounded queue of its own (``OTLPHTTPSink`` fed by
    /// `OTLPJSONFormat`). It lives here rather than in `MonitorExport`, which must not depend on
    /// FoundationNetworking. Add it to the formats a specification is parsed against:
    ///
    /// ```swift
    /// let formats = ExportFormat.builtIn + [.otlpHTTP]
    /// let spec = try ExportSpecification(parsing: "otlp-http:http://127.0.0.1:4318", formats: formats)
    /// ```
    public static let otlpHTTP = ExportFormat(
        name: "otlp-http", summary: "OTLP/HTTP JSON to a collector (/v1/logs, /v1/metrics)",
        destinations: "an http:// or https:// base URL"
    ) { destination, options throws(ExportError) in
        HeartbeatExporter(
            format: try OTLPJSONFormat(attributes: options.attributes, limits: options.limits),
            sink: try OTLPHTTPSink(endpoint: destination, diagnostics: options.diagnostics)
        )
    }
}
