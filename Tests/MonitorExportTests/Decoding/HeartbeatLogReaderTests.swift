import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Reading heartbeat logs back: what `render` and any log reader rely on.
@Suite struct HeartbeatLogReaderTests {
    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func record(_ sequence: UInt64, attributes: [String: String] = [:]) throws -> String {
        var heartbeat = MachineFixtures.idle()
        heartbeat.sequence = sequence
        return try JSONLinesFormat(attributes: attributes).record(for: heartbeat)
    }

    /// All entries of `text`, read through a buffer of `bufferBytes` so lines straddle reads.
    static func entries(_ text: String, bufferBytes: Int) throws -> [String] {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        try write(text, to: dir.file("log.jsonl"))
        let descriptor = open(dir.file("log.jsonl"), O_RDONLY)
        var reader = HeartbeatLogReader(descriptor: descriptor, source: "log", ownsDescriptor: true, bufferBytes: bufferBytes)
        defer { reader.close() }
        var seen: [String] = []
        while let entry = reader.next() {
            switch entry {
            case .record(let record, let line): seen.append("\(line):seq \(record.heartbeat.sequence)")
            case .skipped(let line, let reason): seen.append("\(line):skipped \(reason.prefix(20))")
            }
        }
        return seen
    }

    @Test(arguments: [1, 7, 64, 65_536])
    func linesAreNumberedWhateverTheReadSize(bufferBytes: Int) throws {
        let text = try [Self.record(1), "", "  ", "{\"broken\": true}", Self.record(2) + "\r", Self.record(3)].joined(separator: "\n")
        // The last record has no final newline; blank lines count but are no entries; CRLF is fine.
        #expect(try Self.entries(text, bufferBytes: bufferBytes) == [
            "1:seq 1", "4:skipped missing field 'schem", "5:seq 2", "6:seq 3",
        ])
    }

    @Test func anOversizedLineIsSkippedAndTheNextOneRead() throws {
        let text = String(repeating: "x", count: HeartbeatRecordDecoder.maxLineBytes + 1) + "\n" + (try Self.record(9)) + "\n"
        #expect(try Self.entries(text, bufferBytes: 4096) == ["1:skipped longer than 1048576 ", "2:seq 9"])
    }

    @Test func readingSeveralFilesReportsEachProblemWithItsSourceAndLine() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        try Self.write(try Self.record(1) + "\nnot json\n", to: dir.file("a.jsonl"))
        try Self.write(try Self.record(2) + "\n", to: dir.file("b.jsonl"))
        var records: [(UInt64, String)] = []
        var problems: [String] = []
        let result = HeartbeatLogReader.read(
            [dir.file("a.jsonl"), dir.file("missing.jsonl"), dir.path, dir.file("b.jsonl")],
            record: { record, source in records.append((record.heartbeat.sequence, (source as NSString).lastPathComponent)) },
            problem: { problems.append($0.message.replacingOccurrences(of: dir.path + "/", with: "")) }
        )
        #expect(records.map(\.0) == [1, 2] && records.map(\.1) == ["a.jsonl", "b.jsonl"])
        #expect(result.opened == 3 && result.problems == 3)
        #expect(problems.count == 3)
        #expect(problems.first?.hasPrefix("a.jsonl line 2: malformed JSON") == true, "\(problems)")
        #expect(problems.dropFirst().first == "cannot open missing.jsonl: No such file or directory")
        #expect(problems.last?.hasSuffix(": read error: Is a directory") == true, "\(problems)")
    }

    @Test func aRecordTheConsumerRefusesIsAProblemToo() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        try Self.write(try Self.record(1) + "\n" + Self.record(2) + "\n", to: dir.file("a.jsonl"))
        var problems: [HeartbeatLogReader.Problem] = []
        let result = HeartbeatLogReader.read([dir.file("a.jsonl")], record: { record, _ throws(ExportError) in
            if record.heartbeat.sequence == 2 { throw ExportError(code: .invalidRecord, message: "no thanks") }
        }, problem: { problems.append($0) })
        #expect(result.problems == 1)
        #expect(problems == [HeartbeatLogReader.Problem(source: dir.file("a.jsonl"), line: 2, reason: "no thanks")])
    }

    /// One format per attribute set: each process keeps its own attributes, and OTLP's start time
    /// stays that of the process's first heartbeat.
    @Test func theConverterKeepsOneFormatPerAttributeSet() throws {
        var converter = HeartbeatLogConverter(to: .logfmt, textStyle: .seed)
        let decoder = HeartbeatRecordDecoder()
        let a = try decoder.decode(line: try Self.record(1, attributes: ["job": "a"]))
        let b = try decoder.decode(line: try Self.record(1, attributes: ["job": "b"]))
        #expect(try converter.lines(for: a).first?.text.hasSuffix(" attr.job=a") == true)
        #expect(try converter.lines(for: b).first?.text.hasSuffix(" attr.job=b") == true)
        var otlp = HeartbeatLogConverter(to: .otlpJSON, textStyle: .seed)
        var first = a
        first.heartbeat.elapsed = .seconds(10)
        var later = a
        later.heartbeat.timestamp += 60.0004
        later.heartbeat.elapsed = .seconds(70)
        func start(_ record: DecodedRecord) throws -> String? {
            let metrics = try otlp.lines(for: record)[1].text
            return metrics.range(of: #""startTimeUnixNano":"[0-9]+""#, options: .regularExpression).map { String(metrics[$0]) }
        }
        let firstStart = try start(first)
        let laterStart = try start(later)
        #expect(firstStart != nil && firstStart == laterStart)
        // Text needs no attributes and makes no format per set.
        var text = HeartbeatLogConverter(to: .text, textStyle: .seed)
        #expect(try text.lines(for: a).first?.text.hasPrefix("[process-monitor] elapsed=") == true)
    }
}
