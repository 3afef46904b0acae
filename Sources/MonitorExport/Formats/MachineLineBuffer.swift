import Foundation
import ProcessMonitor

// Shared by JSONLinesFormat, LogfmtFormat and HeartbeatRecordDecoder: byte-level writers and
// the rules both machine formats apply to durations, timestamps and user attributes.

/// The bytes of one machine-format line under construction.
///
/// Appending bytes to one pre-sized array keeps rendering in the microseconds: no intermediate
/// `String`s, no interpolation, no `Codable`.
struct MachineLineBuffer {
    var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(byte: UInt8) {
        bytes.append(byte)
    }

    mutating func append(contentsOf other: MachineLineBuffer) {
        bytes.append(contentsOf: other.bytes)
    }

    mutating func appendDecimal(_ value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(value))
            return
        }
        var digitCount = 1
        var probe = value
        while probe >= 10 {
            probe /= 10
            digitCount += 1
        }
        // Reserve the digits, then fill them from the right: no temporary string.
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digitCount))
        var index = start + digitCount
        var rest = value
        while rest > 0 {
            index -= 1
            bytes[index] = UInt8(ascii: "0") &+ UInt8(rest % 10)
            rest /= 10
        }
    }

    mutating func appendDecimal(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            appendDecimal(value.magnitude)
        } else {
            appendDecimal(UInt64(value))
        }
    }

    mutating func appendDecimal(_ value: Int) {
        appendDecimal(Int64(value))
    }

    /// Seconds with exactly three fraction digits, from whole milliseconds: `142318` → `142.318`.
    ///
    /// Written from the integer so the text is exact; printing a `Double` could not promise that.
    mutating func appendSeconds(milliseconds: Int64) {
        if milliseconds < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = milliseconds.magnitude
        appendDecimal(magnitude / 1000)
        let fraction = magnitude % 1000
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") &+ UInt8(fraction / 100))
        bytes.append(UInt8(ascii: "0") &+ UInt8(fraction / 10 % 10))
        bytes.append(UInt8(ascii: "0") &+ UInt8(fraction % 10))
    }

    mutating func appendSeconds(_ duration: Duration) {
        appendSeconds(milliseconds: duration.machineWholeMilliseconds)
    }

    /// Swift's shortest round-trip text, which `Double(_:)` reads back to the identical value.
    mutating func appendShortest(_ value: Double) {
        bytes.append(contentsOf: value.description.utf8)
    }

    mutating func appendUTF8(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// `ThreadId(N)`, `TaskId(N)`, with `/name` (cut by `limits`), as raw text for `escape`.
    mutating func appendLane(_ lane: LaneID, limits: ExportLimits, escape: (inout MachineLineBuffer, String) -> Void) {
        switch lane.kind {
        case .thread: append("ThreadId(")
        case .task: append("TaskId(")
        }
        appendDecimal(lane.number)
        append(")")
        if let name = lane.name {
            append("/")
            escape(&self, limits.cap(name))
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func appendUnicodeEscape(_ scalar: UInt32) {
        append("\\u")
        bytes.append(Self.hexDigits[Int(scalar >> 12 & 0xF)])
        bytes.append(Self.hexDigits[Int(scalar >> 8 & 0xF)])
        bytes.append(Self.hexDigits[Int(scalar >> 4 & 0xF)])
        bytes.append(Self.hexDigits[Int(scalar & 0xF)])
    }

    /// `2h03m07s`, `5m02s`, `42s`: the seed's duration text, for human-readable summaries.
    mutating func appendHumanDuration(_ duration: Duration) {
        let total = UInt64(max(0, duration.components.seconds))
        let hours = total / 3600
        let minutes = total % 3600 / 60
        let seconds = total % 60
        if hours > 0 {
            appendDecimal(hours)
            append("h")
            appendPadded(minutes, width: 2)
            append("m")
            appendPadded(seconds, width: 2)
        } else if minutes > 0 {
            appendDecimal(minutes)
            append("m")
            appendPadded(seconds, width: 2)
        } else {
            appendDecimal(seconds)
        }
        append("s")
    }

    /// A JSON string literal that is safe on one line and in any JavaScript context.
    mutating func appendJSONString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        appendJSONStringContent(text)
        bytes.append(UInt8(ascii: "\""))
    }

    /// The inside of a JSON string literal.
    ///
    /// Beyond what JSON requires (`"`, `\`, U+0000–U+001F), DEL and U+2028/U+2029 are escaped:
    /// DEL upsets terminals and the two separators end a line for JavaScript and some viewers.
    mutating func appendJSONStringContent(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            var index = 0
            let count = utf8.count
            while index < count {
                let byte = utf8[index]
                let replacement: StaticString?
                var width = 1
                switch byte {
                case 0x22: replacement = "\\\""
                case 0x5C: replacement = "\\\\"
                case 0x0A: replacement = "\\n"
                case 0x0D: replacement = "\\r"
                case 0x09: replacement = "\\t"
                case 0x08: replacement = "\\b"
                case 0x0C: replacement = "\\f"
                case 0x00 ..< 0x20, 0x7F: replacement = ""
                case 0xE2:
                    // U+2028 is E2 80 A8 and U+2029 is E2 80 A9.
                    if index + 2 < count, utf8[index + 1] == 0x80, utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9 {
                        replacement = ""
                        width = 3
                    } else {
                        replacement = nil
                    }
                default: replacement = nil
                }
                guard let replacement else {
                    index += 1
                    continue
                }
                if start < index { bytes.append(contentsOf: utf8[start ..< index]) }
                if replacement.utf8CodeUnitCount > 0 {
                    append(replacement)
                } else if width == 3 {
                    appendUnicodeEscape(utf8[index + 2] == 0xA8 ? 0x2028 : 0x2029)
                } else {
                    appendUnicodeEscape(UInt32(byte))
                }
                index += width
                start = index
            }
            if start < count { bytes.append(contentsOf: utf8[start ..< count]) }
        }
    }

    /// RFC 3339 in UTC, `2024-05-01T12:00:00.123Z`, with the text format's timestamp rules
    /// (`Timestamp.swift`): the date rounded to the nearest millisecond, years 0000-9999.
    mutating func appendTimestamp(_ date: Date) {
        appendUTF8(formatRFC3339Milliseconds(date))
    }

    private mutating func appendPadded(_ value: UInt64, width: Int) {
        var divisor: UInt64 = 1
        for _ in 1 ..< width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}

extension Duration {
    /// Whole milliseconds, truncated toward zero and saturated at the `Int64` range.
    ///
    /// The core already truncates every heartbeat duration to milliseconds; truncating again
    /// here keeps a hand-built heartbeat's output well-formed too.
    var machineWholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflowAdding) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        if overflowAdding { return seconds < 0 ? .min : .max }
        return total
    }
}

