import Foundation
import MonitorExport
@testable import MonitorExportHTTP
import ProcessMonitor
import TestSupport
import Testing

private func makeSink(
    _ transport: ScriptedTransport,
    configure: (inout OTLPHTTPSink.Configuration) -> Void = { _ in },
    warnings: WarningRecorder = WarningRecorder()
) throws -> OTLPHTTPSink {
    var configuration = OTLPHTTPSink.Configuration()
    configuration.reachabilityCheckTimeout = nil
    configure(&configuration)
    return OTLPHTTPSink(
        endpoint: try OTLPEndpoint(parsing: "http://127.0.0.1:4318"), configuration: configuration,
        diagnostics: warnings.diagnostics, transport: transport, timing: ManualTiming().timing
    )
}

private let format = try! OTLPJSONFormat(attributes: ["service.name": "sink-test", "host.name": "h"])

@Suite struct OTLPHTTPSinkTests {
    @Test func sendsTheLogsLineToV1LogsAndTheMetricsLineToV1Metrics() throws {
        let transport = ScriptedTransport()
        let sink = try makeSink(transport)
        let requests = format.payload(for: heartbeat(1), context: FormatContext())
        sink.send(requests)
        sink.close()
        #expect(transport.posts.map(\.url.absoluteString) == ["http://127.0.0.1:4318/v1/logs", "http://127.0.0.1:4318/v1/metrics"])
        #expect(transport.posts.map { String(decoding: $0.body, as: UTF8.self) } == [requests.logs, requests.metrics])
        // The lines the format renders are the same two requests.
        #expect(format.render(heartbeat(1), context: FormatContext()).map(\.text) == [requests.logs, requests.metrics])
        #expect(sink.statistics.sent == 2 && sink.droppedRecords == 0)
    }

    /// The sink is told which request is which: it never looks at the text (it once routed by
    /// the first bytes, `{"resourceLogs"`).
    @Test func routesByTheRequestsTypeNotByItsText() throws {
        let transport = ScriptedTransport()
        let sink = try makeSink(transport)
        sink.send(OTLPJSONFormat.Requests(logs: #"{"resourceMetrics":[]}"#, metrics: "{}", level: .info))
        sink.close()
        #expect(transport.posts.map(\.url.path) == ["/v1/logs", "/v1/metrics"])
        #expect(String(decoding: transport.posts[0].body, as: UTF8.self) == #"{"resourceMetrics":[]}"#)
        #expect(sink.droppedRecords == 0)
    }

    @Test func writingNeverWaitsForTheNetwork() throws {
        // The server never answers. If a write waited for it, this test would never finish.
        let transport = ScriptedTransport(holding: true)
        let sink = try makeSink(transport) { $0.queueCapacity = 8; $0.flushTimeout = .milliseconds(50) }
        sink.send(format.payload(for: heartbeat(1), context: FormatContext()))
        #expect(waitUntil { transport.posts.count == 1 }, "the first request in flight")
        for sequence in 2 ... 100 {
            sink.send(format.payload(for: heartbeat(UInt64(sequence)), context: FormatContext()))
        }
        // 200 requests: one in flight, 8 waiting, the rest pushed out of the full queue.
        #expect(sink.statistics.droppedQueueFull == 191)
        sink.close()
        #expect(sink.statistics.droppedAtClose == 9)
        #expect(sink.droppedRecords == 200)
    }

    @Test func theNextHeartbeatReportsWhatWasDropped() throws {
        let transport = ScriptedTransport { _, attempt in attempt < 2 ? .status(400) : .ok }
        let sink = try makeSink(transport)
        let exporter = HeartbeatExporter(format: format, sink: sink)
        exporter.observe(heartbeat(1))
        #expect(waitUntil { sink.droppedRecords == 2 }, "both requests of the first heartbeat refused")
        exporter.observe(heartbeat(2))
        exporter.monitorDidStop()
        let second = try #require(transport.posts.dropFirst(2).first)
        let text = String(decoding: second.body, as: UTF8.self)
        #expect(text.contains(#"{"key":"processmonitor.dropped_records","value":{"intValue":"2"}}"#))
        let metrics = String(decoding: try #require(transport.posts.last).body, as: UTF8.self)
        #expect(metrics.contains(#""name":"processmonitor.records.dropped""#) && metrics.contains(#""asInt":"2"}"#))
    }

    @Test func closeSaysInOneLineWhatWasLostAndLaterWritesAreCounted() throws {
        let transport = ScriptedTransport(holding: true)
        let warnings = WarningRecorder()
        let sink = try makeSink(transport, configure: { $0.flushTimeout = .milliseconds(20) }, warnings: warnings)
        sink.send(format.payload(for: heartbeat(1), context: FormatContext()))
        #expect(waitUntil { transport.posts.count == 1 }, "a request in flight")
        sink.close()
        sink.close()
        let closing = warnings.all.filter { $0.contains("closed;") }
        #expect(closing == [
            "[process-monitor] OTLPHTTPSink(http://127.0.0.1:4318): closed; 0 sent, 2 dropped (0 queue full, 0 rejected, "
                + "0 gave up, 2 at close, 0 after close), 0 retries",
        ])
        sink.send(format.payload(for: heartbeat(2), context: FormatContext()))
        #expect(sink.statistics.droppedAfterClose == 2 && sink.droppedRecords == 4)
    }

    @Test func configurationOutOfRangeIsRefusedByName() {
        func message(_ change: (inout OTLPHTTPSink.Configuration) -> Void) -> String? {
            var configuration = OTLPHTTPSink.Configuration()
            change(&configuration)
            do {
                try configuration.validate()
                return nil
            } catch {
                return error.message
            }
        }
        #expect(message { _ in } == nil)
        #expect(message { $0.queueCapacity = 0 } == "queueCapacity must be between 1 and 100000 (got 0)")
        #expect(message { $0.requestTimeout = .zero }?.hasPrefix("requestTimeout must be between") == true)
        #expect(message { $0.initialBackoff = .seconds(10); $0.maxBackoff = .seconds(5) }?.hasPrefix("maxBackoff") == true)
        #expect(message { $0.maxRetryDuration = .seconds(-1) }?.hasPrefix("maxRetryDuration") == true)
        #expect(message { $0.flushTimeout = .seconds(601) }?.hasPrefix("flushTimeout") == true)
        #expect(message { $0.reachabilityCheckTimeout = .zero }?.hasPrefix("reachabilityCheckTimeout") == true)
        #expect(message { $0.reachabilityCheckTimeout = nil } == nil)
        #expect(message { $0.headers = ["Authorization": "Bearer x"] } == nil)
        #expect(message { $0.headers = ["Bad Header": "x"] }?.contains("is not an HTTP token") == true)
        #expect(message { $0.headers = ["X-Token": "a\r\nInjected: 1"] }?.contains("line break") == true)
        #expect(message { $0.headers = ["content-type": "text/plain"] }?.contains("cannot be overridden") == true)
    }

    @Test func aBadEndpointFailsAtTheStartWithAClearMessage() {
        do {
            _ = try OTLPHTTPSink(endpoint: "ftp://127.0.0.1:4318")
            Issue.record("ftp accepted")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("must use http or https"))
        }
        do {
            _ = try ExportSpecification(parsing: "otlp-http:http://127.0.0.1:4318", formats: [.otlpHTTP])
                .makeExporter(options: ExportOptions(attributes: ["bad key": "x"]))
            Issue.record("a bad attribute key accepted")
        } catch {
            #expect(error.message.contains("bad key"))
        }
    }
}
