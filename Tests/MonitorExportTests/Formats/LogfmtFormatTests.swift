import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

@Suite struct LogfmtFormatTests {
    /// Label → how go-logfmt's encoder writes it (with our two documented extras: `'` quoted,
    /// DEL escaped).
    static let escapingCorpus: [(label: String, encoded: String)] = [
        ("", ""),
        ("plain", "plain"),
        ("with space", #""with space""#),
        ("quote\"inside", #""quote\"inside""#),
        ("back\\slash", #"back\slash"#),
        ("\\", #"\"#),
        ("new\nline", #""new\nline""#),
        ("cr\rand\ttab", #""cr\rand\ttab""#),
        ("\u{0}\u{1}\u{8}\u{C}\u{1B}\u{1F}", #""\u0000\u0001\u0008\u000c\u001b\u001f""#),
        ("del\u{7F}char", #""del\u007fchar""#),
        ("🚀🧪", "🚀🧪"),
        ("emoji 🚀", "\"emoji 🚀\""),
        ("e\u{301}", "e\u{301}"),
        ("line\u{2028}sep", #""line\u2028sep""#),
        ("c1\u{85}", #""c1\u0085""#),
        ("del\u{7F}", #""del\u007f""#),
        ("null", #""null""#),
        ("nullable", "nullable"),
        ("a=b", #""a=b""#),
        ("=", #""=""#),
        ("\"", #""\"""#),
        ("it's", #""it's""#),
        ("\u{FFFD}", "\"\u{FFFD}\""),
        (" ", #"" ""#),
        ("ThreadId(3)/x", "ThreadId(3)/x"),
        ("{\"json\": [1, 2]}", #""{\"json\": [1, 2]}""#),
        ("日本語のラベル", "日本語のラベル"),
    ]

    /// What a stall built without a reason adds after `stuck_s`: the default threshold, and
    /// every reason key as `null` (an empty stack is `[]`).
    static let unexplainedStall = " threshold_s=120.000 depth=1 thread_state=null tid=null syscall=null fd=null target=null "
        + "wchan=null thread_cpu_ratio=null thread_cpu_window_s=null stack=[] backtrace=null"

    func stallLine(label: String) -> String {
        var heartbeat = MachineFixtures.busy()
        heartbeat.stalls = [Heartbeat.Stall(lane: .task(2), label: label, age: .seconds(300))]
        return LogfmtFormat().render(heartbeat, context: FormatContext())[1].text
    }

    @Test func valuesAreEscapedByGoLogfmtRules() throws {
        for (label, encoded) in Self.escapingCorpus {
            let line = stallLine(label: label)
            let prefix = "timestamp=2024-05-01T12:00:00.123Z level=warn seq=42 msg=stall thread=TaskId(2) label="
            #expect(line == prefix + encoded + " stuck_s=300.000" + Self.unexplainedStall, "label \(label.debugDescription)")
        }
    }

    @Test func everyCorpusLabelRoundTripsThroughAnIndependentParser() throws {
        for label in MachineFixtures.labelCorpus + Self.escapingCorpus.map(\.label) {
            var heartbeat = MachineFixtures.busy()
            heartbeat.active?.label = label
            heartbeat.active?.lane = .thread(4, name: label)
            heartbeat.phases[0].label = label
            let lines = LogfmtFormat().render(heartbeat, context: FormatContext())
            for line in lines {
                #expect(!line.text.contains("\n") && !line.text.contains("\r"))
            }
            let headline = try LogfmtTestParser.map(lines[0].text)
            #expect(headline["active_label"] == label)
            #expect(headline["active_lane"] == "ThreadId(4)/" + label)
            let phase = try LogfmtTestParser.map(lines[3].text)
            #expect(phase["msg"] == "phase")
            #expect(phase["label"] == label)
        }
        // The word null is quoted, so a reader can tell it from an unknown value.
        let pairs = try LogfmtTestParser.parse(stallLine(label: "null"))
        #expect(pairs.first { $0.key == "label" } == .init(key: "label", value: "null", quoted: true))
    }

    @Test func busyHeartbeatLinesAreExactlyAsDocumented() throws {
        let format = try LogfmtFormat(attributes: ["job": "nightly etl", "rank": "3"])
        let lines = format.render(MachineFixtures.busy(), context: FormatContext(droppedRecords: 2))
        let attributes = #" attr.job="nightly etl" attr.rank=3"#
        let start = "timestamp=2024-05-01T12:00:00.123Z level="
        #expect(lines.map(\.text) == [
            start + "info seq=42 msg=heartbeat schema_version=3 pid=4242 trigger=scheduled elapsed_s=3725.004 "
                + "rss_bytes=536870912 peak_rss_bytes=1073741824 process_threads=12 read_bytes=4096 write_bytes=0 "
                + "memory_limit_bytes=null memory_usage_bytes=null memory_headroom_bytes=null oom_kills=null "
                + "open_fds=null fd_limit=null "
                + "cpu_cores=1.9 cpu_available_cores=2 cpu_affinity_cores=null cpu_quota_cores=null "
                + "cpu_window_s=60.000 cpu_time_s=null instrumented_threads=9 "
                + #"active_lane=ThreadId(1)/main active_label="BMS coord_corrections" active_age_s=400.000 "#
                + "progress_current=250 progress_total=1000 progress_elapsed_s=10.000 progress_rate_per_s=25 "
                + "progress_eta_s=30.000 progress_since_last_move_s=null stall_threshold_s=120.000 stalls=2 stall_ends=0 phases_omitted=3 "
                + "dropped_records=2" + attributes,
            start + #"warn seq=42 msg=stall thread=ThreadId(1)/main label="BMS coord_corrections" stuck_s=400.000"#
                + Self.unexplainedStall + attributes,
            start + #"warn seq=42 msg=stall thread=TaskId(2) label="fetch \"shard\" 7" stuck_s=399.000"# + Self.unexplainedStall + attributes,
            start + #"info seq=42 msg=phase thread=ThreadId(1)/worker-0 depth=1 label="phase 0 \"step\"" "#
                + "in_frame_s=400.000 updated_ago_s=1.500 progress_current=250 progress_total=1000 "
                + "progress_elapsed_s=10.000 progress_rate_per_s=25 progress_eta_s=30.000 progress_since_last_move_s=null "
                + "parent=null waiting_on=0 stall_threshold_s=120.000" + attributes,
            start + #"info seq=42 msg=phase thread=TaskId(2) depth=2 label="phase 1 \"step\"" in_frame_s=399.000 "#
                + "updated_ago_s=1.501 progress_current=17 progress_total=null progress_elapsed_s=3.250 "
                + "progress_rate_per_s=5.230769230769231 progress_eta_s=null progress_since_last_move_s=null parent=null "
                + "waiting_on=0 stall_threshold_s=120.000" + attributes,
            start + #"info seq=42 msg=phase thread=ThreadId(3)/worker-2 depth=3 label="phase 2 \"step\"" "#
                + "in_frame_s=398.000 updated_ago_s=1.502 parent=null waiting_on=0 stall_threshold_s=120.000" + attributes,
            start + #"info seq=42 msg=phase thread=TaskId(4) depth=1 label="phase 3 \"step\"" in_frame_s=397.000 "#
                + "updated_ago_s=1.503 parent=null waiting_on=0 stall_threshold_s=120.000" + attributes,
            start + #"info seq=42 msg=phase thread=ThreadId(5)/worker-4 depth=2 label="phase 4 \"step\"" "#
                + "in_frame_s=396.000 updated_ago_s=1.504 parent=null waiting_on=0 stall_threshold_s=120.000" + attributes,
            start + #"info seq=42 msg=phase thread=TaskId(6) depth=3 label="phase 5 \"step\"" in_frame_s=395.000 "#
                + "updated_ago_s=1.505 parent=null waiting_on=0 stall_threshold_s=120.000" + attributes,
            start + #"info seq=42 msg=phase thread=ThreadId(7)/worker-6 depth=1 label="phase 6 \"step\"" "#
                + "in_frame_s=394.000 updated_ago_s=1.506 parent=null waiting_on=0 stall_threshold_s=120.000" + attributes,
            start + #"info seq=42 msg=phase thread=TaskId(8) depth=2 label="phase 7 \"step\"" in_frame_s=393.000 "#
                + "updated_ago_s=1.507 parent=null waiting_on=0 stall_threshold_s=120.000" + attributes,
            start + "info seq=42 msg=phases_omitted phases_omitted=3" + attributes,
        ])
        #expect(lines.map(\.level) == [.info, .warning, .warning] + Array(repeating: .info, count: 9))
    }

    @Test func unknownsAreNullAndAbsentStructuresLeaveTheirKeysOut() throws {
        let lines = LogfmtFormat().render(MachineFixtures.idle(), context: FormatContext())
        #expect(lines.map(\.text) == [
            "timestamp=2024-05-01T12:00:00.123Z level=info seq=1 msg=heartbeat schema_version=3 pid=7 "
                + "trigger=requested elapsed_s=5.000 rss_bytes=null peak_rss_bytes=null process_threads=null "
                + "read_bytes=null write_bytes=null memory_limit_bytes=null memory_usage_bytes=null "
                + "memory_headroom_bytes=null oom_kills=null open_fds=null fd_limit=null cpu_cores=null "
                + "cpu_available_cores=null cpu_affinity_cores=null cpu_quota_cores=null cpu_window_s=null cpu_time_s=null "
                + "instrumented_threads=0 stall_threshold_s=120.000 stalls=0 stall_ends=0 phases_omitted=0 dropped_records=0",
        ])
        let pairs = try LogfmtTestParser.parse(lines[0].text)
        #expect(!pairs.contains { $0.key.hasPrefix("active_") || $0.key.hasPrefix("progress_") })
        #expect(pairs.filter { $0.value == "null" }.allSatisfy { !$0.quoted })
    }

    @Test func everyLineStartsWithTimestampLevelSeqAndKind() throws {
        var rng = SeededGenerator(seed: 77)
        for _ in 0 ..< 300 {
            let heartbeat = MachineFixtures.randomHeartbeat(using: &rng)
            let lines = LogfmtFormat().render(heartbeat, context: FormatContext())
            let warnings = heartbeat.resourceWarnings.count
            // The line kinds, in order: headline, stalls, stall ends, warnings, phases, omitted.
            var expected: [(String, HeartbeatLevel)] = [("heartbeat", .info)]
            expected += Array(repeating: ("stall", .warning), count: heartbeat.stalls.count)
            expected += Array(repeating: ("stall_end", .info), count: heartbeat.stallEnds.count)
            expected += Array(repeating: ("resource_warning", .warning), count: warnings)
            expected += Array(repeating: ("phase", .info), count: heartbeat.phases.count)
            if heartbeat.omittedPhases > 0 { expected.append(("phases_omitted", .info)) }
            #expect(lines.count == expected.count)
            for (line, (kind, level)) in zip(lines, expected) {
                let pairs = try LogfmtTestParser.parse(line.text)
                #expect(pairs.prefix(4).map(\.key) == ["timestamp", "level", "seq", "msg"])
                #expect(pairs[2].value == String(heartbeat.sequence))
                #expect(line.text.utf8.count <= ExportLimits.default.maxLineBytes)
                #expect(pairs[3].value == kind)
                #expect(pairs[1].value == (level == .warning ? "warn" : "info") && line.level == level)
            }
            // Every label and lane comes back exactly.
            let headline = try LogfmtTestParser.map(lines[0].text)
            #expect(headline["active_label"] == heartbeat.active?.label)
            #expect(headline["active_lane"] == heartbeat.active?.lane.description)
            for (offset, stall) in heartbeat.stalls.enumerated() {
                let fields = try LogfmtTestParser.map(lines[1 + offset].text)
                #expect(fields["label"] == stall.label && fields["thread"] == stall.lane.description)
            }
            for (offset, end) in heartbeat.stallEnds.enumerated() {
                let fields = try LogfmtTestParser.map(lines[1 + heartbeat.stalls.count + offset].text)
                #expect(fields["label"] == end.label && fields["thread"] == end.lane.description)
            }
            for (offset, phase) in heartbeat.phases.enumerated() {
                let fields = try LogfmtTestParser.map(lines[1 + heartbeat.stalls.count + heartbeat.stallEnds.count + warnings + offset].text)
                #expect(fields["label"] == phase.label && fields["depth"] == String(phase.depth))
            }
        }
    }

    @Test func attributesGoOnEveryLine() throws {
        let format = try LogfmtFormat(attributes: ["rank": "3", "job": "a b", "host": "null"])
        #expect(format.attributes == ["rank": "3", "job": "a b", "host": "null"])
        for line in format.render(MachineFixtures.busy(), context: FormatContext()) {
            #expect(line.text.hasSuffix(#" attr.host="null" attr.job="a b" attr.rank=3"#))
        }
        #expect(throws: ExportError.self) { _ = try LogfmtFormat(attributes: ["a b": "v"]) }
        #expect(throws: ExportError.self) { _ = try LogfmtFormat(attributes: ["k=": "v"]) }
    }

    @Test func worstCaseLinesFitTheSmallestLineLimit() throws {
        let limits = try ExportLimits(maxLabelBytes: 4096, maxLineBytes: 2048)
        let format = try LogfmtFormat(attributes: MachineFixtures.worstCaseAttributes, limits: limits)
        let heartbeat = MachineFixtures.worstCase()
        for line in format.render(heartbeat, context: FormatContext(droppedRecords: .max)) {
            #expect(line.text.utf8.count <= 2048, "\(line.text.utf8.count) bytes: \(line.text)")
            _ = try LogfmtTestParser.parse(line.text)
        }
    }

}
