#if os(Linux)
import Foundation
import MonitorExport
@testable import MonitorExportHTTP
import ProcessMonitor
import Testing
import TestSupport

/// The `pushgateway:URL` registration against a server on this machine.
@Suite(.serialized) struct PushgatewayLoopbackTests {
    @Test func theRegisteredFormatPUTsToTheJobsGroupAndRetries() throws {
        let server = try LoopbackServer(responses: ["503 Service Unavailable\r\nRetry-After: 0"])
        defer { server.stop() }
        let warnings = WarningRecorder()
        let specification = try ExportSpecification(
            parsing: "pushgateway:http://127.0.0.1:\(server.port)", formats: ExportFormat.builtIn + [.prometheusPushgateway]
        )
        let exporter = try specification.makeExporter(
            options: ExportOptions(attributes: ["job": "pm demo", "instance": "a/b"], diagnostics: warnings.diagnostics)
        )
        let sink = try #require(exporter.sink as? PushgatewaySink)
        #expect(sink.job == "pm demo" && sink.instance == "a/b")
        exporter.observe(heartbeat(4, trigger: .final))
        exporter.monitorDidStop()
        #expect(sink.statistics.sent == 1 && sink.statistics.retried == 1 && sink.droppedRecords == 0)
        #expect(server.received.map(\.requestLine) == Array(repeating: "PUT /metrics/job/pm%20demo/instance@base64/YS9i HTTP/1.1", count: 2))
        let received = try #require(server.received.last)
        #expect(received.headers["content-type"] == "text/plain; version=0.0.4")
        let expected = try PrometheusFormat(attributes: ["job": "pm demo", "instance": "a/b"])
            .render(heartbeat(4, trigger: .final), context: FormatContext()).map { $0.text + "\n" }.joined()
        #expect(String(decoding: received.body, as: UTF8.self) == expected)
    }

    /// A 301 from the gateway: the PUT is not sent again, empty, to the new address (which
    /// would wipe the group there), and it is not counted as sent.
    @Test func aRedirectedPUTIsNotRepeatedEmpty() throws {
        let elsewhere = try LoopbackServer()
        defer { elsewhere.stop() }
        let server = try LoopbackServer(responses: ["301 Moved Permanently\r\nLocation: http://127.0.0.1:\(elsewhere.port)/metrics/job/demo"])
        defer { server.stop() }
        let warnings = WarningRecorder()
        let sink = try PushgatewaySink(url: "http://127.0.0.1:\(server.port)", job: "demo", diagnostics: warnings.diagnostics)
        let exporter = HeartbeatExporter(format: try PrometheusFormat(attributes: ["job": "demo"]), sink: sink)
        exporter.observe(heartbeat(1, trigger: .final))
        exporter.monitorDidStop()
        #expect(sink.statistics.sent == 0 && sink.statistics.droppedRejected == 1, "\(sink.statistics)")
        #expect(server.received.count == 1)
        #expect(server.received.first?.body.isEmpty == false)
        #expect(elsewhere.received.isEmpty, "the PUT went to the redirect's target: \(elsewhere.received.map(\.body.count))")
        #expect(warnings.all.contains { $0.contains("HTTP 301 Moved Permanently redirects to") })
    }

    @Test func theJobDefaultsToTheExecutableName() throws {
        let server = try LoopbackServer()
        defer { server.stop() }
        let exporter = try ExportSpecification(parsing: "pushgateway:http://127.0.0.1:\(server.port)", formats: [.prometheusPushgateway])
            .makeExporter()
        let sink = try #require(exporter.sink as? PushgatewaySink)
        #expect(sink.job == OTLPProcessIdentity.executableName() && !sink.job.isEmpty && sink.instance == nil)
        sink.close()
    }
}
#endif
