import ProcessMonitor

extension LineBuffer {
    // MARK: Durations

    /// Appends the seed's `format_duration`: whole seconds, truncated, as `{h}h{mm}m{ss}s`,
    /// `{m}m{ss}s` or `{s}s`.
    ///
    /// Rust's `Duration` cannot be negative, ours can (a clock stepped back): a negative
    /// duration renders `0s` rather than a sign no parser of the seed's lines expects.
    ///
    /// 60 seconds is `1m00s`.
    mutating func appendDuration(_ duration: Duration) {
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

    /// Appends a duration as ``appendDuration(_:)`` does, with tenths of a second, truncated:
    /// `0.8s`, `4.9s`, `1m05.3s`, `1h02m05.3s`. The extended style's stall ages: a stall
    /// threshold may be below a second, and `stuck=0s` says nothing.
    mutating func appendDurationTenths(_ duration: Duration) {
        let milliseconds = duration.components.seconds < 0 ? 0 : UInt64(clamping: duration.wholeMilliseconds)
        let total = milliseconds / 1000
        let tenths = (milliseconds % 1000) / 100
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
        bytes.append(0x2E)  // .
        appendInteger(tenths)
        bytes.append(0x73)  // s
    }

    // MARK: Byte sizes

    /// Appends the seed's `format_bytes`: `B` below 1024, else one decimal of KiB, MiB or GiB;
    /// `<unknown>` for `nil`.
    ///
    /// The unit is chosen on the value converted to `Double` and the quotient is rounded
    /// afterwards, as the seed does, so 1048575 bytes renders `1024.0KiB`, not `1.0MiB`.
    ///
    /// 1536 is `1.5KiB`.
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
    /// `fractionDigits` is clamped to 0...18.
    package mutating func appendFixed(_ value: Double, fractionDigits: Int) {
        // Callers pass constants; clamping instead of trapping keeps a slip out of the host job.
        let fractionDigits = min(max(fractionDigits, 0), 18)
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
    /// 1 of 8 is ` progress=1/8 (12%)`.
    mutating func appendProgress(current: UInt64, total: UInt64) {
        append(" progress=")
        appendProgressFraction(current: current, total: total)
    }

    /// `a/b (P%)`, or `a/?` when the total is unknown (0): the progress part without its key,
    /// for the text lines and the machine formats' one-line summary alike.
    ///
    /// 114 of 400 is `114/400 (28%)`.
    mutating func appendProgressFraction(current: UInt64, total: UInt64) {
        appendInteger(current)
        bytes.append(0x2F)  // /
        if total > 0 {
            appendInteger(total)
            append(" (")
            appendPercent(used: current, of: total)
            append(")")
        } else {
            bytes.append(0x3F)  // ?
        }
    }

    /// `P%`: `used / limit` as a whole percentage, as the seed prints progress
    /// (`(cur as f64 / total as f64) * 100.0` with `{:.0}`), so a text line, a WARN line and
    /// a machine format's summary give the same number for the same values (114/400 is 28%,
    /// since 28.5 is not exact in binary). A zero limit reads `100%`.
    ///
    /// 950 of 1000 is `95%`.
    mutating func appendPercent(used: UInt64, of limit: UInt64) {
        appendFixed(limit == 0 ? 100 : (Double(used) / Double(limit)) * 100.0, fractionDigits: 0)
        bytes.append(0x25)  // %
    }

    /// Appends the seed's CPU part: `cpu=68.3/72 cores (avg over 1m00s)` or `cpu=<warming-up>`.
    ///
    /// The seed always knew its window; when ours is unknown the ` (avg over …)` part is left
    /// out rather than invented.
    ///
    /// 1.94 of 2 cores over 60 seconds is `cpu=1.9/2 cores (avg over 1m00s)`.
    mutating func appendCPU(_ cpu: CPUUsage) {
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
    mutating func appendCores(_ cores: Double) {
        if cores.isFinite, cores >= 0, cores < 9e15, cores == cores.rounded(.towardZero) {
            appendInteger(UInt64(cores))
        } else if cores.isFinite {
            append(cores.description)
        } else {
            append("0")
        }
    }

    // MARK: Quoting

    /// Appends `word` bare when it is a plain identifier (`[a-z0-9_.]`, as kernel function and
    /// system call names are), otherwise quoted as ``appendDebugQuoted(_:)`` quotes a label, so
    /// what a kernel or a fixture reports can never break a line.
    ///
    /// `pipe_read` stays bare; `a b` becomes `"a b"`.
    mutating func appendDebugQuotedIfNeeded(_ word: String) {
        let plain = !word.isEmpty && word.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F || byte == 0x2E
        }
        if plain { append(word) } else { appendDebugQuoted(word) }
    }


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
    /// `a"b` and a newline become `"a\"b\n"`.
    mutating func appendDebugQuoted(_ label: String) {
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
                            appendRustUnicodeEscape(scalar)
                        }
                    } else if scalar.properties.isGraphemeExtend || !Self.isRustPrintable(scalar) {
                        appendRustUnicodeEscape(scalar)
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
    /// `ThreadId(2)/a`, a newline and `b` become `ThreadId(2)/a\nb`.
    mutating func appendLaneText(_ text: String) {
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
                    appendRustUnicodeEscape(scalar)
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
    mutating func appendLane(_ lane: LaneID, limits: ExportLimits) {
        append(lane.kind == .thread ? "ThreadId(" : "TaskId(")
        appendInteger(lane.number)
        bytes.append(0x29)  // )
        if let name = lane.name {
            bytes.append(0x2F)  // /
            appendLaneText(limits.cap(name))
        }
    }

    mutating func appendRustUnicodeEscape(_ scalar: Unicode.Scalar) {
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
