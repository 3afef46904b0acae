import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

/// Decodes `line` and expects the heartbeat back unchanged, pointing failures at the caller.
func expectRoundTrip(
    _ heartbeat: Heartbeat,
    format: JSONLinesFormat = JSONLinesFormat(),
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let line = format.record(for: heartbeat)
    let decoded = try HeartbeatRecordDecoder().decode(line: line)
    #expect(decoded.heartbeat == heartbeat, "record: \(line)", sourceLocation: sourceLocation)
    #expect(textBytes(decoded.heartbeat) == textBytes(heartbeat), sourceLocation: sourceLocation)
}

/// Every label and lane name as bytes: `String ==` compares canonically equivalent text as
/// equal, and the formats promise the exact bytes back.
func textBytes(_ heartbeat: Heartbeat) -> [[UInt8]] {
    var texts: [String] = []
    if let active = heartbeat.active { texts += [active.label, active.lane.name ?? "-"] }
    for stall in heartbeat.stalls { texts += [stall.label, stall.lane.name ?? "-"] }
    for phase in heartbeat.phases { texts += [phase.label, phase.lane.name ?? "-"] }
    return texts.map { Array($0.utf8) }
}

/// The top-level keys of a JSON object line in document order (JSONSerialization loses order).
func topLevelKeys(_ line: String) -> [String] {
    var keys: [String] = []
    var depth = 0
    var inString = false
    var escaped = false
    var expectingKey = false
    var current = ""
    for character in line {
        if inString {
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                inString = false
                if expectingKey { keys.append(current) }
                expectingKey = false
                continue
            }
            current.append(character)
            continue
        }
        switch character {
        case "\"":
            inString = true
            current = ""
        case "{", "[":
            depth += 1
            expectingKey = depth == 1 && character == "{"
        case "}", "]":
            depth -= 1
        case ",":
            expectingKey = depth == 1
        default:
            break
        }
    }
    return keys
}
