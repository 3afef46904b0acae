import MonitorExport
import ProcessMonitor

/// Builds the `pushgateway:URL` exporter: ``PushgatewaySink`` fed by `PrometheusFormat`.
///
/// It lives here rather than in `ExportSpecification` for the reason ``OTLPHTTPExporter`` does:
/// `MonitorExport` must not depend on FoundationNetworking.
///
/// ```swift
/// let exporter = try PushgatewayExporter.make(url: "http://127.0.0.1:9091", attributes: ["job": "etl"])
/// let monitor = try ProcessMonitor.start(observers: [exporter])
/// ```
public enum PushgatewayExporter {
    /// An exporter that pushes each heartbeat's metrics to the gateway at `url`, grouped by
    /// `job` (default: the `job` attribute, else the executable's name) and `instance` (default:
    /// the `instance` attribute, else none).
    ///
    /// - Throws: `ExportError` for a bad URL, an empty job name, a bad attribute key or
    ///   setting, or a gateway that cannot be reached (see
    ///   ``PushgatewaySink/init(url:job:instance:configuration:diagnostics:)``).
    ///
    /// ```swift
    /// let exporter = try PushgatewayExporter.make(url: "http://pushgateway:9091", job: "nightly-etl", instance: "worker-3")
    /// ```
    public static func make(
        url: String,
        job: String? = nil,
        instance: String? = nil,
        attributes: [String: String] = [:],
        configuration: PushgatewaySink.Configuration = PushgatewaySink.Configuration(),
        diagnostics: SinkDiagnostics = .standard
    ) throws(ExportError) -> HeartbeatExporter {
        let format = try PrometheusFormat(attributes: attributes)
        let sink = try PushgatewaySink(
            url: url, job: job ?? attributes["job"] ?? OTLPProcessIdentity.executableName(),
            instance: instance ?? attributes["instance"], configuration: configuration, diagnostics: diagnostics
        )
        return HeartbeatExporter(format: format, sink: sink)
    }
}

extension ExportFormat {
    /// Prometheus metrics pushed to a Pushgateway: each heartbeat's exposition `PUT` to
    /// `URL/metrics/job/JOB`, replacing the previous one (see ``PushgatewaySink``). The job is
    /// the `job` attribute, else the executable's name. Add it to the formats a specification is
    /// parsed against:
    ///
    /// ```swift
    /// let formats = ExportFormat.builtIn + [.otlpHTTP, .prometheusPushgateway]
    /// let spec = try ExportSpecification(parsing: "pushgateway:http://127.0.0.1:9091", formats: formats)
    /// ```
    public static let prometheusPushgateway = ExportFormat(
        name: "pushgateway", summary: "Prometheus metrics PUT to a Pushgateway each heartbeat",
        destinations: "the gateway's http:// base URL"
    ) { destination, options throws(ExportError) in
        try PushgatewayExporter.make(url: destination, attributes: options.attributes, diagnostics: options.diagnostics)
    }
}