/// The rules for user attributes, shared so one attribute set works with every machine format.
enum MachineAttributes {
    /// Longest key, in UTF-8 bytes.
    static let maxKeyBytes = 64

    /// Validates keys and cuts values like labels; returns the pairs sorted by key so output is
    /// deterministic.
    ///
    /// A key must survive every format unchanged: go-logfmt drops spaces, `=`, `"`, controls
    /// and U+FFFD from keys, and newer go-logfmt decoders treat `'` as a quote, so all of those
    /// are refused rather than silently rewritten.
    static func validated(_ attributes: [String: String], limits: ExportLimits) throws(ExportError) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        pairs.reserveCapacity(attributes.count)
        for (key, value) in attributes {
            guard !key.isEmpty else {
                throw ExportError(code: .invalidConfiguration, message: "attribute key must not be empty")
            }
            guard key.utf8.count <= maxKeyBytes else {
                throw ExportError(
                    code: .invalidConfiguration,
                    message: "attribute key \(debugQuoted(key)) is \(key.utf8.count) bytes; at most \(maxKeyBytes) allowed"
                )
            }
            for scalar in key.unicodeScalars {
                let value = scalar.value
                let forbidden = value <= 0x20 || (0x7F ... 0x9F).contains(value) || scalar == "=" || scalar == "\""
                    || scalar == "'" || scalar == "\u{FFFD}" || scalar.properties.isWhitespace
                    || value == 0x2028 || value == 0x2029
                if forbidden {
                    throw ExportError(
                        code: .invalidConfiguration,
                        message: "attribute key \(debugQuoted(key)) contains U+\(String(value, radix: 16, uppercase: true)); "
                            + "keys may not contain whitespace, control characters, '=', '\"', ''' or U+FFFD"
                    )
                }
            }
            pairs.append((key, limits.cap(value)))
        }
        pairs.sort { $0.key < $1.key }
        return pairs
    }

    /// Attributes go on every line, so they may take at most an eighth of it: the rest of the
    /// line must always fit.
    static func checkBudget(renderedBytes: Int, limits: ExportLimits) throws(ExportError) {
        let budget = limits.maxLineBytes / 8
        guard renderedBytes <= budget else {
            throw ExportError(
                code: .invalidConfiguration,
                message: "attributes take \(renderedBytes) bytes rendered; at most \(budget) "
                    + "(maxLineBytes / 8) allowed"
            )
        }
    }

    private static func debugQuoted(_ text: String) -> String {
        text.debugDescription
    }
}
