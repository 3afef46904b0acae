@testable import MonitorExport
import ProcessMonitor
import Testing

/// The line buffer's own storage (`LineBytes`, raw memory a buffer owns alone): it grows past
/// its first capacity keeping every byte, removes by moving its end, and copies the pieces
/// rendered once (`RenderedBytes`).
@Suite struct LineBufferTests {
    @Test func reversesDigitsInPlace() {
        var line = LineBuffer(capacity: 16)
        line.append("x12345")
        line.reverseTail(from: 1)
        #expect(line.text == "x54321")
        line.reverseTail(from: 5)
        #expect(line.text == "x54321")
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

    /// Keys are copied in 16-byte blocks from padded memory: every length, at every offset,
    /// comes out whole and nothing past it shows.
    @Test func renderedPiecesOfEveryLengthCopyWhole() {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for length in 0 ... 40 {
            let piece = RenderedBytes(Array(alphabet[..<length]))
            var line = LineBuffer(capacity: 1)
            var expected = ""
            for offset in 0 ..< 3 {
                line.append(String(repeating: "-", count: offset))
                line.append(piece)
                line.append(byte: 0x7C)  // |
                expected += String(repeating: "-", count: offset) + String(decoding: alphabet[..<length], as: UTF8.self) + "|"
            }
            #expect(line.text == expected, "length \(length)")
        }
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

    // MARK: Numbers, written in place

    @Test func integersAtTheirExtremes() {
        var line = LineBuffer(capacity: 1)
        line.appendInteger(UInt64.max)
        line.append(" ")
        line.appendInteger(Int64.min)
        line.append(" ")
        line.appendInteger(Int64.max)
        line.append(" ")
        line.appendInteger(0 as UInt64)
        line.append(" ")
        line.appendInteger(-7)
        line.append(" ")
        line.appendUInt128(UInt128.max)
        line.append(" ")
        line.appendUInt128(10)
        #expect(line.text == "18446744073709551615 -9223372036854775808 9223372036854775807 0 -7 "
            + "340282366920938463463374607431768211455 10")
    }

    @Test func paddedToWidthAndWiderInFull() {
        var line = LineBuffer(capacity: 1)
        for (value, width) in [(7, 3), (0, 4), (42, 2), (1234, 2), (5, 0), (99_999, 5), (1, 1), (123, 10)] {
            line.appendPadded(UInt64(value), width: width)
            line.append("|")
        }
        #expect(line.text == "007|0000|42|1234|5|99999|1|0000000123|")
    }

    /// Seconds come from whole milliseconds truncated toward zero, computed without a 128-bit
    /// division below 2^79 attoseconds (about seven days) and with one above: both sides of that
    /// edge, and fractions of a millisecond that must be dropped, not rounded.
    @Test func secondsTruncateTowardZeroAtEveryScale() {
        let edge = Int128(1) << 79
        let attoseconds: [Int128] = [
            0, 1, 999_999_999_999_999, 1_000_000_000_000_000, 1_999_999_999_999_999, 123_456_789_012_345_678_901,
            edge - 1, edge, edge + 1, edge * 3 + 12_345, Int128(Int64.max) * 1_000_000_000_000_000 + 999,
            Int128(Int64.max) * 1_000_000_000_000_000 * 4,
        ]
        for value in attoseconds + attoseconds.map({ -$0 }) {
            let duration = Duration(attoseconds: value)
            let milliseconds = Int64(clamping: value / 1_000_000_000_000_000)  // the one 128-bit division
            var expected = milliseconds < 0 ? "-" : ""
            let magnitude = milliseconds.magnitude
            let fraction = String(magnitude % 1000)
            expected += "\(magnitude / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
            #expect(duration.wholeMilliseconds == milliseconds, "\(value)")
            var line = LineBuffer()
            line.appendSeconds(duration)
            #expect(line.text == expected, "\(value)")
        }
    }
}
