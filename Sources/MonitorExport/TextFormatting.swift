import ProcessMonitor

/// The seed's value renderers: durations, byte sizes, fixed-point decimals and Rust `{:?}` quoting.
///
/// Users grep the seed's log lines, so each helper reproduces the exact bytes the Rust
/// `format!` machinery produced for the same value (checked against rustc 1.95, see
/// `TextFormatTests.swift`). Every helper appends to a caller's `String` so a whole line is
/// built without intermediate strings or Foundation formatting (which is locale-sensitive).
///
/// ```swift
/// var line = "elapsed="
/// TextFormatting.appendDuration(.seconds(142), to: &line)  // "elapsed=2m22s"
/// ```
package enum TextFormatting {
    // MARK: Durations

    /// Appends the seed's `format_duration`: whole seconds, truncated, as `{h}h{mm}m{ss}s`,
    /// `{m}m{ss}s` or `{s}s`.
    ///
    /// Rust's `Duration` cannot be negative, ours can (a clock stepped back): a negative
    /// duration renders `0s` rather than a sign no parser of the seed's lines expects.
    ///
    /// ```swift
    /// var s = ""
    /// TextFormatting.appendDuration(.seconds(3600), to: &s)  // "1h00m00s"
    /// ```
    package static func appendDuration(_ duration: Duration, to out: inout String) {
        // `components.seconds` is the floor; for non-negative values floor is truncation.
        let seconds = duration.components.seconds
        let total = seconds < 0 ? 0 : UInt64(seconds)
        let hours = total / 3600
        let minutes = (total % 3600) / 60
        let secs = total % 60
        if hours > 0 {
            appendInteger(hours, to: &out)
            out.append("h")
            appendTwoDigits(minutes, to: &out)
            out.append("m")
            appendTwoDigits(secs, to: &out)
            out.append("s")
        } else if minutes > 0 {
            appendInteger(minutes, to: &out)
            out.append("m")
            appendTwoDigits(secs, to: &out)
            out.append("s")
        } else {
            appendInteger(secs, to: &out)
            out.append("s")
        }
    }

    /// The seed's `format_duration` as a new string.
    ///
    /// ```swift
    /// TextFormatting.duration(.seconds(60))  // "1m00s"
    /// ```
    package static func duration(_ duration: Duration) -> String {
        var out = ""
        appendDuration(duration, to: &out)
        return out
    }

    // MARK: Byte sizes

    /// Appends the seed's `format_bytes`: `B` below 1024, else one decimal of KiB, MiB or GiB,
    /// `<unknown>` for `nil`.
    ///
    /// The unit is chosen on the value converted to `Double` and the quotient is rounded
    /// afterwards, as the seed does, so 1048575 bytes renders `1024.0KiB`, not `1.0MiB`.
    ///
    /// ```swift
    /// var s = ""
    /// TextFormatting.appendBytes(1536, to: &s)  // "1.5KiB"
    /// ```
    package static func appendBytes(_ bytes: UInt64?, to out: inout String) {
        guard let bytes else {
            out.append("<unknown>")
            return
        }
        let kib = 1024.0
        let mib = kib * 1024.0
        let gib = mib * 1024.0
        let value = Double(bytes)
        if value >= gib {
            appendFixed(value / gib, fractionDigits: 1, to: &out)
            out.append("GiB")
        } else if value >= mib {
            appendFixed(value / mib, fractionDigits: 1, to: &out)
            out.append("MiB")
        } else if value >= kib {
            appendFixed(value / kib, fractionDigits: 1, to: &out)
            out.append("KiB")
        } else {
            appendInteger(bytes, to: &out)
            out.append("B")
        }
    }

    /// The seed's `format_bytes` as a new string.
    ///
    /// ```swift
    /// TextFormatting.bytes(1_048_575)  // "1024.0KiB"
    /// ```
    package static func bytes(_ bytes: UInt64?) -> String {
        var out = ""
        appendBytes(bytes, to: &out)
        return out
    }

    // MARK: Integers

    /// Appends the decimal digits of `value` without allocating an intermediate `String`.
    ///
    /// ```swift
    /// var s = "depth="
    /// TextFormatting.appendInteger(3, to: &s)  // "depth=3"
    /// ```
    package static func appendInteger(_ value: UInt64, to out: inout String) {
        if value < 10 {
            out.unicodeScalars.append(Unicode.Scalar(UInt8(truncatingIfNeeded: value) &+ 48))
            return
        }
        // 20 digits hold UInt64.max.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var index = 20
            var rest = value
            while rest > 0 {
                index -= 1
                buffer[index] = UInt8(truncatingIfNeeded: rest % 10) &+ 48
                rest /= 10
            }
            out.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[index...]), as: UTF8.self))
        }
    }

    /// Appends a signed integer: a `-` and the magnitude.
    ///
    /// ```swift
    /// var s = ""
    /// TextFormatting.appendInteger(-4 as Int, to: &s)  // "-4"
    /// ```
    package static func appendInteger(_ value: Int, to out: inout String) {
        if value < 0 { out.append("-") }
        appendInteger(UInt64(value.magnitude), to: &out)
    }

    private static func appendTwoDigits(_ value: UInt64, to out: inout String) {
        out.unicodeScalars.append(Unicode.Scalar(UInt8(truncatingIfNeeded: value / 10) &+ 48))
        out.unicodeScalars.append(Unicode.Scalar(UInt8(truncatingIfNeeded: value % 10) &+ 48))
    }

    // MARK: Fixed-point decimals

    /// Appends `value` with exactly `fractionDigits` decimals, as Rust's `{:.N}` (and glibc's
    /// `%.Nf`) print it: the exact binary value rounded half to even.
    ///
    /// The exact value matters: 0.05 is stored as 0.05000000000000000277 and prints `0.1`,
    /// 0.35 is stored as 0.34999999999999997780 and prints `0.3`, while 68.25 is an exact tie
    /// and prints `68.2`. Foundation's `String(format:)` would do the same through `vsnprintf`,
    /// but it honours the C locale's decimal separator, which a host process may have changed.
    /// Non-finite values print as Rust does: `NaN`, `inf`, `-inf`; negative zero keeps its sign.
    ///
    /// ```swift
    /// var s = ""
    /// TextFormatting.appendFixed(68.25, fractionDigits: 1, to: &s)  // "68.2"
    /// ```
    package static func appendFixed(_ value: Double, fractionDigits: Int, to out: inout String) {
        precondition((0 ... 18).contains(fractionDigits), "fractionDigits must be 0...18 (got \(fractionDigits))")
        if value.isNaN {
            out.append("NaN")
            return
        }
        if value.sign == .minus { out.append("-") }
        if value.isInfinite {
            out.append("inf")
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
        var scale: UInt128 = 1
        for _ in 0 ..< fractionDigits { scale *= 10 }

        if exponent >= 0 {
            // An integer: no rounding, only (possibly many) digits.
            if exponent <= 74 {
                appendUInt128(UInt128(significand) << exponent, to: &out)
            } else {
                appendLargeInteger(significand: significand, shift: exponent, to: &out)
            }
            if fractionDigits > 0 {
                out.append(".")
                for _ in 0 ..< fractionDigits { out.append("0") }
            }
            return
        }

        // value * 10^p == scaled / 2^shift; scaled < 2^53 * 10^18 < 2^113 fits in UInt128.
        let shift = -exponent
        let scaled = UInt128(significand) * scale
        var units: UInt128
        if shift >= 114 {
            // scaled / 2^shift < 1/2: rounds to zero.
            units = 0
        } else {
            units = scaled >> shift
            let remainder = scaled & ((1 << shift) - 1)
            let half: UInt128 = 1 << (shift - 1)
            if remainder > half || (remainder == half && units & 1 == 1) {
                units += 1
            }
        }
        appendUnits(units, fractionDigits: fractionDigits, to: &out)
    }

    /// `appendFixed` as a new string.
    ///
    /// ```swift
    /// TextFormatting.fixed(0.05, fractionDigits: 1)  // "0.1"
    /// ```
    package static func fixed(_ value: Double, fractionDigits: Int) -> String {
        var out = ""
        appendFixed(value, fractionDigits: fractionDigits, to: &out)
        return out
    }

    /// Appends `units / 10^fractionDigits` with a point before the last `fractionDigits` digits.
    private static func appendUnits(_ units: UInt128, fractionDigits: Int, to out: inout String) {
        if fractionDigits == 0 {
            appendUInt128(units, to: &out)
            return
        }
        var digits: [UInt8] = []
        digits.reserveCapacity(40)
        var rest = units
        while rest > 0 {
            digits.append(UInt8(truncatingIfNeeded: rest % 10) &+ 48)
            rest /= 10
        }
        while digits.count <= fractionDigits { digits.append(48) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count + 1)
        for index in stride(from: digits.count - 1, through: 0, by: -1) {
            if index == fractionDigits - 1 { bytes.append(46) }  // "."
            bytes.append(digits[index])
        }
        out.append(String(decoding: bytes, as: UTF8.self))
    }

    private static func appendUInt128(_ value: UInt128, to out: inout String) {
        if value <= UInt128(UInt64.max) {
            appendInteger(UInt64(value), to: &out)
            return
        }
        var digits: [UInt8] = []
        digits.reserveCapacity(40)
        var rest = value
        while rest > 0 {
            digits.append(UInt8(truncatingIfNeeded: rest % 10) &+ 48)
            rest /= 10
        }
        out.append(String(decoding: digits.reversed(), as: UTF8.self))
    }

    /// Digits of `significand << shift` for doubles of 2^128 and more (up to ~1.8e308): a
    /// little-endian base-2^32 big integer divided by 10^9 until nothing is left.
    private static func appendLargeInteger(significand: UInt64, shift: Int, to out: inout String) {
        let limbShift = shift / 32
        let bitShift = shift % 32
        var limbs = [UInt32](repeating: 0, count: limbShift + 4)
        let wide = UInt128(significand) << bitShift
        limbs[limbShift] = UInt32(truncatingIfNeeded: wide)
        limbs[limbShift + 1] = UInt32(truncatingIfNeeded: wide >> 32)
        limbs[limbShift + 2] = UInt32(truncatingIfNeeded: wide >> 64)
        limbs[limbShift + 3] = UInt32(truncatingIfNeeded: wide >> 96)
        var chunks: [UInt32] = []  // base 10^9, least significant first
        while limbs.last == 0 { limbs.removeLast() }
        while !limbs.isEmpty {
            var remainder: UInt64 = 0
            for index in stride(from: limbs.count - 1, through: 0, by: -1) {
                let current = (remainder << 32) | UInt64(limbs[index])
                limbs[index] = UInt32(current / 1_000_000_000)
                remainder = current % 1_000_000_000
            }
            chunks.append(UInt32(remainder))
            while limbs.last == 0 { limbs.removeLast() }
        }
        appendInteger(UInt64(chunks[chunks.count - 1]), to: &out)
        for chunk in chunks.dropLast().reversed() {
            var text = String(chunk)
            if text.utf8.count < 9 { text = String(repeating: "0", count: 9 - text.utf8.count) + text }
            out.append(text)
        }
    }

    // MARK: Progress and CPU

    /// Appends the seed's progress part: ` progress=a/b (P%)`, or ` progress=a/?` when the total
    /// is unknown (0). The percentage is `(cur / total) * 100` in `Double`, printed with `{:.0}`.
    ///
    /// ```swift
    /// var s = ""
    /// TextFormatting.appendProgress(current: 1, total: 8, to: &s)  // " progress=1/8 (12%)"
    /// ```
    package static func appendProgress(current: UInt64, total: UInt64, to out: inout String) {
        out.append(" progress=")
        appendInteger(current, to: &out)
        out.append("/")
        if total > 0 {
            appendInteger(total, to: &out)
            out.append(" (")
            appendFixed((Double(current) / Double(total)) * 100.0, fractionDigits: 0, to: &out)
            out.append("%)")
        } else {
            out.append("?")
        }
    }

    /// Appends the seed's CPU part: `cpu=68.3/72 cores (avg over 1m00s)` or `cpu=<warming-up>`.
    ///
    /// The seed always knew its window; when ours is unknown the ` (avg over …)` part is left
    /// out rather than invented.
    ///
    /// ```swift
    /// var s = ""
    /// TextFormatting.appendCPU(CPUUsage(coresBusy: 1.94, availableCores: 2, window: .seconds(60)), to: &s)
    /// // "cpu=1.9/2 cores (avg over 1m00s)"
    /// ```
    package static func appendCPU(_ cpu: CPUUsage, to out: inout String) {
        guard let cores = cpu.coresBusy else {
            out.append("cpu=<warming-up>")
            return
        }
        out.append("cpu=")
        appendFixed(cores, fractionDigits: 1, to: &out)
        if let available = cpu.availableCores {
            out.append("/")
            appendInteger(available, to: &out)
        }
        out.append(" cores")
        if let window = cpu.window {
            out.append(" (avg over ")
            appendDuration(window, to: &out)
            out.append(")")
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
    /// Rust 1.95 uses Unicode 17; this uses the Swift runtime's Unicode tables, so the two can
    /// differ only for scalars assigned in one version and unassigned (Cn) in the other.
    ///
    /// ```swift
    /// var s = ""
    /// TextFormatting.appendDebugQuoted("a\"b\n", to: &s)  // "\"a\\\"b\\n\""
    /// ```
    package static func appendDebugQuoted(_ label: String, to out: inout String) {
        out.append("\"")
        if label.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E && $0 != 0x22 && $0 != 0x5C }) {
            // Printable ASCII without quote or backslash: the common case, copied as is.
            out.append(label)
        } else {
            for scalar in label.unicodeScalars {
                appendDebugEscaped(scalar, to: &out)
            }
        }
        out.append("\"")
    }

    /// `appendDebugQuoted` as a new string.
    ///
    /// ```swift
    /// TextFormatting.debugQuoted("a\u{a0}b")  // "\"a\\u{a0}b\""
    /// ```
    package static func debugQuoted(_ label: String) -> String {
        var out = ""
        appendDebugQuoted(label, to: &out)
        return out
    }

    private static func appendDebugEscaped(_ scalar: Unicode.Scalar, to out: inout String) {
        switch scalar {
        case "\0": out.append("\\0")
        case "\t": out.append("\\t")
        case "\r": out.append("\\r")
        case "\n": out.append("\\n")
        case "\\": out.append("\\\\")
        case "\"": out.append("\\\"")
        default:
            if scalar.isASCII {
                if scalar.value >= 0x20 && scalar.value < 0x7F {
                    out.unicodeScalars.append(scalar)
                } else {
                    appendUnicodeEscape(scalar, to: &out)
                }
            } else if scalar.properties.isGraphemeExtend || !isRustPrintable(scalar) {
                appendUnicodeEscape(scalar, to: &out)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }

    /// Rust's `core::unicode::printable::is_printable`, generated from the general categories.
    package static func isRustPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator:
            return false
        case .spaceSeparator:
            return scalar == " "
        default:
            return true
        }
    }

    /// Appends a lane name the way the seed printed thread names, raw, but with every scalar
    /// that could split, hide or reorder a line escaped as `{:?}` would (`\n`, `\u{1b}`,
    /// `\u{202e}`), so a rendered line is always one physical, readable line.
    ///
    /// Escaped: `\0 \t \r \n`, and general categories Cc, Cf, Cs, Co, Cn, Zl and Zp as
    /// `\u{hex}`. Left raw, as in the seed: quotes, backslashes, spaces, combining marks. An
    /// ordinary name (`ThreadId(3)/worker`) is therefore byte-for-byte the seed's.
    ///
    /// ```swift
    /// var s = ""
    /// TextFormatting.appendLaneName("ThreadId(2)/a\nb", to: &s)  // "ThreadId(2)/a\\nb"
    /// ```
    package static func appendLaneName(_ name: String, to out: inout String) {
        if name.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) {
            out.append(name)
            return
        }
        for scalar in name.unicodeScalars {
            switch scalar {
            case "\0": out.append("\\0")
            case "\t": out.append("\\t")
            case "\r": out.append("\\r")
            case "\n": out.append("\\n")
            default:
                switch scalar.properties.generalCategory {
                case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator:
                    appendUnicodeEscape(scalar, to: &out)
                default:
                    out.unicodeScalars.append(scalar)
                }
            }
        }
    }

    private static func appendUnicodeEscape(_ scalar: Unicode.Scalar, to out: inout String) {
        out.append("\\u{")
        out.append(String(scalar.value, radix: 16, uppercase: false))
        out.append("}")
    }
}
