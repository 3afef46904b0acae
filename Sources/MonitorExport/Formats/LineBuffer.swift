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
///
/// ```swift
/// var line = LineBuffer()
/// line.append("elapsed=")
/// line.appendDuration(.seconds(142))
/// line.text  // "elapsed=2m22s"
/// ```
package struct LineBuffer {
    /// The bytes so far.
    var bytes: LineBytes

    /// Creates an empty buffer with room for `capacity` bytes.
    ///
    /// ```swift
    /// var line = LineBuffer(capacity: 512)
    /// ```
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
    ///
    /// ```swift
    /// line.removeAll()
    /// ```
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    // MARK: Raw pieces

    /// Appends a literal.
    ///
    /// ```swift
    /// line.append(" rss=")
    /// ```
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
        bytes.append(rendered.start, count: rendered.count)
    }

    /// Appends one byte.
    mutating func append(byte: UInt8) {
        bytes.append(byte)
    }

    /// Appends another buffer's bytes.
    mutating func append(contentsOf other: LineBuffer) {
        bytes.append(contentsOf: other.bytes)
    }

    /// Appends a string's UTF-8 bytes.
    ///
    /// ```swift
    /// line.append(timestamp)
    /// ```
    mutating func append(_ string: String) {
        if string.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
            bytes.append(contentsOf: string.utf8)  // a bridged, non-contiguous string
        }
    }

    /// Appends a string's UTF-8 bytes.
    ///
    /// ```swift
    /// line.append(name[...])
    /// ```
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

    /// Appends the decimal digits of `value`.
    ///
    /// ```swift
    /// line.appendInteger(74 as UInt64)  // "74"
    /// ```
    mutating func appendInteger(_ value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(truncatingIfNeeded: value) &+ 48)
            return
        }
        appendDigits(value)
    }

    /// Appends a signed integer: a `-` and the magnitude.
    ///
    /// ```swift
    /// line.appendInteger(-4)  // "-4"
    /// ```
    mutating func appendInteger(_ value: Int) {
        if value < 0 { bytes.append(0x2D) }
        appendInteger(UInt64(value.magnitude))
    }

    mutating func appendTwoDigits(_ value: UInt64) {
        bytes.append(UInt8(truncatingIfNeeded: value / 10) &+ 48)
        bytes.append(UInt8(truncatingIfNeeded: value % 10) &+ 48)
    }

    mutating func appendUInt128(_ value: UInt128) {
        if value <= UInt128(UInt64.max) {
            appendInteger(UInt64(value))
            return
        }
        appendDigits(value)
    }

    /// The decimal digits of an integer, written from the right into a scratch buffer and
    /// appended at once (one append, not one per digit and a reversal).
    mutating func appendDigits<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        // 39 digits hold `UInt128.max`, the widest integer written.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { scratch in
            var position = scratch.count
            var rest = value
            repeat {
                position -= 1
                scratch[position] = UInt8(truncatingIfNeeded: rest % 10) &+ 48
                rest /= 10
            } while rest > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[position...]))
        }
    }

    /// Appends a signed 64-bit integer.
    ///
    /// ```swift
    /// line.appendInteger(Int64(-7))  // "-7"
    /// ```
    mutating func appendInteger(_ value: Int64) {
        if value < 0 { bytes.append(0x2D) }
        appendInteger(value.magnitude)
    }

    /// Appends `value` zero-padded to `width` digits (`7` at width 3 is `007`).
    mutating func appendPadded(_ value: UInt64, width: Int) {
        var divisor: UInt64 = 1
        for _ in 1 ..< max(1, width) { divisor &*= 10 }
        var rest = value
        if rest / divisor >= 10 {
            appendInteger(rest)  // wider than asked: never drop digits
            return
        }
        while divisor > 0 {
            bytes.append(UInt8(truncatingIfNeeded: rest / divisor % 10) &+ 48)
            rest %= divisor
            divisor /= 10
        }
    }

    // MARK: Machine numbers

    /// Seconds with exactly three fraction digits, from whole milliseconds: `142318` → `142.318`.
    ///
    /// Written from the integer so the text is exact; printing a `Double` could not promise that.
    ///
    /// ```swift
    /// line.appendSeconds(.milliseconds(142_318))  // "142.318"
    /// ```
    mutating func appendSeconds(_ duration: Duration) {
        let milliseconds = duration.wholeMilliseconds
        if milliseconds < 0 { bytes.append(0x2D) }
        let magnitude = milliseconds.magnitude
        appendInteger(magnitude / 1000)
        let fraction = magnitude % 1000
        bytes.append(0x2E)  // .
        bytes.append(UInt8(truncatingIfNeeded: fraction / 100) &+ 48)
        bytes.append(UInt8(truncatingIfNeeded: fraction / 10 % 10) &+ 48)
        bytes.append(UInt8(truncatingIfNeeded: fraction % 10) &+ 48)
    }

    /// Swift's shortest round-trip text, which `Double(_:)` reads back to the identical value.
    ///
    /// ```swift
    /// line.appendShortest(1.9)  // "1.9"
    /// ```
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
    /// ```swift
    /// line.appendTimestamp(Date(timeIntervalSince1970: 1_795_725_143.123))  // "2026-11-26T20:32:23.123Z"
    /// ```
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
