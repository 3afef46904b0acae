@testable import MonitorExport
import ProcessMonitor
import Testing

/// The line buffer's own storage (`LineBytes`): a value that copies its bytes on the first write
/// after a copy, grows past its first capacity, and the pieces rendered once (`RenderedBytes`).
@Suite struct LineBufferTests {
    @Test func aCopyKeepsItsBytesWhenEitherSideWritesOn() {
        var original = LineBuffer(capacity: 64)
        original.append("abc")
        var copy = original
        copy.append("def")
        #expect(original.text == "abc")
        #expect(copy.text == "abcdef")
        // Both have room in the memory they shared: a write through either must not show in the other.
        original.append("xyz")
        #expect(original.text == "abcxyz")
        #expect(copy.text == "abcdef")
    }

    @Test func aCopyKeepsItsBytesWhenTheOtherReversesDigits() {
        var original = LineBuffer(capacity: 64)
        original.append("x123")
        var copy = original
        copy.reverseTail(from: 1)
        #expect(copy.text == "x321")
        #expect(original.text == "x123")
    }

    @Test func growsPastItsCapacityKeepingEveryByte() {
        var line = LineBuffer(capacity: 1)
        var expected = ""
        for index in 0 ..< 300 {
            line.append("piece \(index);")
            line.appendInteger(UInt64(index) * 1_000_003)
            expected += "piece \(index);\(UInt64(index) * 1_000_003)"
        }
        #expect(line.text == expected)
        #expect(line.count == expected.utf8.count)
    }

    @Test func removingThenAppendingOverwritesTheRemovedBytes() {
        var line = LineBuffer(capacity: 32)
        line.append("first line|second")
        line.bytes.removeSubrange(10...)
        line.append("|third")
        #expect(line.text == "first line|third")
        #expect(line.text(from: 10) == "|third")
        line.bytes.removeLast()
        #expect(line.bytes.last == UInt8(ascii: "r"))
        line.removeAll()
        #expect(line.text.isEmpty && line.bytes.isEmpty)
        line.append("again")
        #expect(line.text == "again")
    }

    @Test func renderedPiecesAreInternedAndReadBack() {
        let key = RenderedBytes(Array(" rss_bytes=".utf8))
        let same = RenderedBytes(Array(" rss_bytes=".utf8))
        let other = RenderedBytes(Array(" rss=".utf8))
        #expect(key.start == same.start)
        #expect(key.start != other.start)
        #expect(key.array == Array(" rss_bytes=".utf8) && other.array == Array(" rss=".utf8))
        var line = LineBuffer()
        line.append(key)
        line.appendInteger(7 as UInt64)
        line.append(other)
        #expect(line.text == " rss_bytes=7 rss=")
    }

    /// A lane id is rendered in place and quoted only when its name needs it: the same bytes as
    /// rendering it apart and writing that text as a logfmt value.
    @Test(arguments: ["main", "", "a b", "x\"y", "it's", "k=v", "tab\there", "next\u{85}line", "\u{FFFD}", "null",
                      "é ü", String(repeating: "long name ", count: 40)])
    func logfmtLaneIsTheLogfmtValueOfItsText(name: String) throws {
        let limits = try ExportLimits(maxLabelBytes: 64)
        for lane in [LaneID.thread(7, name: name), .task(12, name: name), .thread(3)] {
            var plain = LineBuffer()
            plain.appendLaneID(lane, labels: limits) { $0.append($1) }
            var expected = LineBuffer()
            expected.append("lane=")
            expected.appendLogfmtValue(plain.text)
            var line = LineBuffer()
            line.append("lane=")
            line.appendLogfmtLane(lane, labels: limits)
            #expect(line.text == expected.text, "\(lane)")
        }
    }

    /// Logfmt quotes a value for any byte go-logfmt would, plus `'`, DEL, C1 controls and the
    /// line separators; everything else stays bare, whatever comes before it.
    @Test func logfmtQuotesOnEverySpecialByteWherever() {
        let special = [" ", "\"", "'", "=", "\t", "\u{7F}", "\u{85}", "\u{2028}", "\u{FFFD}", "\u{01}"]
        for piece in special {
            for value in [piece, "ab" + piece, piece + "cd", "plain-text/with:ok.chars" + piece + "z"] {
                var line = LineBuffer()
                line.appendLogfmtValue(value)
                #expect(line.text.hasPrefix("\"") && line.text.hasSuffix("\""), "\(value.debugDescription) -> \(line.text)")
            }
        }
        for value in ["ok", "plain-text/with:ok.chars", "é", "ThreadId(1)/main", "[]", "nul", "nulls"] {
            var line = LineBuffer()
            line.appendLogfmtValue(value)
            #expect(line.text == value)
        }
    }
}
