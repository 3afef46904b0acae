import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

@Suite struct JSONLinesFormatTests {
    static let expectedKeys = [
        "timestamp", "level", "message", "schema_version", "seq", "pid", "trigger", "elapsed_s",
        "rss_bytes", "peak_rss_bytes", "process_threads", "read_bytes", "write_bytes",
        "memory_limit_bytes", "memory_usage_bytes", "memory_headroom_bytes", "oom_kills", "open_fds", "fd_limit",
        "cpu_cores", "cpu_available_cores", "cpu_affinity_cores", "cpu_quota_cores", "cpu_window_s", "cpu_time_s",
        "instrumented_threads", "active", "stall_threshold_s", "stalls", "stalls_omitted", "stall_ends",
        "stall_ends_omitted", "warnings", "forecasts", "phases", "phases_omitted", "dropped_records", "attributes",
    ]

    @Test func idleRecordIsExactlyAsDocumented() throws {
        let format = try JSONLinesFormat(attributes: ["rank": "3", "job": "etl"])
        let line = format.record(for: MachineFixtures.idle(), context: FormatContext(droppedRecords: 5))
        #expect(line == #"{"timestamp":"2024-05-01T12:00:00.123Z","level":"info","message":"heartbeat: idle","#
            + #""schema_version":3,"seq":1,"pid":7,"trigger":"requested","elapsed_s":5.000,"rss_bytes":null,"#
            + #""peak_rss_bytes":null,"process_threads":null,"read_bytes":null,"write_bytes":null,"#
            + #""memory_limit_bytes":null,"memory_usage_bytes":null,"memory_headroom_bytes":null,"oom_kills":null,"#
            + #""open_fds":null,"fd_limit":null,"#
            + #""cpu_cores":null,"cpu_available_cores":null,"cpu_affinity_cores":null,"cpu_quota_cores":null,"#
            + #""cpu_window_s":null,"cpu_time_s":null,"instrumented_threads":0,"#
            + #""active":null,"stall_threshold_s":120.000,"stalls":[],"stalls_omitted":0,"#
            + #""stall_ends":[],"stall_ends_omitted":0,"warnings":[],"forecasts":[],"phases":[],"#
            + #""phases_omitted":0,"dropped_records":5,"attributes":{"job":"etl","rank":"3"}}"#)
    }

    @Test func busyRecordIsExactlyAsDocumented() {
        var heartbeat = MachineFixtures.busy()
        heartbeat.stalls.removeLast()
        heartbeat.phases = [heartbeat.phases[1]]
        heartbeat.omittedPhases = 0
        heartbeat.cpu.coresBusy = 0.1
        let line = JSONLinesFormat().record(for: heartbeat)
        #expect(line == #"{"timestamp":"2024-05-01T12:00:00.123Z","level":"warn","#
            + #""message":"heartbeat: 1 stall; BMS coord_corrections for 6m40s, 250/1000 (25%)","#
            + #""schema_version":3,"seq":42,"pid":4242,"trigger":"scheduled","elapsed_s":3725.004,"#
            + #""rss_bytes":536870912,"peak_rss_bytes":1073741824,"process_threads":12,"read_bytes":4096,"#
            + #""write_bytes":0,"memory_limit_bytes":null,"memory_usage_bytes":null,"memory_headroom_bytes":null,"#
            + #""oom_kills":null,"open_fds":null,"fd_limit":null,"#
            + #""cpu_cores":0.1,"cpu_available_cores":2,"cpu_affinity_cores":null,"cpu_quota_cores":null,"#
            + #""cpu_window_s":60.000,"cpu_time_s":null,"#
            + #""instrumented_threads":9,"active":{"lane":"ThreadId(1)/main","label":"BMS coord_corrections","#
            + #""age_s":400.000,"progress":{"current":250,"total":1000,"elapsed_s":10.000,"rate_per_s":25,"#
            + #""eta_s":30.000,"since_last_move_s":null}},"stall_threshold_s":120.000,"stalls":[{"#
            + #""thread":"ThreadId(1)/main","label":"BMS coord_corrections","stuck_s":400.000,"#
            + #""threshold_s":120.000,"depth":1,"progress":null,"thread_state":null,"tid":null,"syscall":null,"#
            + #""fd":null,"target":null,"wchan":null,"thread_cpu_ratio":null,"thread_cpu_window_s":null,"#
            + #""stack":[],"backtrace":null}],"stalls_omitted":0,"#
            + #""stall_ends":[],"stall_ends_omitted":0,"warnings":[],"forecasts":[],"phases":[{"#
            + #""thread":"TaskId(2)","depth":2,"label":"phase 1 \"step\"","in_frame_s":399.000,"#
            + #""updated_ago_s":1.501,"progress":{"current":17,"total":null,"elapsed_s":3.250,"#
            + #""rate_per_s":5.230769230769231,"eta_s":null,"since_last_move_s":null},"parent":null,"waiting_on":0,"#
            + #""stall_threshold_s":120.000}],"#
            + #""phases_omitted":0,"dropped_records":0,"#
            + #""attributes":{}}"#)
    }

