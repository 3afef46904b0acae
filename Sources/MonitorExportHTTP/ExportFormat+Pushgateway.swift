public import MonitorExport
import ProcessMonitor

extension ExportFormat {
    /// Prometheus metrics pushed to a Pushgateway: each heartbeat's exposition `PUT` to
    /// `URL/metrics/job/JOB`, replacing the previous one (``PushgatewaySink`` fed by
    /// `PrometheusFormat`). The job is the `job` attribute, else the executable's name; the
    /// instance is the `instance` attribute, else none. Add it to the formats a specification is
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
        HeartbeatExporter(
            format: try PrometheusFormat(attributes: options.attributes),
            sink: try PushgatewaySink(
                url: destination, job: options.attributes["job"] ?? OTLPProcessIdentity.executableName(),
                instance: options.attributes["instance"], diagnostics: options.diagnostics
            )
        )
    }
}
