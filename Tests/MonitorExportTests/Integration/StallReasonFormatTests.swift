// Integration: schema version 3 through every machine format and the decoder, old records included.

import Foundation
import Testing

@testable import MonitorExport
@testable import ProcessMonitor

/// Schema version 3 in every machine format: why a stall is a stall, each scope's threshold,
/// forecasts; and older records read with what they did not say filled in.
@Suite struct StallReasonFormatTests {
    @Test func everyVersion3FigureSurvivesJSONLines() throws {
        let heartbeat = MachineFixtures.explained()
        let line = JSONLinesFormat().record(for: heartbeat)
        let decoded = try HeartbeatRecordDecoder().decode(line: line)
        #expect(decoded.schemaVersion == 3)
        #expect(decoded.heartbeat == heartbeat)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let stall = try #require((object["stalls"] as? [[String: Any]])?.first)
        #expect(stall["thread_state"] as? String == "sleeping")
        #expect(stall["syscall"] as? String == "read")
        #expect(stall["target"] as? String == "socket:[90210]")
        #expect((stall["stack"] as? [[String: Any]])?.map { $0["label"] as? String } == ["run job", "BMS coord_corrections"])
        #expect((stall["backtrace"] as? [String])?.count == 3)
        #expect(((object["phases"] as? [[String: Any]])?[2]["stall_threshold_s"]) is NSNull, "never is null")
        #expect((object["forecasts"] as? [[String: Any]])?.first?["limit_in_s"] as? Double == 9340.1)
        #expect(object["level"] as? String == "warn")
    }