    @Test func keysComeInTheDocumentedOrder() throws {
        for heartbeat in [MachineFixtures.idle(), MachineFixtures.busy(), MachineFixtures.contained()] {
            let line = JSONLinesFormat().record(for: heartbeat)
            #expect(topLevelKeys(line) == Self.expectedKeys)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(Set(object.keys) == Set(Self.expectedKeys))
        }
    }

    @Test func levelIsWarnExactlyWhenStallsAreCarried() {
        let busy = JSONLinesFormat().render(MachineFixtures.busy(), context: FormatContext())
        let idle = JSONLinesFormat().render(MachineFixtures.idle(), context: FormatContext())
        #expect(busy.count == 1 && busy[0].level == .warning && busy[0].text.contains(#""level":"warn""#))
        #expect(idle.count == 1 && idle[0].level == .info && idle[0].text.contains(#""level":"info""#))
    }

    @Test func durationsAreExactMillisecondText() throws {
        var heartbeat = MachineFixtures.idle()
        heartbeat.elapsed = .milliseconds(142_318)
        heartbeat.stallThreshold = .milliseconds(Int64.max)
        heartbeat.cpu.window = .milliseconds(7)
        let line = JSONLinesFormat().record(for: heartbeat)
        #expect(line.contains(#""elapsed_s":142.318,"#))
        #expect(line.contains(#""stall_threshold_s":9223372036854775.807,"#))
        #expect(line.contains(#""cpu_window_s":0.007,"#))
        try expectRoundTrip(heartbeat)
        // Sub-millisecond parts are cut, never rounded up, like the core does.
        heartbeat.elapsed = .nanoseconds(1_999_999)
        #expect(JSONLinesFormat().record(for: heartbeat).contains(#""elapsed_s":0.001,"#))
    }

    @Test func timestampsRoundToTheNearestMillisecond() {
        func stamp(_ seconds: Double) -> String {
            var heartbeat = MachineFixtures.idle()
            heartbeat.timestamp = Date(timeIntervalSince1970: seconds)
            let line = JSONLinesFormat().record(for: heartbeat)
            let start = line.index(line.startIndex, offsetBy: 14)
            return String(line[start ..< line.index(start, offsetBy: 24)])
        }
        #expect(stamp(0) == "1970-01-01T00:00:00.000Z")
        #expect(stamp(1_714_564_800.1236) == "2024-05-01T12:00:00.124Z")
        #expect(stamp(1_714_564_800.1234) == "2024-05-01T12:00:00.123Z")
        #expect(stamp(1_714_564_800.9996) == "2024-05-01T12:00:01.000Z")
        #expect(stamp(951_825_600) == "2000-02-29T12:00:00.000Z")
        #expect(stamp(-0.0004) == "1970-01-01T00:00:00.000Z")
        #expect(stamp(-1.5) == "1969-12-31T23:59:58.500Z")
        #expect(stamp(-62_135_596_800) == "0001-01-01T00:00:00.000Z")
        #expect(stamp(.infinity) == "9999-12-31T23:59:59.999Z")
    }

    @Test func nonFiniteAndUnknownValuesAreNull() throws {
        for cores in [Double.nan, .infinity, -.infinity, -1] {
            var heartbeat = MachineFixtures.busy()
            heartbeat.cpu.coresBusy = cores
            let line = JSONLinesFormat().record(for: heartbeat)
            #expect(line.contains(#""cpu_cores":null,"#))
            #expect(!line.lowercased().contains("nan") && !line.lowercased().contains("inf"))
        }
        var heartbeat = MachineFixtures.busy()
        heartbeat.cpu.coresBusy = 0.1 + 0.2
        #expect(JSONLinesFormat().record(for: heartbeat).contains(#""cpu_cores":0.30000000000000004,"#))
        try expectRoundTrip(heartbeat)
    }

