extension LineBuffer {
    /// A logfmt value, bare when it can be, quoted and escaped when it must be.
    ///
    /// go-logfmt's encoder quotes a value containing a space or anything below it, `=`, `"`
    /// or U+FFFD, and escapes `\\ \" \n \r \t` and other controls as `\u00XX` inside quotes. We
    /// keep those rules and add three, each still read back identically by go-logfmt's decoder
    /// (it unquotes `\uXXXX`): a value containing `'` is quoted (newer go-logfmt decoders treat
    /// `'` as a quote character); DEL, the C1 controls U+0080–U+009F and U+2028/U+2029 are
    /// quoted and escaped as `\uXXXX`, so no viewer can split the line at U+0085 (NEXT LINE) or
    /// a separator; and the bare word `null` is quoted, since a bare `null` means "unknown".
    /// An empty value is written bare, `label=`, as go-logfmt does.
    ///
    /// `nightly etl` becomes `"nightly etl"`; `ok` stays `ok`.
    mutating func appendLogfmtValue(_ text: String) {
        Self.withUTF8(text) { appendLogfmtValue(utf8: $0) }
    }

    /// The same for bytes of valid UTF-8.
    mutating func appendLogfmtValue(utf8: UnsafeBufferPointer<UInt8>) {
        guard Self.logfmtNeedsQuotes(utf8) else {
            bytes.append(contentsOf: utf8)
            return
        }
        bytes.append(0x22)
        appendEscaping(utf8: utf8) { utf8, index in
            switch utf8[index] {
            case 0x5C: return (1, "\\\\")
            case 0x22: return (1, "\\\"")
            case 0x0A: return (1, "\\n")
            case 0x0D: return (1, "\\r")
            case 0x09: return (1, "\\t")
            case 0x00 ..< 0x20, 0x7F: return (1, nil)
            default: return Self.lineBreakingScalarWidth(utf8, index).map { ($0, nil) }
            }
        }
        bytes.append(0x22)
    }

    /// Whether ``appendLogfmtValue(_:)`` must quote these bytes.
    static func logfmtNeedsQuotes(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        if utf8.count == 4, utf8[0] == UInt8(ascii: "n"), utf8[1] == UInt8(ascii: "u"),
           utf8[2] == UInt8(ascii: "l"), utf8[3] == UInt8(ascii: "l") {
            return true
        }
        // Printable ASCII other than `"`, `'` and `=` is the common case: skip it in a tight loop.
        var index = 0
        while index < utf8.count, utf8[index] > 0x20, utf8[index] < 0x7F, utf8[index] != 0x22, utf8[index] != 0x27,
              utf8[index] != 0x3D {
            index += 1
        }
        while index < utf8.count {
            switch utf8[index] {
            case 0x00 ... 0x20, 0x22, 0x27, 0x3D, 0x7F:
                return true
            case 0xEF where index + 2 < utf8.count && utf8[index + 1] == 0xBF && utf8[index + 2] == 0xBD:
                return true
            default:
                if lineBreakingScalarWidth(utf8, index) != nil { return true }
                index += 1
            }
        }
        return false
    }
}
