extension LineBuffer {
    /// A JSON string literal that is safe on one line and in any JavaScript context.
    ///
    /// `a"b` becomes `"a\"b"`.
    mutating func appendJSONString(_ text: String) {
        bytes.append(0x22)
        appendJSONStringContent(text)
        bytes.append(0x22)
    }

    /// The inside of a JSON string literal.
    ///
    /// Beyond what JSON requires (`"`, `\`, U+0000–U+001F), DEL, the C1 controls U+0080–U+009F
    /// and U+2028/U+2029 are escaped as `\uXXXX`: DEL and C1 controls upset terminals, U+0085
    /// (NEXT LINE) and the two separators end a line for JavaScript, Python's `splitlines` and
    /// some log viewers, and a record must stay one line for every reader.
    mutating func appendJSONStringContent(_ text: String) {
        appendEscaping(text) { utf8, index in
            switch utf8[index] {
            case 0x22: return (1, "\\\"")
            case 0x5C: return (1, "\\\\")
            case 0x0A: return (1, "\\n")
            case 0x0D: return (1, "\\r")
            case 0x09: return (1, "\\t")
            case 0x08: return (1, "\\b")
            case 0x0C: return (1, "\\f")
            case 0x00 ..< 0x20, 0x7F: return (1, nil)
            default: return Self.lineBreakingScalarWidth(utf8, index).map { ($0, nil) }
            }
        }
    }

    /// The UTF-8 width of a C1 control (`C2 80`–`C2 9F`) or U+2028/U+2029 (`E2 80 A8`/`A9`)
    /// starting at `index`, or `nil` when none starts there.
    static func lineBreakingScalarWidth(_ utf8: UnsafeBufferPointer<UInt8>, _ index: Int) -> Int? {
        switch utf8[index] {
        case 0xC2 where index + 1 < utf8.count && (0x80 ... 0x9F).contains(utf8[index + 1]):
            return 2
        case 0xE2 where index + 2 < utf8.count && utf8[index + 1] == 0x80 && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
            return 3
        default:
            return nil
        }
    }

    /// Copies `text`, replacing each scalar `escape` picks: it returns the scalar's byte width and
    /// a literal replacement, or `nil` for `\uXXXX` of the scalar's value. Always inlined, so
    /// each caller's `escape` is compiled into its loop rather than called per byte.
    @inline(__always)
    mutating func appendEscaping(
        _ text: String,
        _ escape: (UnsafeBufferPointer<UInt8>, Int) -> (width: Int, replacement: StaticString?)?
    ) {
        Self.withUTF8(text) { appendEscaping(utf8: $0, escape) }
    }

    /// The same for bytes of valid UTF-8.
    @inline(__always)
    mutating func appendEscaping(
        utf8: UnsafeBufferPointer<UInt8>,
        _ escape: (UnsafeBufferPointer<UInt8>, Int) -> (width: Int, replacement: StaticString?)?
    ) {
        // Most labels need no escape at all: one pass to find the first byte that might.
        var start = 0
        var clean = 0
        while clean < utf8.count, utf8[clean] >= 0x20, utf8[clean] < 0x7F, utf8[clean] != 0x22, utf8[clean] != 0x5C {
            clean += 1
        }
        if clean == utf8.count {
            bytes.append(contentsOf: utf8)
            return
        }
        var index = clean
        while index < utf8.count {
            guard let (width, replacement) = escape(utf8, index) else {
                index += 1
                continue
            }
            if start < index { bytes.append(contentsOf: utf8[start ..< index]) }
            if let replacement {
                append(replacement)
            } else {
                appendJSONUnicodeEscape(Self.scalarValue(utf8, index, width))
            }
            index += width
            start = index
        }
        if start < utf8.count { bytes.append(contentsOf: utf8[start ..< utf8.count]) }
    }

    /// Calls `body` with the UTF-8 bytes of `text`, in place: only a string without contiguous
    /// UTF-8 (a bridged one, never on Linux) is copied first.
    @inline(__always)
    static func withUTF8<Result>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// The scalar value of a 1- to 3-byte UTF-8 sequence known to be valid.
    private static func scalarValue(_ utf8: UnsafeBufferPointer<UInt8>, _ index: Int, _ width: Int) -> UInt32 {
        switch width {
        case 1: return UInt32(utf8[index])
        case 2: return UInt32(utf8[index] & 0x1F) << 6 | UInt32(utf8[index + 1] & 0x3F)
        default:
            return UInt32(utf8[index] & 0x0F) << 12 | UInt32(utf8[index + 1] & 0x3F) << 6 | UInt32(utf8[index + 2] & 0x3F)
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `\uXXXX`, as JSON (and go-logfmt's decoder) read it.
    mutating func appendJSONUnicodeEscape(_ scalar: UInt32) {
        append("\\u")
        bytes.append(Self.hexDigits[Int(scalar >> 12 & 0xF)])
        bytes.append(Self.hexDigits[Int(scalar >> 8 & 0xF)])
        bytes.append(Self.hexDigits[Int(scalar >> 4 & 0xF)])
        bytes.append(Self.hexDigits[Int(scalar & 0xF)])
    }
}
