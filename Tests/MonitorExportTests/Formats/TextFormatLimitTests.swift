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

@Suite("TextFormat limits")
struct TextFormatLimitTests {
    @Test("labels are capped before quoting, in every kind of line")
    func labelCap() throws {
        let limits = try ExportLimits(maxLabelBytes: 16)
        let long = "a fairly long phase label"
        let heartbeat = Heartbeat(
            sequence: 1, timestamp: Date(timeIntervalSince1970: 0), trigger: .scheduled, processID: 1,
            elapsed: .seconds(1), resources: ResourceUsage(), cpu: CPUUsage(), instrumentedLanes: 1,
            active: Heartbeat.ActivePhase(lane: .thread(1), label: long, age: .seconds(1)),
            stalls: [Heartbeat.Stall(lane: .thread(1), label: long, age: .seconds(1))],
            phases: [Heartbeat.Phase(lane: .thread(1), depth: 1, label: long, age: .seconds(1), sinceLastChange: .seconds(1))],
            omittedPhases: 0, stallThreshold: .seconds(1)
        )
        let lines = texts(TextFormat(limits: limits), heartbeat)
        #expect(lines[0].hasSuffix(#" active="a …[+23 bytes]" for 1s"#))
        #expect(lines[1] == #"[process-monitor][STALL] thread=ThreadId(1) phase="a …[+23 bytes]" stuck=1s"#)
        #expect(lines[2] == #"[process-monitor] phase thread=ThreadId(1) depth=1 deepest="a …[+23 bytes]" in_frame=1s updated_ago=1s"#)
    }

    @Test("a lane name is capped like a label, its ThreadId(N) kept")
    func laneCap() throws {
        let limits = try ExportLimits(maxLabelBytes: 16)
        var heartbeat = idleHeartbeat()
        heartbeat.stalls = [Heartbeat.Stall(lane: .thread(9, name: String(repeating: "n", count: 100)), label: "x", age: .seconds(1))]
        let lines = texts(TextFormat(limits: limits), heartbeat)
        #expect(lines[1] == #"[process-monitor][STALL] thread=ThreadId(9)/n…[+99 bytes] phase="x" stuck=1s"#)
    }

    /// Scalars that end or break a line for some reader: terminals, editors, `String.split`, JS.
    static let lineBreakers: [Unicode.Scalar] = ["\n", "\r", "\u{0B}", "\u{0C}", "\u{1C}", "\u{1D}", "\u{1E}", "\u{85}", "\u{2028}", "\u{2029}"]

    @Test("any label and any lane name yields one physical line per RenderedLine")
    func onePhysicalLine() {
        var state: UInt64 = 42
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let palette: [Unicode.Scalar] = Self.lineBreakers + ["a", " ", "\"", "\\", "\0", "\t", "\u{1b}", "\u{301}", "\u{200d}", "é", "日", "👩", "\u{feff}", "\u{202e}", "\u{e000}"]
        for _ in 0 ..< 300 {
            var label = String.UnicodeScalarView()
            for _ in 0 ..< next() % 40 { label.append(palette[Int(next() % UInt64(palette.count))]) }
            let text = String(label)
            let lane = LaneID.thread(next() % 5, name: text)
            var heartbeat = busyHeartbeat()
            heartbeat.active?.label = text
            heartbeat.stalls = [Heartbeat.Stall(lane: lane, label: text, age: .seconds(500))]
            heartbeat.phases = [Heartbeat.Phase(lane: lane, depth: 1, label: text, age: .seconds(1), sinceLastChange: .zero)]
            for format in [TextFormat(), TextFormat(style: .extended, prefix: .timestampAndLevel)] {
                for line in texts(format, heartbeat) {
                    #expect(!line.unicodeScalars.contains { Self.lineBreakers.contains($0) }, "\(line.debugDescription)")
                }
            }
        }
    }

    @Test("fitLine cuts at a character boundary and says how much it cut")
    func fitLineCuts() {
        #expect(fitLine("short", maxBytes: 1024) == "short")
        let cut = fitLine(String(repeating: "x", count: 2000), maxBytes: 1024)
        #expect(cut == String(repeating: "x", count: 1008) + "…[+992 bytes]")
        let wide = fitLine(String(repeating: "日", count: 400), maxBytes: 1024)  // 1200 bytes
        #expect(wide.utf8.count <= 1024)
        #expect(wide == String(repeating: "日", count: 336) + "…[+192 bytes]")
    }

    @Test("a line stays within maxLineBytes even when escapes multiply a capped label")
    func lineCap() throws {
        let limits = try ExportLimits(maxLabelBytes: 4096, maxLineBytes: 2048)
        var heartbeat = idleHeartbeat()
        let controls = String(repeating: "\u{1}", count: 4096)  // each escapes to 5 bytes: \u{1}
        heartbeat.stalls = [Heartbeat.Stall(lane: .thread(1), label: controls, age: .seconds(1))]
        let lines = texts(TextFormat(prefix: .timestampAndLevel, limits: limits), heartbeat)
        #expect(lines[1].utf8.count <= 2048)
        #expect(lines[1].hasPrefix(#"1970-01-01T00:00:00.000Z WARN [process-monitor][STALL] thread=ThreadId(1) phase="\u{1}"#))
        #expect(lines[1].hasSuffix(" bytes]"))
        // Ordinary lines are untouched by the line cap.
        #expect(texts(TextFormat(limits: limits), busyHeartbeat()) == busySeedLines)
    }
}
