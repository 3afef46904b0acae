import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

@Suite struct JSONLinesDecoderTests {
    static let valid = JSONLinesFormat().record(for: MachineFixtures.busy())

    /// The valid busy record with `old` replaced by `new` (which must occur).
    static func edited(_ old: String, _ new: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        if !valid.contains(old) { Issue.record("the fixture lacks \(old)", sourceLocation: sourceLocation) }
        return valid.replacingOccurrences(of: old, with: new)
    }

    func expectError(_ line: String, mentioning fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try HeartbeatRecordDecoder().decode(line: line)
            Issue.record("accepted: \(line.prefix(200))", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .invalidRecord, sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment), "message: \(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test func missingFieldsAreNamed() {
        expectError(Self.edited(#""rss_bytes":536870912,"#, ""), mentioning: "missing field 'rss_bytes'")
        expectError(Self.edited(#","stall_threshold_s":120.000"#, ""), mentioning: "missing field 'stall_threshold_s'")
        expectError(Self.edited(#""stuck_s":399.000"#, #""x":1"#), mentioning: "missing field 'stalls[1].stuck_s'")
        expectError(Self.edited(#""eta_s":30.000,"since_last_move_s":null}},"stall"#, #""eta_z":30.000,"since_last_move_s":null}},"stall"#),
                    mentioning: "missing field 'active.progress.eta_s'")
    }

    @Test func misspelledFieldsAreNamed() {
        expectError(Self.edited(#""dropped_records":0"#, #""dropped_records":0,"droped_records":0"#),
                    mentioning: "unknown field 'droped_records'")
        expectError(Self.edited(#""depth":1,"label":"phase 0"#, #""depth":1,"dept":1,"label":"phase 0"#),
                    mentioning: "unknown field 'phases[0].dept'")
    }

    @Test func mistypedFieldsAreNamed() {
        expectError(Self.edited(#""seq":42"#, #""seq":"42""#), mentioning: "seq: expected an integer")
        expectError(Self.edited(#""seq":42"#, #""seq":42.5"#), mentioning: "seq: expected an integer")
        expectError(Self.edited(#""seq":42"#, #""seq":-1"#), mentioning: "seq: expected a non-negative integer")
        expectError(Self.edited(#""seq":42"#, #""seq":18446744073709551616"#), mentioning: "seq: 18446744073709551616 is out of range")
        expectError(Self.edited(#""pid":4242"#, #""pid":4294967296"#), mentioning: "pid")
        expectError(Self.edited(#""elapsed_s":3725.004"#, #""elapsed_s":3725.0045"#), mentioning: "elapsed_s: expected non-negative seconds")
        expectError(Self.edited(#""elapsed_s":3725.004"#, #""elapsed_s":3.725004e3"#), mentioning: "elapsed_s")
        expectError(Self.edited(#""elapsed_s":3725.004"#, #""elapsed_s":null"#), mentioning: "elapsed_s: expected seconds as a number, found null")
        expectError(Self.edited(#""trigger":"scheduled""#, #""trigger":"sometimes""#), mentioning: "trigger")
        expectError(Self.edited(#""level":"warn""#, #""level":"error""#), mentioning: "level")
        expectError(Self.edited(#""timestamp":"2024-05-01T12:00:00.123Z""#, #""timestamp":"2024-05-01T12:00:00.123+00:00""#),
                    mentioning: "timestamp")
        expectError(Self.edited(#""timestamp":"2024-05-01T12:00:00.123Z""#, #""timestamp":"2023-02-29T12:00:00.123Z""#),
                    mentioning: "timestamp")
        expectError(Self.edited(#""thread":"TaskId(2)""#, #""thread":"Task 2""#), mentioning: "stalls[1].thread")
        expectError(Self.edited(#""stalls":["#, #""stalls":{"a":1},"x":["#), mentioning: "stalls: expected an array")
        expectError(Self.edited(#""attributes":{}"#, #""attributes":{"job":7}"#), mentioning: "attributes.job: expected a string")
        expectError(Self.edited(#""cpu_cores":1.9"#, #""cpu_cores":true"#), mentioning: "cpu_cores")
        expectError(Self.edited(#""schema_version":3"#, #""schema_version":4"#), mentioning: "unsupported schema_version 4")
        expectError(Self.edited(#""schema_version":3"#, #""schema_version":0"#), mentioning: "unsupported schema_version 0")
    }

    /// Records the schema rejects, each of which an earlier decoder accepted.
    @Test func whatTheSchemaRejectsTheDecoderRejects() {
        expectError(Self.edited(#""seq":42"#, #""seq":0"#), mentioning: "seq: 0 is out of range (1 through")
        expectError(Self.edited(#""level":"warn""#, #""level":"info""#), mentioning: #"level: "info" does not match"#)
        expectError(Self.edited(#""total":1000"#, #""total":0"#), mentioning: "active.progress.total: 0 is out of range (1 through")
        expectError(Self.edited(#""depth":1,"label":"phase 0"#, #""depth":0,"label":"phase 0"#),
                    mentioning: "phases[0].depth: 0 is out of range (1 through")
        expectError(Self.edited(#""cpu_cores":1.9"#, #""cpu_cores":-1"#), mentioning: "cpu_cores: expected a number of at least 0")
        expectError(Self.edited(#""cpu_available_cores":2"#, #""cpu_available_cores":0"#),
                    mentioning: "cpu_available_cores: expected a number above 0")
        // A quota of no cores, or an affinity mask of none, is no reading: the schema says so too.
        let contained = JSONLinesFormat().record(for: MachineFixtures.contained())
        #expect(contained.contains(#""cpu_affinity_cores":2,"cpu_quota_cores":0.5,"#))
        expectError(contained.replacingOccurrences(of: #""cpu_quota_cores":0.5"#, with: #""cpu_quota_cores":0"#),
                    mentioning: "cpu_quota_cores: expected a number above 0")
        expectError(contained.replacingOccurrences(of: #""cpu_affinity_cores":2"#, with: #""cpu_affinity_cores":0"#),
                    mentioning: "cpu_affinity_cores: 0 is out of range (1 through")
        expectError(Self.edited(#""lane":"ThreadId(1)/main""#, #""lane":"ThreadId(001)/main""#), mentioning: "active.lane: expected a lane")
        expectError(Self.edited(#""message":"heartbeat: "#, #""message":""#), mentioning: #"message: expected a summary starting with "heartbeat: ""#)
        expectError(Self.edited(#""attributes":{}"#, #""attributes":{"a b":"c"}"#), mentioning: #"attributes: attribute key "a b" contains U+20"#)
        // And the reverse of the level rule: a record without stalls or warnings is info.
        let idle = JSONLinesFormat().record(for: MachineFixtures.idle())
        expectError(idle.replacingOccurrences(of: #""level":"info""#, with: #""level":"warn""#), mentioning: #"level: "warn" does not match"#)
    }

    @Test func malformedJSONIsRejected() {
        expectError(Self.edited(#""cpu_cores":1.9"#, #""cpu_cores":NaN"#), mentioning: "malformed JSON")
        expectError(Self.edited(#""cpu_cores":1.9"#, #""cpu_cores":01.9"#), mentioning: "malformed JSON")
        expectError(Self.edited(#""attributes":{}"#, #""attributes":{},"#), mentioning: "malformed JSON")
        expectError(Self.edited(#""seq":42"#, #""seq":42,"seq":43"#), mentioning: "duplicate field 'seq'")
        expectError(Self.edited("BMS coord", "BMS\ncoord"), mentioning: "unescaped control character")
        expectError(Self.edited("BMS coord", #"BMS\ud800coord"#), mentioning: "unpaired surrogate")
        expectError(Self.valid + " {}", mentioning: "unexpected text after the record")
        expectError(String(Self.valid.dropLast()), mentioning: "unexpected end of line")
        expectError("[1,2]", mentioning: "record: expected an object")
        expectError(String(repeating: "[", count: 100_000), mentioning: "nesting deeper than")
    }

    @Test func overlongLinesAreRejected() {
        let padding = String(repeating: "p", count: 1 << 20)
        expectError(Self.edited(#""attributes":{}"#, #""attributes":{"pad":"\#(padding)"}"#),
                    mentioning: "records longer than 1048576 bytes are rejected")
    }

    @Test func escapesAndTrailingNewlineAreAccepted() throws {
        let escaped = Self.edited("BMS coord", #"\u0042\u004D\u0053\u0020\ud83d\ude80\/coord"#)
        let decoded = try HeartbeatRecordDecoder().decode(line: escaped + "\r\n")
        #expect(decoded.heartbeat.active?.label == "BMS 🚀/coord_corrections")
    }

    @Test func largeDurationsAndCountsAreExact() throws {
        var heartbeat = MachineFixtures.busy()
        heartbeat.elapsed = .milliseconds(Int64.max)
        heartbeat.stallThreshold = .milliseconds(9_007_199_254_740_993) // 2^53 + 1: not a Double
        heartbeat.sequence = .max
        heartbeat.resources.rssBytes = 18_446_744_073_709_551_615
        try expectRoundTrip(heartbeat)
        let line = Self.edited(#""elapsed_s":3725.004"#, #""elapsed_s":3725.00400"#)
        #expect(try HeartbeatRecordDecoder().decode(line: line).heartbeat.elapsed == .milliseconds(3_725_004))
    }

    /// Logs written before schema version 2 are still read: their v2 figures are unknown, and
    /// writing them again gives version 2 records that keep every value they had.
    @Test func version1RecordsAreStillRead() throws {
        let url = try #require(Bundle.module.url(forResource: "v1-records", withExtension: "jsonl", subdirectory: "Fixtures"))
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count >= 5)
        for line in lines {
            let record = try HeartbeatRecordDecoder().decode(line: line)
            #expect(record.schemaVersion == 1)
            #expect(record.heartbeat.resources.openFileDescriptors == nil && record.heartbeat.cpu.totalTime == nil)
            #expect(record.heartbeat.stallEnds.isEmpty && record.heartbeat.phases.allSatisfy { $0.parent == nil })
            let again = try HeartbeatRecordDecoder().decode(line: JSONLinesFormat(attributes: record.attributes).record(
                for: record.heartbeat, context: FormatContext(droppedRecords: record.droppedRecords)))
            #expect(again.schemaVersion == RecordFields.currentVersion)
            #expect(again.heartbeat == record.heartbeat)
        }
        // A v1 record may not carry v2 fields: the version decides what is allowed.
        let tampered = lines[0].replacingOccurrences(of: #""attributes""#, with: #""open_fds":3,"attributes""#)
        #expect(throws: ExportError.self) { try HeartbeatRecordDecoder().decode(line: tampered) }
    }
}