    @Test func labelsOfAnyContentStayOnOneLineAndRoundTrip() throws {
        for label in MachineFixtures.labelCorpus {
            var heartbeat = MachineFixtures.busy()
            heartbeat.active?.label = label
            heartbeat.active?.lane = .task(9, name: label)
            heartbeat.stalls[0].label = label
            heartbeat.phases[0].label = label
            let line = JSONLinesFormat().record(for: heartbeat)
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || $0.value == 0x2028 || $0.value == 0x2029 },
                    "raw control or separator in \(line.debugDescription)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let active = try #require(object["active"] as? [String: Any])
            #expect(active["label"] as? String == label)
            #expect(active["lane"] as? String == "TaskId(9)/" + label)
            let stalls = try #require(object["stalls"] as? [[String: Any]])
            #expect(stalls[0]["label"] as? String == label)
            try expectRoundTrip(heartbeat)
        }
    }

    @Test func escapesAreTheShortJSONForms() {
        var heartbeat = MachineFixtures.busy()
        heartbeat.stalls[0].label = "\"\\\n\r\t\u{8}\u{C}\u{0}\u{1F}\u{7F}\u{2028}\u{2029}/é🚀"
        let line = JSONLinesFormat().record(for: heartbeat)
        #expect(line.contains(#""label":"\"\\\n\r\t\b\f\u0000\u001f\u007f\u2028\u2029/é🚀","stuck_s""#))
    }

    /// U+0085 (NEL) ends a line for some readers, and C1 controls reach terminals raw: every one
    /// of U+0080–U+009F is written as `\u00XX`, and the neighbours are not.
    @Test func c1ControlsAreEscaped() throws {
        for value in UInt32(0x80) ... 0x9F {
            let scalar = try #require(Unicode.Scalar(value))
            var heartbeat = MachineFixtures.busy()
            heartbeat.stalls[0].label = "a\(Character(scalar))b"
            let line = JSONLinesFormat().record(for: heartbeat)
            let escaped = "\\u00" + String(value, radix: 16)
            #expect(line.contains("\"label\":\"a\(escaped)b\""), "U+\(String(value, radix: 16)) is not escaped")
            #expect(!line.unicodeScalars.contains(scalar))
            #expect(try HeartbeatRecordDecoder().decode(line: line).heartbeat.stalls[0].label == heartbeat.stalls[0].label)
        }
        var neighbours = MachineFixtures.busy()
        neighbours.stalls[0].label = "\u{7E}\u{A0}\u{A1}"
        #expect(JSONLinesFormat().record(for: neighbours).contains("\"label\":\"~\u{A0}\u{A1}\""))
    }

    @Test func labelsAndLaneNamesAreCutToTheLabelLimit() throws {
        let limits = try ExportLimits(maxLabelBytes: 16)
        var heartbeat = MachineFixtures.busy()
        heartbeat.active?.label = "a fairly long phase label"
        heartbeat.active?.lane = .thread(1, name: "a very long thread name")
        let line = JSONLinesFormat(limits: limits).record(for: heartbeat)
        #expect(line.contains(#""label":"a …[+23 bytes]""#))
        #expect(line.contains(#""lane":"ThreadId(1)/a …[+21 bytes]""#))
        #expect(line.contains(#""message":"heartbeat: 2 stalls; a …[+23 bytes] for 6m40s"#))
    }

    @Test func randomHeartbeatsRoundTripExactly() throws {
        try expectRoundTrip(MachineFixtures.contained())
        var rng = SeededGenerator(seed: 20_240_501)
        for _ in 0 ..< 600 {
            let heartbeat = MachineFixtures.randomHeartbeat(using: &rng)
            let line = JSONLinesFormat().record(for: heartbeat, context: FormatContext(droppedRecords: heartbeat.sequence))
            #expect(!line.contains("\n"))
            let decoded = try HeartbeatRecordDecoder().decode(line: line)
            #expect(decoded.heartbeat == heartbeat, "record: \(line)")
            #expect(textBytes(decoded.heartbeat) == textBytes(heartbeat))
            #expect(decoded.droppedRecords == heartbeat.sequence)
            #expect(decoded.omittedStalls == 0)
            // Foundation's parser must agree the line is JSON, too.
            _ = try JSONSerialization.jsonObject(with: Data(line.utf8))
        }
    }

    @Test func thousandStallsAreTrimmedToTheLineLimit() throws {
        var heartbeat = MachineFixtures.busy()
        heartbeat.stalls = (0 ..< 1000).map { index in
            Heartbeat.Stall(lane: .thread(UInt64(index + 1)), label: String(repeating: "x", count: 250) + "\(100_000 + index)",
                  age: .seconds(300))
        }
        let rendered = JSONLinesFormat().render(heartbeat, context: FormatContext())
        #expect(rendered.count == 1)
        let line = rendered[0].text
        #expect(line.utf8.count <= ExportLimits.default.maxLineBytes)
        #expect(rendered[0].level == .warning)
        let decoded = try HeartbeatRecordDecoder().decode(line: line)
        let kept = decoded.heartbeat.stalls.count
        #expect(kept > 0 && kept < 1000)
        #expect(decoded.omittedStalls == 1000 - kept)
        #expect(decoded.heartbeat.stalls == Array(heartbeat.stalls.prefix(kept)))
        // Phases go first: all eight are dropped before any stall, and counted.
        #expect(decoded.heartbeat.phases.isEmpty)
        #expect(decoded.heartbeat.omittedPhases == 3 + 8)
        // One more stall would not have fitted.
        #expect(line.utf8.count + 1 + 300 > ExportLimits.default.maxLineBytes)
    }

    @Test func onlyPhasesAreDroppedWhenThatIsEnough() throws {
        let heartbeat = MachineFixtures.busy()
        // A few phases (about 150 bytes each) too long, far from the stalls.
        let full = JSONLinesFormat().record(for: heartbeat).utf8.count
        let limits = try ExportLimits(maxLineBytes: full - 400)
        let line = JSONLinesFormat(limits: limits).record(for: heartbeat)
        #expect(line.utf8.count <= full - 400)
        let decoded = try HeartbeatRecordDecoder().decode(line: line)
        #expect(decoded.heartbeat.stalls == heartbeat.stalls)
        #expect(decoded.omittedStalls == 0)
        let kept = decoded.heartbeat.phases.count
        #expect(kept < 8)
        #expect(decoded.heartbeat.phases == Array(heartbeat.phases.prefix(kept)))
        #expect(decoded.heartbeat.omittedPhases == heartbeat.omittedPhases + 8 - kept)
    }

    @Test func worstCaseRecordFitsTheSmallestLineLimit() throws {
        let limits = try ExportLimits(maxLabelBytes: 4096, maxLineBytes: 2048)
        let format = try JSONLinesFormat(attributes: MachineFixtures.worstCaseAttributes, limits: limits)
        let heartbeat = MachineFixtures.worstCase()
        let line = format.record(for: heartbeat, context: FormatContext(droppedRecords: .max))
        #expect(line.utf8.count <= 2048, "\(line.utf8.count) bytes: \(line)")
        let decoded = try HeartbeatRecordDecoder().decode(line: line)
        #expect(decoded.heartbeat.sequence == .max)
        #expect(decoded.attributes == format.attributes)
    }

    @Test func attributesAreValidatedCutAndSorted() throws {
        let limits = try ExportLimits(maxLabelBytes: 16)
        let format = try JSONLinesFormat(attributes: ["rank": "3", "job": "a fairly long phase label", "ключ": "значение"],
                                         limits: limits)
        #expect(format.attributes["job"] == limits.cap("a fairly long phase label"))
        let line = format.record(for: MachineFixtures.idle())
        #expect(line.hasSuffix(#""attributes":{"job":"a …[+23 bytes]","rank":"3","ключ":"значение"}}"#))
        let decoded = try HeartbeatRecordDecoder().decode(line: line)
        #expect(decoded.attributes == format.attributes)

        for bad in ["", "has space", "a=b", "quote\"", "it's", "tab\t", "nul\u{0}", "del\u{7F}", "c1\u{85}",
                    "nbsp\u{A0}", "sep\u{2028}", "\u{FFFD}", String(repeating: "k", count: 65)] {
            #expect(throws: ExportError.self, "key \(bad.debugDescription)") {
                _ = try JSONLinesFormat(attributes: [bad: "v"])
            }
        }
        do {
            _ = try JSONLinesFormat(attributes: ["bad key": "v"])
            Issue.record("accepted a key with a space")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("\"bad key\""))
        }
        // Attributes may take an eighth of the line at most.
        let big = Dictionary(uniqueKeysWithValues: (0 ..< 20).map { ("key\($0)", String(repeating: "v", count: 200)) })
        #expect(throws: ExportError.self) { _ = try JSONLinesFormat(attributes: big) }
    }

    @Test func droppedRecordsComeFromTheContext() throws {
        let line = JSONLinesFormat().record(for: MachineFixtures.busy(), context: FormatContext(droppedRecords: 12_345))
        #expect(line.contains(#""dropped_records":12345,"#))
        #expect(try HeartbeatRecordDecoder().decode(line: line).droppedRecords == 12_345)
    }
}
