// Everything the report shows comes from logs, so every label, lane name, attribute, file name
// and error message is untrusted text. It goes through these functions and nothing else.

enum HTMLEscaping {
    /// Appends `text` escaped for HTML element content *and* double- or single-quoted attribute
    /// values, so one function serves both and a caller cannot pick the weaker one.
    ///
    /// Beyond `& < > " '`:
    /// - control characters (other than tab and line feed) and noncharacters are parse errors in
    ///   HTML and may be dropped or shown as nothing by a browser, which would hide them; they are
    ///   written visibly as `\u{1b}`, the way the text format quotes labels;
    /// - line and paragraph separators (U+2028, U+2029) and line feeds become numeric
    ///   references, so the output stays one value per line of source and no script context
    ///   (there is none today) could ever see a raw separator.
    static func append(_ text: some StringProtocol, to out: inout String) {
        // Fast path: most labels need no escaping at all.
        if !text.utf8.contains(where: needsAttention) {
            out += text
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n": out += "&#10;"
            case "\t": out += "&#9;"
            case "\u{2028}": out += "&#x2028;"
            case "\u{2029}": out += "&#x2029;"
            default:
                if isHidden(scalar) {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
    }

    /// `text` escaped; see ``append(_:to:)``.
    static func escape(_ text: some StringProtocol) -> String {
        var out = ""
        append(text, to: &out)
        return out
    }

    /// Bytes that may start something to escape: ASCII specials and controls, and every
    /// non-ASCII lead byte (the scalar is then checked in full).
    private static func needsAttention(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"): true
        case 0..<0x20, 0x7F: true
        case 0x80...: byte == 0xC2 || byte == 0xE2 || byte == 0xEF || byte >= 0xF0
        default: false
        }
    }

    /// C0 and C1 controls, DEL, and noncharacters: what HTML calls parse errors in the input
    /// stream.
    private static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x20 || (0x7F...0x9F).contains(value) { return true }
        if (0xFDD0...0xFDEF).contains(value) { return true }
        return value & 0xFFFE == 0xFFFE
    }
}
