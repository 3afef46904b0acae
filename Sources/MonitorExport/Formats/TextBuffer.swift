import ProcessMonitor

/// The seed's value renderers: durations, byte sizes, fixed-point decimals and Rust `{:?}` quoting,
/// each as a string. ``TextBuffer`` has the same renderers appending bytes to a line.
///
/// Users grep the seed's log lines, so each renderer reproduces the exact bytes the Rust
/// `format!` machinery produced for the same value (checked against rustc 1.95, see
/// `TextFormatTests.swift` and `Tests/MonitorExportTests/Fixtures/`).
///
/// ```swift
/// TextFormatting.duration(.seconds(142))          // "2m22s"
/// TextFormatting.bytes(1_048_575)                 // "1024.0KiB"
/// TextFormatting.fixed(68.25, fractionDigits: 1)  // "68.2"
/// TextFormatting.debugQuoted("cafe\u{301}")        // "\"cafe\\u{301}\""
/// ```
package enum TextFormatting {
    /// The seed's `format_duration`; see ``TextBuffer/appendDuration(_:)``.
    ///
    /// ```swift
    /// TextFormatting.duration(.seconds(3600))  // "1h00m00s"
    /// ```
    package static func duration(_ value: Duration) -> String {
        render { $0.appendDuration(value) }
    }

    /// The seed's `format_bytes`; see ``TextBuffer/appendBytes(_:)``.
    ///
    /// ```swift
    /// TextFormatting.bytes(nil)  // "<unknown>"
    /// ```
    package static func bytes(_ value: UInt64?) -> String {
        render { $0.appendBytes(value) }
    }

    /// Rust's `{:.N}`; see ``TextBuffer/appendFixed(_:fractionDigits:)``.
    ///
    /// ```swift
    /// TextFormatting.fixed(0.05, fractionDigits: 1)  // "0.1"
    /// ```
    package static func fixed(_ value: Double, fractionDigits: Int) -> String {
        render { $0.appendFixed(value, fractionDigits: fractionDigits) }
    }

    /// The seed's progress part; see ``TextBuffer/appendProgress(current:total:)``.
    ///
    /// ```swift
    /// TextFormatting.progress(current: 1, total: 8)  // " progress=1/8 (12%)"
    /// ```
    package static func progress(current: UInt64, total: UInt64) -> String {
        render { $0.appendProgress(current: current, total: total) }
    }

    /// The seed's CPU part; see ``TextBuffer/appendCPU(_:)``.
    ///
    /// ```swift
    /// TextFormatting.cpu(CPUUsage())  // "cpu=<warming-up>"
    /// ```
    package static func cpu(_ value: CPUUsage) -> String {
        render { $0.appendCPU(value) }
    }

    /// Rust's `{:?}` of a string; see ``TextBuffer/appendDebugQuoted(_:)``.
    ///
    /// ```swift
    /// TextFormatting.debugQuoted("a\u{a0}b")  // "\"a\\u{a0}b\""
    /// ```
    package static func debugQuoted(_ label: String) -> String {
        render { $0.appendDebugQuoted(label) }
    }

    /// A lane name made safe for one line; see ``TextBuffer/appendLaneText(_:)``.
    ///
    /// ```swift
    /// TextFormatting.laneText("ThreadId(2)/a\nb")  // "ThreadId(2)/a\\nb"
    /// ```
    package static func laneText(_ text: String) -> String {
        render { $0.appendLaneText(text) }
    }

    private static func render(_ body: (inout TextBuffer) -> Void) -> String {
        var buffer = TextBuffer(capacity: 32)
        body(&buffer)
        return buffer.text
    }
}

