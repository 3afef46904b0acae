// Integration: writes every format's samples for the schema and tool checks in .ci/check-machine-output.sh.

import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

/// Writes sample JSON Lines and logfmt output for `.ci/check-machine-output.sh`, which checks
/// it with independent tools (check-jsonschema, jq, go-logfmt). Set `PM_SAMPLE_DIR` to a
/// directory to get `sample.jsonl` and `sample.logfmt` there; without it the samples are only
/// checked in memory.
@Suite struct SchemaSampleTests {
    /// Heartbeats that exercise every shape a schema must accept: idle, busy, unknowns, every
    /// corpus label, random values, and a record that the line limit had to trim.
    static func sampleHeartbeats() -> [Heartbeat] {
        var heartbeats = [MachineFixtures.idle(), MachineFixtures.busy(), MachineFixtures.contained(),
                          MachineFixtures.explained(), MachineFixtures.worstCase()]
        for (index, label) in MachineFixtures.labelCorpus.enumerated() {
            var heartbeat = MachineFixtures.busy()
            heartbeat.sequence = UInt64(100 + index)
            heartbeat.active?.label = label
            heartbeat.active?.lane = .thread(1, name: label)
            heartbeat.stalls[1].label = label
            heartbeat.phases[2].label = label
            heartbeats.append(heartbeat)
        }
        var rng = SeededGenerator(seed: 0x5A3D_1E)
        for _ in 0 ..< 200 {
            heartbeats.append(MachineFixtures.randomHeartbeat(using: &rng))
        }
        var crowded = MachineFixtures.busy()
        crowded.stalls = (0 ..< 1000).map { index in
            Heartbeat.Stall(lane: .thread(UInt64(index + 1)), label: String(repeating: "s", count: 256), age: .seconds(300))
        }
        heartbeats.append(crowded)
        return heartbeats
    }

    @Test func samplesAreWellFormedAndWrittenWhenRequested() throws {
        let jsonFormat = try JSONLinesFormat(attributes: ["job": "sample run", "rank": "0"])
        let logfmtFormat = try LogfmtFormat(attributes: ["job": "sample run", "rank": "0"])
        var jsonLines: [String] = []
        var logfmtLines: [String] = []
        for heartbeat in Self.sampleHeartbeats() {
            let context = FormatContext(droppedRecords: heartbeat.sequence % 3)
            jsonLines += jsonFormat.render(heartbeat, context: context).map(\.text)
            logfmtLines += logfmtFormat.render(heartbeat, context: context).map(\.text)
        }
        for line in jsonLines {
            #expect(!line.contains("\n"))
            #expect(line.utf8.count <= ExportLimits.default.maxLineBytes)
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            #expect(object is [String: Any])
            _ = try HeartbeatRecordDecoder().decode(line: line)
        }
        for line in logfmtLines {
            #expect(!line.contains("\n"))
            #expect(line.utf8.count <= ExportLimits.default.maxLineBytes)
            let pairs = try LogfmtTestParser.parse(line)
            #expect(pairs.first?.key == "timestamp")
        }
        guard let directory = ProcessInfo.processInfo.environment["PM_SAMPLE_DIR"], !directory.isEmpty else { return }
        let url = URL(fileURLWithPath: directory, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try (jsonLines.joined(separator: "\n") + "\n").write(to: url.appendingPathComponent("sample.jsonl"), atomically: true, encoding: .utf8)
        try (logfmtLines.joined(separator: "\n") + "\n").write(to: url.appendingPathComponent("sample.logfmt"), atomically: true, encoding: .utf8)
    }
}
