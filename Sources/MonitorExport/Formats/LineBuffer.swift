package import Foundation
import ProcessMonitor

/// One line under construction, as UTF-8 bytes: the one writer behind every format.
///
/// Rendering a heartbeat appends a few dozen short pieces per line; appending bytes to one
/// reserved buffer (``LineBytes``) and decoding it once is several times faster than growing a
/// `String` piece by piece (or going through `Codable`), and keeps a heartbeat of 8 phases and
/// 2 stalls within a few microseconds. The pieces live in extensions by audience: this file has bytes, integers
/// and timestamps; `LineBuffer+SeedText.swift` the Rust seed's renderers;
/// `LineBuffer+JSON.swift` and `LineBuffer+Logfmt.swift` the machine formats' quoting.
package struct LineBuffer: ~Copyable {
    /// The bytes so far.
    var bytes: LineBytes

    /// Creates an empty buffer with room for `capacity` bytes.
    package init(capacity: Int = 256) {
        bytes = LineBytes(capacity: capacity)
    }

    /// The bytes as a `String` (always valid UTF-8: only whole scalars are ever appended).
    package var text: String { text(from: 0) }

    /// The bytes from `start` to the end as a `String`: one line of several in one buffer.
    func text(from start: Int) -> String {
        bytes.withUnsafeBufferPointer { String(decoding: $0[start...], as: UTF8.self) }
    }

    /// Number of bytes so far.
    var count: Int { bytes.count }

    /// Empties the buffer and keeps its storage for the next line.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    // MARK: Raw pieces

    /// Appends a literal.
    @inline(__always)  // so that the copy of a literal's known length compiles to a few moves
    mutating func append(_ literal: StaticString) {
        if literal.hasPointerRepresentation {
            bytes.append(literal.utf8Start, count: literal.utf8CodeUnitCount)
        } else {
            literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }
    }

    /// Appends raw bytes (a piece rendered once and reused).
    mutating func append(bytes more: [UInt8]) {
        bytes.append(contentsOf: more)
    }

    /// Appends a piece rendered once (a field's key), without retaining anything.
    @inline(__always)
    mutating func append(_ rendered: RenderedBytes) {
        bytes.append(blocksFrom: rendered.start, count: rendered.count)
    }

    /// Appends one byte.
    mutating func append(byte: UInt8) {
        bytes.append(byte)
    }

    /// Appends another buffer's bytes.
    mutating func append(contentsOf other: borrowing LineBuffer) {
        bytes.append(contentsOf: other.bytes)
    }

    /// Appends a string's UTF-8 bytes.
    mutating func append(_ string: String) {
        if string.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
            bytes.append(contentsOf: string.utf8)  // a bridged, non-contiguous string
        }
    }

    /// Appends a string's UTF-8 bytes.
    mutating func append(_ string: Substring) {
        if string.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
            bytes.append(contentsOf: string.utf8)
        }
    }

    mutating func append(scalar: Unicode.Scalar) {
        let value = scalar.value
        switch value {
        case 0 ..< 0x80:
            bytes.append(UInt8(value))
        case 0x80 ..< 0x800:
            bytes.append(0xC0 | UInt8(value >> 6))
            bytes.append(0x80 | UInt8(value & 0x3F))
        case 0x800 ..< 0x10000:
            bytes.append(0xE0 | UInt8(value >> 12))
            bytes.append(0x80 | UInt8((value >> 6) & 0x3F))
            bytes.append(0x80 | UInt8(value & 0x3F))
        default:
            bytes.append(0xF0 | UInt8(value >> 18))
            bytes.append(0x80 | UInt8((value >> 12) & 0x3F))
            bytes.append(0x80 | UInt8((value >> 6) & 0x3F))
            bytes.append(0x80 | UInt8(value & 0x3F))
        }
    }

    /// Reverses the bytes from `start` to the end: digits are produced least significant first.
    mutating func reverseTail(from start: Int) {
        var low = start
        var high = bytes.count - 1
        while low < high {
            bytes.swapAt(low, high)
            low += 1
            high -= 1
        }
    }

    // MARK: Integers

    /// Writes the decimal digits of `value` at `start`, most significant first, and returns
    /// how many (at most 39, for `UInt128.max`). Digits come least significant first, so they
    /// are written backwards and turned around in place: no scratch buffer and no copy.
    @inline(__always)
    static func writeDigits<T: FixedWidthInteger & UnsignedInteger>(_ value: T, at start: UnsafeMutablePointer<UInt8>) -> Int {
        var end = start
        var rest = value
        repeat {
            end.pointee = UInt8(truncatingIfNeeded: rest % 10) &+ 48
            end += 1
            rest /= 10
        } while rest > 0
        var low = start
        var high = end - 1
        while low < high {
            let byte = low.pointee
            low.pointee = high.pointee
            high.pointee = byte
            low += 1
            high -= 1
        }
        return end - start
    }

    /// Appends the decimal digits of `value`.
    mutating func appendInteger(_ value: UInt64) {
        bytes.append(upTo: 20) { Self.writeDigits(value, at: $0) }
    }

    /// Appends a signed integer: a `-` and the magnitude.
    mutating func appendInteger(_ value: Int) {
        appendInteger(Int64(value))
    }

    mutating func appendTwoDigits(_ value: UInt64) {
        bytes.append(UInt8(truncatingIfNeeded: value / 10) &+ 48)
        bytes.append(UInt8(truncatingIfNeeded: value % 10) &+ 48)
    }

    mutating func appendUInt128(_ value: UInt128) {
        bytes.append(upTo: 39) { Self.writeDigits(value, at: $0) }
    }

    /// Appends a signed 64-bit integer.
    mutating func appendInteger(_ value: Int64) {
        bytes.append(upTo: 20) { start in
            guard value < 0 else { return Self.writeDigits(UInt64(value), at: start) }
            start.pointee = 0x2D  // -
            return 1 + Self.writeDigits(value.magnitude, at: start + 1)
        }
    }

    /// Appends `value` zero-padded to `width` digits (`7` at width 3 is `007`); a wider value
    /// is written in full.
    mutating func appendPadded(_ value: UInt64, width: Int) {
        bytes.append(upTo: max(20, width)) { start in
            let digits = Self.writeDigits(value, at: start)
            let padding = width - digits
            guard padding > 0 else { return digits }
            var index = digits
            while index > 0 {
                index -= 1
                start[index + padding] = start[index]
            }
            start.update(repeating: 0x30, count: padding)
            return width
        }
    }

    // MARK: Machine numbers

    /// Seconds with exactly three fraction digits, from whole milliseconds: `142318` → `142.318`.
    ///
    /// Written from the integer so the text is exact; printing a `Double` could not promise that.
    mutating func appendSeconds(_ duration: Duration) {
        let milliseconds = duration.wholeMilliseconds
        // A sign, 16 digits (Int64.max / 1000) and four for the fraction.
        bytes.append(upTo: 21) { start in
            var position = start
            if milliseconds < 0 {
                position.pointee = 0x2D  // -
                position += 1
            }
            let magnitude = milliseconds.magnitude
            position += Self.writeDigits(magnitude / 1000, at: position)
            let fraction = magnitude % 1000
            position[0] = 0x2E  // .
            position[1] = UInt8(truncatingIfNeeded: fraction / 100) &+ 48
            position[2] = UInt8(truncatingIfNeeded: fraction / 10 % 10) &+ 48
            position[3] = UInt8(truncatingIfNeeded: fraction % 10) &+ 48
            return position + 4 - start
        }
    }

    /// Swift's shortest round-trip text, which `Double(_:)` reads back to the identical value.
    ///
    /// 1.9 is `1.9`, not `1.8999999999999999`.
    mutating func appendShortest(_ value: Double) {
        append(value.description)
    }

    // MARK: Timestamps

    /// RFC 3339 in UTC with exactly three fraction digits, `2024-05-01T12:00:00.123Z`: the shape
    /// every log aggregator parses. Written by hand: `DateFormatter` and
    /// `ISO8601DateFormatter` are slow, locale- and calendar-sensitive and do not promise a
    /// fixed number of fraction digits.
    ///
    /// The date is rounded to the *nearest* millisecond, not truncated: a `Date` stores seconds
    /// since 2001 as a `Double`, so a value parsed from `…23.123Z` may sit a hair below .123 and
    /// truncation would print `.122`. Rounding makes `format(parse(s)) == s` for every valid
    /// `s`. Years outside 0000...9999 cannot be written in this shape and are clamped to its ends.
    ///
    /// 1_795_725_143.123 seconds since 1970 is `2026-11-26T20:32:23.123Z`.
    package mutating func appendTimestamp(_ date: Date) {
        let civil = CivilTime(date)
        appendPadded(UInt64(civil.year), width: 4)
        bytes.append(0x2D)  // -
        appendPadded(UInt64(civil.month), width: 2)
        bytes.append(0x2D)
        appendPadded(UInt64(civil.day), width: 2)
        bytes.append(0x54)  // T
        appendPadded(UInt64(civil.hour), width: 2)
        bytes.append(0x3A)  // :
        appendPadded(UInt64(civil.minute), width: 2)
        bytes.append(0x3A)
        appendPadded(UInt64(civil.second), width: 2)
        bytes.append(0x2E)  // .
        appendPadded(UInt64(civil.millisecond), width: 3)
        bytes.append(0x5A)  // Z
    }
}
