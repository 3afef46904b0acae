import Foundation
import MonitorExport
@testable import MonitorExportHTTP
import ProcessMonitor
import TestSupport
import Testing

private func makeSink(
    _ transport: ScriptedTransport, job: String = "etl", instance: String? = nil, timing: ManualTiming = ManualTiming(),
    warnings: WarningRecorder = WarningRecorder()
) throws -> PushgatewaySink {
    var configuration = PushgatewaySink.Configuration()
    configuration.reachabilityCheckTimeout = nil
    let base = try PushgatewaySink.parseBase("http://127.0.0.1:9091")
    return PushgatewaySink(
        groupURL: try PushgatewaySink.groupURL(base: base, job: job, instance: instance), job: job, instance: instance,
        configuration: configuration, diagnostics: warnings.diagnostics, transport: transport, timing: timing.timing
    )
}

private let format = try! PrometheusFormat(attributes: ["job": "etl"])

private func exposition(_ sequence: UInt64) -> String {
    format.render(heartbeat(sequence), context: FormatContext()).map { $0.text + "\n" }.joined()
}

private func groupURL(_ base: String, job: String, instance: String? = nil) throws -> String {
    try PushgatewaySink.groupURL(base: PushgatewaySink.parseBase(base), job: job, instance: instance).absoluteString
}

@Suite struct PushgatewaySinkTests {
    @Test func theGroupURLNamesJobAndInstanceEscaped() throws {
        #expect(try groupURL("http://127.0.0.1:9091", job: "etl") == "http://127.0.0.1:9091/metrics/job/etl")
        #expect(try groupURL("http://gw:9091/", job: "etl", instance: "w-3") == "http://gw:9091/metrics/job/etl/instance/w-3")
        #expect(try groupURL("https://gw/prefix", job: "nightly etl?#%") == "https://gw/prefix/metrics/job/nightly%20etl%3F%23%25")
        #expect(try groupURL("http://gw:9091", job: "ünï") == "http://gw:9091/metrics/job/%C3%BCn%C3%AF")
        // A slash, an empty value and dot segments use the @base64 form (base64url).
        #expect(try groupURL("http://gw:9091", job: "a/b", instance: "") == "http://gw:9091/metrics/job@base64/YS9i/instance@base64/=")
        #expect(try groupURL("http://gw:9091", job: "..") == "http://gw:9091/metrics/job@base64/Li4=")
        #expect(PushgatewaySink.pathSegments(label: "job", value: "?>?/") == "/job@base64/Pz4_Lw==")
    }

    @Test func eachHeartbeatIsOnePUTOfTheWholeExposition() throws {
        let transport = ScriptedTransport()
        let sink = try makeSink(transport, instance: "w1")
        let exposition = format.payload(for: heartbeat(1), context: FormatContext())
        let lines = format.render(heartbeat(1), context: FormatContext())
        sink.send(exposition)
        sink.close()
        let push = try #require(transport.posts.first)
        #expect(transport.posts.count == 1)
        #expect(push.method == "PUT")
        #expect(push.contentType == "text/plain; version=0.0.4")
        #expect(push.url.absoluteString == "http://127.0.0.1:9091/metrics/job/etl/instance/w1")
        #expect(String(decoding: push.body, as: UTF8.self) == lines.map(\.text).joined(separator: "\n") + "\n")
        #expect(exposition.lines == lines.map(\.text))
        #expect(lines.count > 10 && lines.contains { $0.text == #"processmonitor_heartbeats_total{job_name="etl"} 1"# })
        #expect(sink.statistics.sent == 1 && sink.droppedRecords == 0)
        // OTLP's requests keep their method and type.
        #expect(request(1).method == "POST" && request(1).contentType == "application/json")
    }

    @Test func aNewerHeartbeatReplacesAnUnsentOneAndTheDropIsCounted() throws {
        let transport = ScriptedTransport(holding: true)
        let warnings = WarningRecorder()
        let sink = try makeSink(transport, warnings: warnings)
        sink.send(format.payload(for: heartbeat(1), context: FormatContext()))
        #expect(waitUntil { transport.posts.count == 1 }, "the first push in flight")
        sink.send(format.payload(for: heartbeat(2), context: FormatContext()))
        sink.send(format.payload(for: heartbeat(3), context: FormatContext()))
        #expect(sink.statistics.droppedQueueFull == 1 && sink.droppedRecords == 1)
        #expect(warnings.all == [
            "[process-monitor] PushgatewaySink(http://127.0.0.1:9091/metrics/job/etl): queue full (1 request waiting); dropped the oldest",
        ])
        transport.release()
        sink.close()
        #expect(transport.posts.map { String(decoding: $0.body, as: UTF8.self) } == [exposition(1), exposition(3)])
        #expect(sink.statistics.sent == 2 && sink.droppedRecords == 1)
    }

    @Test func aFinalHeartbeatWrittenJustBeforeCloseIsPushed() throws {
        let transport = ScriptedTransport()
        let sink = try makeSink(transport)
        let exporter = HeartbeatExporter(format: format, sink: sink)
        exporter.observe(heartbeat(1))
        exporter.observe(heartbeat(2, trigger: .final))
        exporter.monitorDidStop()
        let last = String(decoding: try #require(transport.posts.last).body, as: UTF8.self)
        #expect(last.contains("\nprocessmonitor_final_heartbeat{job_name=\"etl\"} 1\n"))
        #expect(last.contains("\nprocessmonitor_heartbeats_total{job_name=\"etl\"} 2\n"))
    }

    @Test func a503IsRetriedWithTheSameBody() throws {
        let transport = ScriptedTransport { _, attempt in attempt == 0 ? .status(503, retryAfter: "2") : .ok }
        let timing = ManualTiming()
        let sink = try makeSink(transport, timing: timing)
        sink.send(format.payload(for: heartbeat(1), context: FormatContext()))
        sink.close()
        #expect(transport.posts.count == 2)
        #expect(transport.posts.allSatisfy { $0.method == "PUT" && String(decoding: $0.body, as: UTF8.self) == exposition(1) })
        #expect(timing.sleeps == [.seconds(2)])
        #expect(sink.statistics.retried == 1 && sink.statistics.sent == 1 && sink.droppedRecords == 0)
    }

    @Test func aBadURLOrJobIsRefusedByName() {
        func message(_ url: String, job: String) -> String? {
            do {
                _ = try PushgatewaySink(url: url, job: job)
                return nil
            } catch {
                #expect(error.code == .invalidConfiguration)
                return error.message
            }
        }
        #expect(message("ftp://127.0.0.1:9091", job: "etl")?.hasPrefix(#"Pushgateway URL "ftp://127.0.0.1:9091" must use http or https"#) == true)
        #expect(message("", job: "etl")?.hasPrefix(#"Pushgateway URL "" is empty"#) == true)
        #expect(message("http://127.0.0.1:9091/metrics/job/x", job: "etl")?.contains("names a push path") == true)
        #expect(message("http://127.0.0.1:9091", job: "")?.hasPrefix(#"Pushgateway job name "" is empty"#) == true)
        do {
            _ = try ExportSpecification(parsing: "pushgateway:http://127.0.0.1:9091", formats: [.prometheusPushgateway])
                .makeExporter(options: ExportOptions(attributes: ["job": ""]))
            Issue.record("an empty job attribute accepted")
        } catch {
            #expect(error.message.contains(#"job name """#))
        }
    }
}
