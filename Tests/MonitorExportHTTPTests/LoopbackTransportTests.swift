#if os(Linux)
import Foundation
import MonitorExport
@testable import MonitorExportHTTP
import ProcessMonitor
import Testing

/// The real transport (URLSession) and the start-up check against a server on this machine.
/// The Python receiver in `.ci/check-otlp.sh` covers the full demo; these cover the pieces.
@Suite(.serialized) struct LoopbackTransportTests {
    @Test func postsJSONWithTheConfiguredHeadersAndReadsRetryAfter() throws {
        let server = try LoopbackServer(responses: ["503 Service Unavailable\r\nRetry-After: 3"])
        defer { server.stop() }
        let transport = URLSessionTransport(headers: [(name: "Authorization", value: "Bearer t0k3n")], timeout: .seconds(30))
        let url = URL(string: "http://127.0.0.1:\(server.port)/v1/logs")!
        let body = Data(#"{"resourceLogs":[]}"#.utf8)
        let first = transport.post(HTTPPostRequest(url: url, body: body), timeout: .seconds(30))
        #expect(first == .response(status: 503, retryAfter: "3", body: Data("{}".utf8)))
        let second = transport.post(HTTPPostRequest(url: url, body: body), timeout: .seconds(30))
        #expect(second == .ok)
        let received = try #require(server.received.first)
        #expect(received.requestLine == "POST /v1/logs HTTP/1.1")
        #expect(received.headers["content-type"] == "application/json")
        #expect(received.headers["authorization"] == "Bearer t0k3n")
        #expect(received.body == body)
    }

    @Test func aRefusedConnectionIsARetryableFailure() {
        let transport = URLSessionTransport(headers: [], timeout: .seconds(30))
        let url = URL(string: "http://127.0.0.1:\(closedLoopbackPort())/v1/metrics")!
        guard case .failed(_, let retryable) = transport.post(HTTPPostRequest(url: url, body: Data()), timeout: .seconds(30)) else {
            Issue.record("a closed port answered")
            return
        }
        #expect(retryable)
    }

    @Test func theSinkRetriesThroughARealServerAndDeliversBoth() throws {
        let server = try LoopbackServer(responses: ["503 Service Unavailable\r\nRetry-After: 0"])
        defer { server.stop() }
        var configuration = OTLPHTTPSink.Configuration()
        configuration.initialBackoff = .milliseconds(5)
        configuration.flushTimeout = .seconds(60)
        let warnings = WarningRecorder()
        let sink = try OTLPHTTPSink(endpoint: "http://127.0.0.1:\(server.port)", configuration: configuration,
                                    diagnostics: warnings.diagnostics)
        let format = try OTLPJSONFormat(attributes: ["service.name": "loopback"])
        let heartbeat = Heartbeat(
            sequence: 1, timestamp: Date(), trigger: .requested, processID: 1, elapsed: .seconds(1),
            resources: ResourceUsage(), cpu: CPUUsage(), instrumentedLanes: 0, active: nil, stalls: [],
            phases: [], omittedPhases: 0, stallThreshold: .seconds(1)
        )
        sink.send(format.payload(for: heartbeat, context: FormatContext()))
        sink.close()
        #expect(sink.statistics.sent == 2 && sink.statistics.retried == 1 && sink.droppedRecords == 0)
        #expect(server.received.map(\.requestLine) == ["POST /v1/logs HTTP/1.1", "POST /v1/logs HTTP/1.1", "POST /v1/metrics HTTP/1.1"])
        #expect(server.received[0].body == server.received[1].body)
        #expect(warnings.all.contains { $0.contains("HTTP 503 Service Unavailable; retrying in 5 ms") })
    }

    @Test func theStartUpCheckNamesAnEndpointThatRefusesConnections() throws {
        let port = closedLoopbackPort()
        do {
            _ = try OTLPHTTPSink(endpoint: "http://127.0.0.1:\(port)")
            Issue.record("a closed port passed the check")
        } catch {
            #expect(error.code == .cannotOpen)
            #expect(error.message == "cannot reach http://127.0.0.1:\(port) (127.0.0.1:\(port)): Connection refused")
        }
        let server = try LoopbackServer()
        defer { server.stop() }
        let sink = try OTLPHTTPSink(endpoint: "http://127.0.0.1:\(server.port)/")
        #expect(sink.logsURL.absoluteString == "http://127.0.0.1:\(server.port)/v1/logs")
        sink.close()
        do {
            _ = try OTLPHTTPSink(endpoint: "http://no-such-host.invalid:4318")
            Issue.record("an unresolvable host passed the check")
        } catch {
            #expect(error.message.hasPrefix("cannot reach http://no-such-host.invalid:4318: cannot resolve"))
        }
    }
}
#endif

#if os(Linux)
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
