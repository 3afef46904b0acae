import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("TextFormat stall cap and percentages")
struct TextFormatStallCapTests {
    /// The seed printed every STALL line ("loud and unconditional"), so the seed style still
    /// does, byte for byte; the extended style caps them and counts the rest.
    @Test("seed style lists every stall; extended lists maxStallLines and counts the rest")
    func stallCap() throws {
        let heartbeat = manyStalls(10_000)
        let seed = texts(TextFormat(), heartbeat)
        #expect(seed.count == 10_001)
        #expect(seed.last == #"[process-monitor][STALL] thread=ThreadId(10000) phase="s10000" stuck=3m20s"#)
        #expect(!seed.contains { $0.contains("omitted") })

        let extended = TextFormat(style: .extended).render(heartbeat, context: FormatContext())
        #expect(extended.count == 1 + ExportLimits.default.maxStallLines + 1)
        #expect(extended[32].text == #"[process-monitor][STALL] thread=ThreadId(32) phase="s32" stuck=3m20.0s threshold=2m00.0s"#)
        #expect(extended[33] == RenderedLine(text: "[process-monitor][STALL] ... and 9968 more stalled lane(s) omitted", level: .warning))

        let five = try texts(TextFormat(style: .extended, limits: ExportLimits(maxStallLines: 5)), heartbeat)
        #expect(five.count == 7)
        #expect(five.last == "[process-monitor][STALL] ... and 9995 more stalled lane(s) omitted")
        // Exactly at the cap: every stall listed, no count line.
        let exact = try texts(TextFormat(style: .extended, limits: ExportLimits(maxStallLines: 5)), manyStalls(5))
        #expect(exact.count == 6 && !exact.contains { $0.contains("omitted") })
    }

    @Test("maxStallLines out of range is refused, naming it", arguments: [0, 10_001])
    func stallCapRange(_ value: Int) {
        #expect {
            try ExportLimits(maxStallLines: value)
        } throws: { error in
            (error as? ExportError)?.message.contains("maxStallLines must be between 1 and 10000 (got \(value))") == true
        }
    }

    /// The seed computes `cur as f64 / total as f64 * 100.0` and prints it with `{:.0}`, which
    /// rounds the exact binary value half to even: 23/40 is 57.49999999999999 → 57, 109/200 is
    /// 54.50000000000001 → 55. Rounding the exact fraction would give 58 and 55; half-up on the
    /// decimal 57.5 would give 58.
    @Test("progress percentages follow the seed's rounding in text and machine formats",
          arguments: [(23, 40, "57%"), (109, 200, "55%"), (1, 8, "12%"), (3, 8, "38%"), (999, 1000, "100%"), (0, 5, "0%")])
    func percentages(_ current: Int, _ total: Int, _ percent: String) throws {
        let progress = ProgressReading(current: UInt64(current), total: UInt64(total), elapsed: .seconds(10))
        var heartbeat = idleHeartbeat(lanes: 1, active: Heartbeat.ActivePhase(lane: .thread(1), label: "load", age: .seconds(5), progress: progress))
        heartbeat.phases = [Heartbeat.Phase(lane: .thread(1), depth: 1, label: "load", age: .seconds(5), sinceLastChange: .zero, progress: progress)]
        let lines = texts(TextFormat(), heartbeat)
        #expect(lines[0].hasSuffix(" progress=\(current)/\(total) (\(percent))"))
        #expect(lines[1].hasSuffix(" progress=\(current)/\(total) (\(percent))"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(JSONLinesFormat().record(for: heartbeat).utf8)) as? [String: Any])
        #expect(json["message"] as? String == "heartbeat: load for 5s, \(current)/\(total) (\(percent))")
        let otlp = try OTLPJSONFormat().logsRequest(for: heartbeat)
        #expect(otlp.contains(#""body":{"stringValue":"heartbeat: load for 5s, \#(current)/\#(total) (\#(percent))"}"#))
    }
}
