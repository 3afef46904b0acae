import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

/// `render` feeds untrusted lines to the decoder: every numeric field, given any number text,
/// must decode or throw an error naming the field, never trap.
@Suite struct DecoderRobustnessTests {
    static let heartbeat = Heartbeat(
        sequence: 9, timestamp: Date(timeIntervalSince1970: 1_800_000_000), trigger: .scheduled, processID: 7,
        elapsed: .milliseconds(142_318),
        resources: ResourceUsage(rssBytes: 1 << 30, peakRSSBytes: 1 << 31, threads: 12, readBytes: 5, writeBytes: 6),
        cpu: CPUUsage(coresBusy: 1.9, availableCores: 2, window: .seconds(60)),
        instrumentedLanes: 2,
        active: Heartbeat.ActivePhase(lane: .thread(1, name: "main"), label: "load", age: .seconds(130),
                            progress: ProgressReading(current: 5, total: 10, elapsed: .seconds(130))),
        stalls: [Heartbeat.Stall(lane: .thread(1, name: "main"), label: "load", age: .seconds(130))],
        phases: [Heartbeat.Phase(lane: .task(3), depth: 2, label: "fetch", age: .seconds(3), sinceLastChange: .seconds(1),
                       progress: ProgressReading(current: 1, total: 0, elapsed: .seconds(3)))],
        omittedPhases: 4, stallThreshold: .seconds(120)
    )

    static let hostileNumbers = [
        "9223372036854775807", "9223372036854775808", "9223372036854775809", "18446744073709551615",
        "18446744073709551616", "99999999999999999999999999999", "-1", "-0", "0.0001", "1e400", "-1e400",
        "1.7976931348623157e308", "4.9e-324", "9223372036854775.809", "9223372036854775807.999", "1.", "00",
    ]

    @Test func hostileNumbersNeverTrap() throws {
        let line = JSONLinesFormat().record(for: Self.heartbeat)
        #expect(try HeartbeatRecordDecoder().decode(line: line).heartbeat == Self.heartbeat)
        // Every `"key":number` in the record, one at a time.
        let pattern = try NSRegularExpression(pattern: #""([a-z_]+)":(-?[0-9][0-9.eE+-]*)"#)
        let matches = pattern.matches(in: line, range: NSRange(line.startIndex..., in: line))
        #expect(matches.count > 20)
        // Not JSON, or beyond any Double: no field may accept these.
        let neverValid: Set = ["1.", "00", "1e400", "-1e400"]
        var decoded = 0
        for match in matches {
            let numberRange = Range(match.range(at: 2), in: line)!
            let key = String(line[Range(match.range(at: 1), in: line)!])
            for number in Self.hostileNumbers {
                var mutated = line
                mutated.replaceSubrange(numberRange, with: number)
                do {
                    _ = try HeartbeatRecordDecoder().decode(line: mutated)
                    decoded += 1
                    #expect(!neverValid.contains(number), "\(key)=\(number) was accepted")
                } catch {
                    // Not JSON at all ("1.", "00") is a syntax error with its byte offset;
                    // anything that parses must be rejected by name.
                    #expect(
                        error.message.contains(key) || error.message.hasPrefix("malformed JSON"),
                        "\(key)=\(number): \(error.message)")
                }
            }
        }
        // Some hostile-looking numbers are fine somewhere ("-0", "0.0001" for a fraction).
        #expect(decoded > 0)
    }
}
