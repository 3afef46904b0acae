import Dispatch
import Foundation
import MonitorExport
import ProcessMonitor
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

// A reader of the exposition format, independent of the format's own code.

/// One sample line, parsed the way node_exporter's parser (expfmt) reads it.
struct ParsedSample: Equatable {
    var name: String
    var labels: [String: String]
    var value: String
}

/// Parses one exposition line: `nil` for a comment, the sample otherwise; throws on anything
/// expfmt would refuse (an unknown escape, a missing quote, a value that is not a number).
func parseExpositionLine(_ line: String) throws -> ParsedSample? {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }
    if line.hasPrefix("#") { return nil }
    let bytes = Array(line.utf8)
    var index = 0
    func isNameByte(_ byte: UInt8, first: Bool) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F || byte == 0x3A
            || (!first && byte >= 0x30 && byte <= 0x39)
    }
    func readName() throws -> String {
        let start = index
        while index < bytes.count, isNameByte(bytes[index], first: index == start) { index += 1 }
        guard index > start else { throw Malformed(description: "no name at \(start) in \(line.debugDescription)") }
        return String(decoding: bytes[start ..< index], as: UTF8.self)
    }
    let name = try readName()
    var labels: [String: String] = [:]
    if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
        index += 1
        while index < bytes.count, bytes[index] != UInt8(ascii: "}") {
            let key = try readName()
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "="), bytes[index + 1] == UInt8(ascii: "\"") else {
                throw Malformed(description: "no =\" after \(key) in \(line.debugDescription)")
            }
            index += 2
            var value: [UInt8] = []
            while true {
                guard index < bytes.count else { throw Malformed(description: "unterminated value in \(line.debugDescription)") }
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") { break }
                if byte == UInt8(ascii: "\\") {
                    guard index < bytes.count else { throw Malformed(description: "dangling escape") }
                    switch bytes[index] {
                    case UInt8(ascii: "\\"): value.append(UInt8(ascii: "\\"))
                    case UInt8(ascii: "\""): value.append(UInt8(ascii: "\""))
                    case UInt8(ascii: "n"): value.append(UInt8(ascii: "\n"))
                    default: throw Malformed(description: "invalid escape \\\(UnicodeScalar(bytes[index])) in \(line.debugDescription)")
                    }
                    index += 1
                } else {
                    value.append(byte)
                }
            }
            guard labels[key] == nil else { throw Malformed(description: "label \(key) twice") }
            labels[key] = String(decoding: value, as: UTF8.self)
            if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1 }
        }
        guard index < bytes.count else { throw Malformed(description: "no } in \(line.debugDescription)") }
        index += 1
    }
    guard index < bytes.count, bytes[index] == UInt8(ascii: " ") else {
        throw Malformed(description: "no space before the value in \(line.debugDescription)")
    }
    let value = String(decoding: bytes[(index + 1)...], as: UTF8.self)
    guard let number = Double(value), number.isFinite, !value.contains(" ") else {
        throw Malformed(description: "value \(value.debugDescription) is not a finite number (or has a timestamp)")
    }
    return ParsedSample(name: name, labels: labels, value: value)
}

/// The metric families of an exposition, in order, from its `# TYPE` lines.
func families(_ lines: [RenderedLine]) -> [String] {
    lines.compactMap { line in
        guard line.text.hasPrefix("# TYPE ") else { return nil }
        return line.text.split(separator: " ")[2].description
    }
}

enum PrometheusFixtures {
    /// Every figure known, a memory warning, progress with a total, two stalls.
    static func full() -> Heartbeat {
        Heartbeat(
            sequence: 42,
            timestamp: MachineFixtures.timestamp,
            trigger: .scheduled,
            processID: 4242,
            elapsed: .milliseconds(3_725_004),
            resources: ResourceUsage(
                rssBytes: 536_870_912, peakRSSBytes: 1 << 30, threads: 12, readBytes: 4096, writeBytes: 0,
                memoryLimitBytes: 2 << 30, memoryUsageBytes: 2_000_000_000, oomKills: 1,
                openFileDescriptors: 40, fileDescriptorLimit: 1024
            ),
            cpu: CPUUsage(coresBusy: 1.25, availableCores: 1.5, affinityCores: 2, quotaCores: 1.5, window: .seconds(60),
                          totalTime: .milliseconds(4_321_500)),
            instrumentedLanes: 9,
            active: Heartbeat.ActivePhase(lane: .thread(1, name: "main"), label: "BMS coord_corrections",
                                age: .milliseconds(400_000),
                                progress: ProgressReading(current: 250, total: 1000, elapsed: .seconds(10))),
            stalls: [
                Heartbeat.Stall(lane: .thread(1, name: "main"), label: "BMS coord_corrections", age: .milliseconds(400_000)),
                Heartbeat.Stall(lane: .task(2), label: "fetch \"shard\" 7", age: .milliseconds(399_000)),
            ],
            phases: [],
            omittedPhases: 0,
            stallThreshold: .seconds(120)
        )
    }

    static func text(_ lines: [RenderedLine]) -> String {
        lines.map { $0.text + "\n" }.joined()
    }
}
