import Foundation
@testable import MonitorReport
import MonitorExport
import ProcessMonitor
import Testing
import TestSupport

/// Strings a hostile or broken log can hold, each of which would change the page if written raw.
let hostileTexts = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(2)>",
    "a & b &amp; c",
    "</style><style>body{display:none}",
    "line one\nline two",
    "sep\u{2028}arator\u{2029}",
    "quote ' and \"",
    "bell\u{07} and escape \u{1b}[31m",
    "</title></svg></g>",
]

@Suite struct EscapingTests {
    @Test("every special character leaves as a reference or a visible escape", arguments: hostileTexts.map { TestText($0) })
    func escapedText(_ text: TestText) {
        let escaped = HTMLEscaping.escape(text.value)
        for raw in ["<", ">", "\"", "'", "\n", "\u{2028}", "\u{2029}", "\u{07}", "\u{1b}"] {
            #expect(!escaped.contains(raw), "\(raw.debugDescription) left raw in \(escaped.debugDescription)")
        }
        // `&` only ever starts a reference we wrote.
        let ampersands = escaped.components(separatedBy: "&").dropFirst()
        for tail in ampersands {
            #expect(["amp;", "lt;", "gt;", "quot;", "#39;", "#10;", "#9;", "#x2028;", "#x2029;"].contains { tail.hasPrefix($0) },
                    "stray & before \(tail.prefix(8).debugDescription)")
        }
    }

    @Test func plainTextIsUnchanged() {
        #expect(HTMLEscaping.escape("ThreadId(1)/main score shard 74% café") == "ThreadId(1)/main score shard 74% café")
        #expect(HTMLEscaping.escape("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;")
        #expect(HTMLEscaping.escape("a\u{1b}b\u{85}c\u{FFFF}") == "a\\u{1b}b\\u{85}c\\u{ffff}")
    }

    @Test("hostile lane names, labels, attributes, sources and title render as text")
    func hostileReport() {
        var report = HTMLReport(title: hostileTexts[0])
        for (index, text) in hostileTexts.enumerated() {
            let lane = LaneID.thread(UInt64(index + 1), name: text)
            var beats: [Heartbeat] = []
            for second in 1...3 {
                let now = Double(second)
                let stalls: [Heartbeat.Stall] = second == 3 ? [Heartbeat.Stall(lane: lane, label: text, age: .seconds(3))] : []
                let ends: [Heartbeat.StallEnd] = second == 2 ? [Heartbeat.StallEnd(lane: lane, label: text, duration: .seconds(1))] : []
                beats.append(heartbeat(UInt64(second), at: now, pid: Int32(index + 1),
                                       phases: [phase(lane, text, entered: 0, now: now)], stalls: stalls, stallEnds: ends))
            }
            for beat in beats {
                report.add(record(beat, attributes: [text: text, "job": text]), source: text)
            }
            report.noteSkippedLine(source: text, line: 7, reason: text)
        }
        let html = report.render()
        for text in hostileTexts {
            #expect(!html.contains(text), "raw \(text.debugDescription) in the report")
        }
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("<img"))
        #expect(html.components(separatedBy: "</style>").count == 2, "only the report's own style element closes")
        #expect(html.components(separatedBy: "<title>").count - 1 == html.components(separatedBy: "</title>").count - 1)
        #expect(!html.contains("\u{2028}") && !html.contains("\u{2029}") && !html.contains("\u{1b}"))
    }
}
