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

// Expected strings come from rustc running the seed's own format strings: see TextFormattingTests.swift.

@Suite("TextFormat label quoting")
struct TextFormatQuotingTests {
    @Test(
        "labels are quoted exactly as rustc's {:?}",
        arguments: [
            ("", #""""#),
            ("plain label", #""plain label""#),
            ("say \"hi\"", #""say \"hi\"""#),
            ("C:\\tmp\\x", #""C:\\tmp\\x""#),
            ("it's", #""it's""#),
            ("line1\nline2", #""line1\nline2""#),
            ("\r\t\0", #""\r\t\0""#),
            ("cafe\u{301}", #""cafe\u{301}""#),
            ("\u{301}start", #""\u{301}start""#),  // a grapheme extender at the start
            ("ä\u{308}", #""ä\u{308}""#),
            ("a\u{a0}b", #""a\u{a0}b""#),
            ("a\u{3000}b", #""a\u{3000}b""#),
            ("\u{1b}[31mred\u{1b}[0m", #""\u{1b}[31mred\u{1b}[0m""#),
            ("👨\u{200d}👩", #""👨\u{200d}👩""#),
            ("❤\u{fe0f}", #""❤\u{fe0f}""#),
            ("👍\u{1f3fb}", "\"👍\u{1f3fb}\""),  // skin tone modifiers are not Grapheme_Extend
            ("🇯🇵", "\"🇯🇵\""),
            ("日本語", "\"日本語\""),
            ("é", "\"é\""),
            ("\u{fffd}", "\"\u{fffd}\""),
            ("\u{7f}\u{85}", #""\u{7f}\u{85}""#),
            ("\u{2028}\u{2029}", #""\u{2028}\u{2029}""#),
            ("\u{feff}bom", #""\u{feff}bom""#),
            ("\u{202e}rtl", #""\u{202e}rtl""#),
            ("\u{ad}soft", #""\u{ad}soft""#),
            ("\u{200b}zwsp", #""\u{200b}zwsp""#),
            ("\u{e000}", #""\u{e000}""#),
            ("\u{378}", #""\u{378}""#),
            ("x\u{e0001}", #""x\u{e0001}""#),
            ("\u{d7ff}\u{10ffff}", #""\u{d7ff}\u{10ffff}""#),
        ]
    )
    func debugQuoted(_ label: TestText, _ expected: String) {
        #expect(TextFormatting.debugQuoted(label.value) == expected)
    }

    @Test("every scalar is escaped exactly when rustc's {:?} escapes it")
    func exhaustiveAgainstRust() throws {
        let url = try #require(Bundle.module.url(forResource: "rust-debug-escaped-ranges", withExtension: "txt", subdirectory: "Fixtures"))
        let table = try String(contentsOf: url, encoding: .utf8)
        var escaped = [Bool](repeating: false, count: 0x110000)
        for line in table.split(separator: "\n") where !line.hasPrefix("#") {
            let bounds = line.split(separator: " ").compactMap { Int($0, radix: 16) }
            try #require(bounds.count == 2)
            for value in bounds[0] ... bounds[1] { escaped[value] = true }
        }
        var differences: [String] = []
        for value in 0 ..< 0x110000 where value != 0x22 && value != 0x5C {
            guard let scalar = Unicode.Scalar(UInt32(value)) else { continue }
            let text = String(Character(scalar))
            let ours = TextFormatting.debugQuoted(text) != "\"" + text + "\""
            if ours != escaped[value] { differences.append(String(value, radix: 16)) }
        }
        #expect(differences.isEmpty, "scalars (hex) where we differ from rustc: \(differences.prefix(20))")
    }

    @Test(
        "lane names stay raw unless a scalar could split or hide the line",
        arguments: [
            ("ThreadId(3)/worker", "ThreadId(3)/worker"),
            ("ThreadId(1)/main", "ThreadId(1)/main"),
            ("ThreadId(4)/my \"pool\" C:\\x é 日本", "ThreadId(4)/my \"pool\" C:\\x é 日本"),
            ("ThreadId(5)/a\nb\r\t\0", #"ThreadId(5)/a\nb\r\t\0"#),
            ("TaskId(2)/\u{1b}[31m\u{202e}\u{2028}\u{85}", #"TaskId(2)/\u{1b}[31m\u{202e}\u{2028}\u{85}"#),
        ]
    )
    func laneName(_ name: TestText, _ expected: String) {
        #expect(TextFormatting.laneText(name.value) == expected)
    }

    @Test(
        "lanes are spelled as LaneID.description spells them",
        arguments: [
            LaneID.thread(1), .thread(1, name: "main"), .thread(UInt64.max, name: "w"), .task(12), .task(3, name: "fetch"),
            .thread(2, name: ""), .thread(4, name: "a/b (c)"),
        ]
    )
    func laneSpelling(_ lane: LaneID) {
        var line = LineBuffer()
        line.appendLane(lane, limits: .default)
        #expect(line.text == lane.description)
    }
}