/// One line under construction, as UTF-8 bytes.
///
/// Rendering a heartbeat appends a few dozen short pieces per line; appending bytes to one
/// reserved array and decoding it once is several times faster than growing a `String` piece by
/// piece, and keeps a heartbeat of 8 phases and 2 stalls within a few microseconds.
///
/// ```swift
/// var line = TextBuffer()
/// line.append("elapsed=")
/// line.appendDuration(.seconds(142))
/// line.text  // "elapsed=2m22s"
/// ```
package struct TextBuffer {
    /// The bytes so far.
    package private(set) var bytes: [UInt8]

    /// Creates an empty buffer with room for `capacity` bytes.
    ///
    /// ```swift
    /// var line = TextBuffer(capacity: 512)
    /// ```
    package init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The bytes as a `String` (always valid UTF-8: only whole scalars are ever appended).
    package var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Number of bytes so far.
    package var count: Int { bytes.count }

    /// Empties the buffer and keeps its storage for the next line.
    ///
    /// ```swift
    /// line.removeAll()
    /// ```
    package mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    // MARK: Raw pieces

    /// Appends a literal.
    ///
    /// ```swift
    /// line.append(" rss=")
    /// ```
    package mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends a string's UTF-8 bytes.
    ///
    /// ```swift
    /// line.append(timestamp)
    /// ```
    package mutating func append(_ string: String) {
        if string.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
            bytes.append(contentsOf: string.utf8)  // a bridged, non-contiguous string
        }
    }

    /// Appends a string's UTF-8 bytes.
    ///
    /// ```swift
    /// line.append(name[...])
    /// ```
    package mutating func append(_ string: Substring) {
        if string.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
            bytes.append(contentsOf: string.utf8)
        }
    }

    private mutating func append(scalar: Unicode.Scalar) {
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
    private mutating func reverseTail(from start: Int) {
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
    package mutating func appendInteger(_ value: UInt64) {
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
    package mutating func appendInteger(_ value: Int) {
        if value < 0 { bytes.append(0x2D) }
        appendInteger(UInt64(value.magnitude))
    }

    private mutating func appendTwoDigits(_ value: UInt64) {
        bytes.append(UInt8(truncatingIfNeeded: value / 10) &+ 48)
        bytes.append(UInt8(truncatingIfNeeded: value % 10) &+ 48)
    }

    private mutating func appendUInt128(_ value: UInt128) {
        if value <= UInt128(UInt64.max) {
            appendInteger(UInt64(value))
            return
        }
        appendDigits(value)
    }

    /// The decimal digits of a positive integer, least significant first, then reversed.
    private mutating func appendDigits<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        let start = bytes.count
        var rest = value
        while rest > 0 {
            bytes.append(UInt8(truncatingIfNeeded: rest % 10) &+ 48)
            rest /= 10
        }
        reverseTail(from: start)
    }

    // MARK: Durations

    /// Appends the seed's `format_duration`: whole seconds, truncated, as `{h}h{mm}m{ss}s`,
    /// `{m}m{ss}s` or `{s}s`.
    ///
    /// Rust's `Duration` cannot be negative, ours can (a clock stepped back): a negative
    /// duration renders `0s` rather than a sign no parser of the seed's lines expects.
    ///
    /// ```swift
    /// line.appendDuration(.seconds(60))  // "1m00s"
    /// ```
    package mutating func appendDuration(_ duration: Duration) {
        // `components.seconds` is the floor; for non-negative values floor is truncation.
        let seconds = duration.components.seconds
        let total = seconds < 0 ? 0 : UInt64(seconds)
        let hours = total / 3600
        let minutes = (total % 3600) / 60
        let secs = total % 60
        if hours > 0 {
            appendInteger(hours)
            bytes.append(0x68)  // h
            appendTwoDigits(minutes)
            bytes.append(0x6D)  // m
            appendTwoDigits(secs)
        } else if minutes > 0 {
            appendInteger(minutes)
            bytes.append(0x6D)  // m
            appendTwoDigits(secs)
        } else {
            appendInteger(secs)
        }
        bytes.append(0x73)  // s
    }

    // MARK: Byte sizes

    /// Appends the seed's `format_bytes`: `B` below 1024, else one decimal of KiB, MiB or GiB;
    /// `<unknown>` for `nil`.
    ///
    /// The unit is chosen on the value converted to `Double` and the quotient is rounded
    /// afterwards, as the seed does, so 1048575 bytes renders `1024.0KiB`, not `1.0MiB`.
    ///
    /// ```swift
    /// line.appendBytes(1536)  // "1.5KiB"
    /// ```
    package mutating func appendBytes(_ value: UInt64?) {
        guard let value else {
            append("<unknown>")
            return
        }
        let kib = 1024.0
        let mib = kib * 1024.0
        let gib = mib * 1024.0
        let double = Double(value)
        if double >= gib {
            appendFixed(double / gib, fractionDigits: 1)
            append("GiB")
        } else if double >= mib {
            appendFixed(double / mib, fractionDigits: 1)
            append("MiB")
        } else if double >= kib {
            appendFixed(double / kib, fractionDigits: 1)
            append("KiB")
        } else {
            appendInteger(value)
            bytes.append(0x42)  // B
        }
    }

    // MARK: Fixed-point decimals

    /// Appends `value` with exactly `fractionDigits` decimals, as Rust's `{:.N}` (and glibc's
    /// `%.Nf`) print it: the exact binary value rounded half to even.
    ///
    /// The exact value matters: 0.05 is stored as 0.05000000000000000277 and prints `0.1`,
    /// 0.35 is stored as 0.34999999999999997780 and prints `0.3`, while 68.25 is an exact tie
    /// and prints `68.2`. `String(format:)` would get there through `vsnprintf`, but it honours
    /// the C locale's decimal separator, which a host process may have changed, and is slow.
    /// Non-finite values print as Rust does: `NaN`, `inf`, `-inf`; negative zero keeps its sign.
    ///
    /// ```swift
    /// line.appendFixed(68.25, fractionDigits: 1)  // "68.2"
    /// ```
    package mutating func appendFixed(_ value: Double, fractionDigits: Int) {
        precondition((0 ... 18).contains(fractionDigits), "fractionDigits must be 0...18 (got \(fractionDigits))")
        if value.isNaN {
            append("NaN")
            return
        }
        if value.sign == .minus { bytes.append(0x2D) }
        if value.isInfinite {
            append("inf")
            return
        }
        let magnitude = value.magnitude
        // magnitude == significand * 2^exponent exactly, with significand < 2^53.
        let significand: UInt64
        let exponent: Int
        if magnitude.isNormal {
            significand = magnitude.significandBitPattern | (1 << 52)
            exponent = Int(magnitude.exponentBitPattern) - 1075
        } else {
            significand = magnitude.significandBitPattern
            exponent = -1074
        }

        if exponent >= 0 {
            // An integer: no rounding, only (possibly many) digits.
            if exponent <= 74 {
                appendUInt128(UInt128(significand) << exponent)
            } else {
                appendLargeInteger(significand: significand, shift: exponent)
            }
            if fractionDigits > 0 {
                bytes.append(0x2E)
                for _ in 0 ..< fractionDigits { bytes.append(0x30) }
            }
            return
        }

        // value * 10^p == scaled / 2^shift exactly; scaled < 2^53 * 10^18 < 2^113.
        var scale: UInt64 = 1
        for _ in 0 ..< fractionDigits { scale &*= 10 }
        let shift = -exponent
        let (high, low) = significand.multipliedFullWidth(by: scale)
        if high == 0 && shift < 64 {
            // The common case (p <= 2, value >= 2^-11) in 64-bit arithmetic.
            var units = low >> shift
            let remainder = low & ((1 << shift) &- 1)
            let half: UInt64 = 1 << (shift - 1)
            if remainder > half || (remainder == half && units & 1 == 1) {
                units += 1
            }
            appendUnits(UInt128(units), fractionDigits: fractionDigits)
            return
        }
        let scaled = UInt128(high) << 64 | UInt128(low)
        var units: UInt128 = 0
        if shift < 114 {  // from 2^114 on, scaled / 2^shift < 1/2 rounds to zero
            units = scaled >> shift
            let remainder = scaled & ((1 << shift) - 1)
            let half: UInt128 = 1 << (shift - 1)
            if remainder > half || (remainder == half && units & 1 == 1) {
                units += 1
            }
        }
        appendUnits(units, fractionDigits: fractionDigits)
    }

    /// Appends `units / 10^fractionDigits` with a point before the last `fractionDigits` digits.
    private mutating func appendUnits(_ units: UInt128, fractionDigits: Int) {
        if fractionDigits == 0 {
            appendUInt128(units)
            return
        }
        let start = bytes.count
        var produced = 0
        if units <= UInt128(UInt64.max) {
            // 128-bit division is a library call; every realistic figure fits in 64 bits.
            var rest = UInt64(units)
            while rest > 0 || produced <= fractionDigits {
                if produced == fractionDigits { bytes.append(0x2E) }
                bytes.append(UInt8(truncatingIfNeeded: rest % 10) &+ 48)
                rest /= 10
                produced += 1
            }
        } else {
            var rest = units
            while rest > 0 || produced <= fractionDigits {
                if produced == fractionDigits { bytes.append(0x2E) }
                bytes.append(UInt8(truncatingIfNeeded: rest % 10) &+ 48)
                rest /= 10
                produced += 1
            }
        }
        reverseTail(from: start)
    }

    /// Digits of `significand << shift` for doubles of 2^128 and more (up to ~1.8e308): a
    /// little-endian base-2^32 big integer divided by 10^9 until nothing is left.
    private mutating func appendLargeInteger(significand: UInt64, shift: Int) {
        let limbShift = shift / 32
        var limbs = [UInt32](repeating: 0, count: limbShift + 4)
        let wide = UInt128(significand) << (shift % 32)
        for index in 0 ..< 4 {
            limbs[limbShift + index] = UInt32(truncatingIfNeeded: wide >> (32 * index))
        }
        var chunks: [UInt64] = []  // base 10^9, least significant first
        while limbs.last == 0 { limbs.removeLast() }
        while !limbs.isEmpty {
            var remainder: UInt64 = 0
            for index in stride(from: limbs.count - 1, through: 0, by: -1) {
                let current = (remainder << 32) | UInt64(limbs[index])
                limbs[index] = UInt32(current / 1_000_000_000)
                remainder = current % 1_000_000_000
            }
            chunks.append(remainder)
            while limbs.last == 0 { limbs.removeLast() }
        }
        appendInteger(chunks[chunks.count - 1])
        for chunk in chunks.dropLast().reversed() {
            var divisor: UInt64 = 100_000_000
            while divisor > 0 {
                bytes.append(UInt8(truncatingIfNeeded: chunk / divisor % 10) &+ 48)
                divisor /= 10
            }
        }
    }

    // MARK: Progress and CPU

    /// Appends the seed's progress part: ` progress=a/b (P%)`, or ` progress=a/?` when the total
    /// is unknown (0). The percentage is `(cur / total) * 100` in `Double`, printed with `{:.0}`.
    ///
    /// ```swift
    /// line.appendProgress(current: 1, total: 8)  // " progress=1/8 (12%)"
    /// ```
    package mutating func appendProgress(current: UInt64, total: UInt64) {
        append(" progress=")
        appendInteger(current)
        bytes.append(0x2F)  // /
        if total > 0 {
            appendInteger(total)
            append(" (")
            appendFixed((Double(current) / Double(total)) * 100.0, fractionDigits: 0)
            append("%)")
        } else {
            bytes.append(0x3F)  // ?
        }
    }

    /// Appends the seed's CPU part: `cpu=68.3/72 cores (avg over 1m00s)` or `cpu=<warming-up>`.
    ///
    /// The seed always knew its window; when ours is unknown the ` (avg over …)` part is left
    /// out rather than invented.
    ///
    /// ```swift
    /// line.appendCPU(CPUUsage(coresBusy: 1.94, availableCores: 2, window: .seconds(60)))
    /// // "cpu=1.9/2 cores (avg over 1m00s)"
    /// ```
    package mutating func appendCPU(_ cpu: CPUUsage) {
        guard let cores = cpu.coresBusy else {
            append("cpu=<warming-up>")
            return
        }
        append("cpu=")
        appendFixed(cores, fractionDigits: 1)
        if let available = cpu.availableCores {
            bytes.append(0x2F)  // /
            appendCores(available)
        }
        append(" cores")
        if let window = cpu.window {
            // The seed printed its configured interval; we print the measured window, which
            // lands a few milliseconds either side of it. Rounding to the nearest second keeps
            // `(avg over 1m00s)` for a 59.998 s window instead of a misleading `59s`; a whole
            // number of seconds prints exactly as the seed did.
            append(" (avg over ")
            appendDuration(window + .milliseconds(500))
            bytes.append(0x29)  // )
        }
    }

    /// Appends a core count: whole numbers as integers, as the seed printed its `usize`
    /// (`2`), fractional quotas in Swift's shortest round-trip form (`0.5`, `1.25`).
    ///
    /// ```swift
    /// line.appendCores(2)    // "2"
    /// line.appendCores(0.5)  // "0.5"
    /// ```
    package mutating func appendCores(_ cores: Double) {
        if cores.isFinite, cores >= 0, cores < 9e15, cores == cores.rounded(.towardZero) {
            appendInteger(UInt64(cores))
        } else if cores.isFinite {
            append(cores.description)
        } else {
            append("0")
        }
    }

    // MARK: Quoting

    /// Appends `label` quoted exactly as Rust's `format!("{:?}", label)` quotes a `str`.
    ///
    /// What rustc 1.95's `impl Debug for str` does (core/src/fmt/mod.rs): it calls
    /// `char::escape_debug_ext` on every char with `escape_grapheme_extended: true`,
    /// `escape_double_quote: true`, `escape_single_quote: false`. So, unlike
    /// `str::escape_debug()` (which escapes a grapheme extender only as the first char), `{:?}`
    /// escapes every grapheme extender wherever it stands: `"cafe\u{301}"`. In order, a char
    /// becomes `\0 \t \r \n \\ \"`; else `\u{hex}` if it is non-ASCII with the Grapheme_Extend
    /// property; else itself if `is_printable` (everything but general categories Cc, Cf, Cs,
    /// Co, Cn, Zl, Zp and Zs other than U+0020); else `\u{hex}`. Hex is lowercase, unpadded.
    /// rustc 1.95 uses Unicode 17 and we use the Swift runtime's tables; a test compares all
    /// 1,112,064 scalars with a table rustc printed (`Fixtures/rust-debug-escaped-ranges.txt`).
    ///
    /// ```swift
    /// line.appendDebugQuoted("a\"b\n")  // "\"a\\\"b\\n\""
    /// ```
    package mutating func appendDebugQuoted(_ label: String) {
        bytes.append(0x22)
        // Printable ASCII without quote or backslash, the common case, is copied as is.
        let copied = label.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for byte in utf8 where byte < 0x20 || byte > 0x7E || byte == 0x22 || byte == 0x5C {
                return false
            }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied != true {
            for scalar in label.unicodeScalars {
                switch scalar {
                case "\0": append("\\0")
                case "\t": append("\\t")
                case "\r": append("\\r")
                case "\n": append("\\n")
                case "\\": append("\\\\")
                case "\"": append("\\\"")
                default:
                    if scalar.isASCII {
                        if scalar.value >= 0x20 && scalar.value < 0x7F {
                            bytes.append(UInt8(scalar.value))
                        } else {
                            appendUnicodeEscape(scalar)
                        }
                    } else if scalar.properties.isGraphemeExtend || !Self.isRustPrintable(scalar) {
                        appendUnicodeEscape(scalar)
                    } else {
                        append(scalar: scalar)
                    }
                }
            }
        }
        bytes.append(0x22)
    }

    /// Rust's `core::unicode::printable::is_printable`, which is generated from the general
    /// categories above.
    static func isRustPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator:
            return false
        case .spaceSeparator:
            return scalar == " "
        default:
            return true
        }
    }

    /// Appends a lane's text the way the seed printed thread names: raw, but with every scalar
    /// that could split, hide or reorder a line escaped as `{:?}` would (`\n`, `\u{1b}`,
    /// `\u{202e}`), so a rendered line is always one physical, readable line.
    ///
    /// Escaped: `\0 \t \r \n`, and general categories Cc, Cf, Cs, Co, Cn, Zl and Zp as
    /// `\u{hex}`. Left raw, as in the seed: quotes, backslashes, spaces, combining marks. An
    /// ordinary name (`ThreadId(3)/worker`) is therefore byte for byte the seed's.
    ///
    /// ```swift
    /// line.appendLaneText("ThreadId(2)/a\nb")  // "ThreadId(2)/a\\nb"
    /// ```
    package mutating func appendLaneText(_ text: String) {
        let copied = text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for byte in utf8 where byte < 0x20 || byte > 0x7E {
                return false
            }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied == true { return }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\0": append("\\0")
            case "\t": append("\\t")
            case "\r": append("\\r")
            case "\n": append("\\n")
            default:
                switch scalar.properties.generalCategory {
                case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator:
                    appendUnicodeEscape(scalar)
                default:
                    append(scalar: scalar)
                }
            }
        }
    }

    /// Appends `lane` as ``LaneID/description`` spells it (`ThreadId(3)/worker`), with the name
    /// cut by `limits` like a label and made safe by ``appendLaneText(_:)``.
    ///
    /// Written out here rather than through `description`, whose string interpolation costs
    /// more than the rest of a phase line; a test holds the two spellings together.
    ///
    /// ```swift
    /// line.appendLane(.thread(3, name: "worker"), limits: .default)  // "ThreadId(3)/worker"
    /// ```
    package mutating func appendLane(_ lane: LaneID, limits: ExportLimits) {
        append(lane.kind == .thread ? "ThreadId(" : "TaskId(")
        appendInteger(lane.number)
        bytes.append(0x29)  // )
        if let name = lane.name {
            bytes.append(0x2F)  // /
            appendLaneText(limits.cap(name))
        }
    }

    private mutating func appendUnicodeEscape(_ scalar: Unicode.Scalar) {
        append("\\u{")
        let start = bytes.count
        var rest = scalar.value
        repeat {
            let nibble = UInt8(truncatingIfNeeded: rest & 0xF)
            bytes.append(nibble < 10 ? nibble &+ 48 : nibble &+ 87)
            rest >>= 4
        } while rest > 0
        reverseTail(from: start)
        bytes.append(0x7D)  // }
    }
}