    @Test func aForecastAloneMakesTheRecordAWarning() throws {
        var heartbeat = MachineFixtures.idle()
        heartbeat.forecasts = MachineFixtures.explained().forecasts
        let line = JSONLinesFormat().record(for: heartbeat)
        #expect(line.contains(#""level":"warn","message":"heartbeat: memory limit in 2h35m40s; idle""#))
        #expect(try HeartbeatRecordDecoder().decode(line: line).heartbeat == heartbeat)
        let info = line.replacingOccurrences(of: #""level":"warn""#, with: #""level":"info""#)
        #expect(throws: ExportError.self) { _ = try HeartbeatRecordDecoder().decode(line: info) }
    }

    @Test func theDecoderRefusesWhatTheSchemaRefuses() throws {
        let line = JSONLinesFormat().record(for: MachineFixtures.explained())
        func refused(_ old: String, _ new: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(line.contains(old), "the fixture lacks \(old)", sourceLocation: sourceLocation)
            do {
                _ = try HeartbeatRecordDecoder().decode(line: line.replacingOccurrences(of: old, with: new))
                Issue.record("accepted \(new)", sourceLocation: sourceLocation)
            } catch {
                #expect(error.message.contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
            }
        }
        refused(#""thread_state":"sleeping""#, #""thread_state":"napping""#, "stalls[0].thread_state: expected one of")
        refused(#""fd":7"#, #""fd":2147483648"#, "stalls[0].fd: 2147483648 is out of range")
        refused(#""age_s":3700.000}"#, #""age":3700.000}"#, "stalls[0].stack[0]")
        refused(#""backtrace":["read"#, #""backtrace":[7,"read"#, "stalls[0].backtrace[0]: expected a string")
        refused(#""limit_in_s":9340.100"#, #""limit_in_s":null"#, "forecasts[0].limit_in_s")
        refused(#""depth":2,"progress""#, #""depth":0,"progress""#, "stalls[0].depth: 0 is out of range")
    }

    /// Version 2 logs written by the previous release: read, every stall and phase given the
    /// monitor's threshold (all a version 2 record knew), written again as version 3.
    @Test func version2RecordsAreStillRead() throws {
        let url = try #require(Bundle.module.url(forResource: "v2-records", withExtension: "jsonl", subdirectory: "Fixtures"))
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count >= 5)
        var sawStall = false
        for line in lines {
            let record = try HeartbeatRecordDecoder().decode(line: line)
            #expect(record.schemaVersion == 2)
            let heartbeat = record.heartbeat
            #expect(heartbeat.stalls.allSatisfy { $0.threshold == heartbeat.stallThreshold && $0.thread == nil && $0.stack.isEmpty })
            #expect(heartbeat.phases.allSatisfy { $0.stallThreshold == heartbeat.stallThreshold })
            sawStall = sawStall || !heartbeat.stalls.isEmpty
            let again = try HeartbeatRecordDecoder().decode(line: JSONLinesFormat(attributes: record.attributes).record(
                for: heartbeat, context: FormatContext(droppedRecords: record.droppedRecords)))
            #expect(again.schemaVersion == 3)
            #expect(again.heartbeat == heartbeat)
        }
        #expect(sawStall, "the fixture holds a stall")
        // A version 2 record may not carry version 3 fields.
        let tampered = lines[0].replacingOccurrences(of: #""attributes""#, with: #""forecasts":[],"attributes""#)
        #expect(throws: ExportError.self) { _ = try HeartbeatRecordDecoder().decode(line: tampered) }
    }

    @Test func logfmtCarriesTheReasonOnTheStallLine() throws {
        let lines = LogfmtFormat().render(MachineFixtures.explained(), context: FormatContext())
        let stall = try #require(lines.first { $0.text.contains(" msg=stall ") })
        let pairs = try LogfmtTestParser.map(stall.text)
        #expect(pairs["thread_state"] == "sleeping")
        #expect(pairs["syscall"] == "read")
        #expect(pairs["fd"] == "7")
        #expect(pairs["target"] == "socket:[90210]")
        #expect(pairs["threshold_s"] == "300.000")
        #expect(pairs["progress_since_last_move_s"] == "310.500")
        let stack = try #require(try JSONSerialization.jsonObject(with: Data((pairs["stack"] ?? "").utf8)) as? [[String: Any]])
        #expect(stack.map { $0["label"] as? String } == ["run job", "BMS coord_corrections"])
        let forecast = try #require(lines.first { $0.text.contains(" msg=resource_forecast ") })
        #expect(forecast.level == .warning)
        #expect(try LogfmtTestParser.map(forecast.text)["limit_in_s"] == "9340.100")
    }

    @Test func logfmtCutsALongStackToFitAndSaysHowMuch() throws {
        var heartbeat = MachineFixtures.explained()
        heartbeat.stalls[0].stack = (0..<64).map { Heartbeat.ScopeFrame(label: "frame \($0) " + String(repeating: "x", count: 40), age: .seconds(1)) }
        heartbeat.stalls[0].backtrace = (0..<64).map { "symbol\($0)() + 12 in " + String(repeating: "y", count: 40) }
        let limits = ExportLimits.default
        let lines = LogfmtFormat(limits: limits).render(heartbeat, context: FormatContext())
        let pairs = try LogfmtTestParser.map(try #require(lines.first { $0.text.contains(" msg=stall ") }).text)
        let stack = try #require(try JSONSerialization.jsonObject(with: Data((pairs["stack"] ?? "").utf8)) as? [Any])
        let kept = stack.count - 1
        #expect(kept > 0 && kept < 64)
        #expect(stack.last as? String == "…+\(64 - kept) more")
        #expect((pairs["stack"] ?? "").utf8.count <= 4 * limits.maxLabelBytes + 16)
        let backtrace = try #require(try JSONSerialization.jsonObject(with: Data((pairs["backtrace"] ?? "").utf8)) as? [String])
        #expect(backtrace.last?.hasPrefix("…+") == true && backtrace.first == "symbol0() + 12 in " + String(repeating: "y", count: 40))
        // JSON Lines keeps every frame.
        let decoded = try HeartbeatRecordDecoder().decode(line: JSONLinesFormat().record(for: heartbeat))
        #expect(decoded.heartbeat.stalls[0].stack.count == 64 && decoded.heartbeat.stalls[0].backtrace?.count == 64)
    }

    @Test func otlpCarriesTheStackAsAListAndTheForecasts() throws {
        let request = try OTLPJSONFormat().logsRequest(for: MachineFixtures.explained(), context: FormatContext())
        let (attributes, _) = try FieldCoverageTests.otlpLog(MachineFixtures.explained())
        #expect(request.contains(#"{"key":"thread_state","value":{"stringValue":"sleeping"}}"#))
        #expect(request.contains(#"{"key":"stack","value":{"arrayValue":{"values":[{"kvlistValue":{"values":[{"key":"label","value":{"stringValue":"run job"}},{"key":"age_s","value":{"doubleValue":3700.000}}]}}"#))
        #expect(request.contains(#"{"key":"backtrace","value":{"arrayValue":{"values":[{"stringValue":"read + 14 in libc.so.6"}"#))
        #expect(attributes["processmonitor.forecasts"] != nil)
    }

    @Test func prometheusSaysWhenALimitIsNear() throws {
        let lines = try PrometheusFormat().render(MachineFixtures.explained(), context: FormatContext())
        #expect(lines.contains { $0.text == #"processmonitor_resource_limit_in_seconds{resource="memory"} 9340.100"# })
        let idle = try PrometheusFormat().render(MachineFixtures.idle(), context: FormatContext())
        #expect(!idle.contains { $0.text.hasPrefix("processmonitor_resource_limit_in_seconds{") }, "no forecast, no sample")
    }
}
