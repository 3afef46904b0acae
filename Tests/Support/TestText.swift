import Testing

/// A string test argument that shows escaped in the test's name on the terminal.
///
/// Several tests feed text with ESC, U+202E (right-to-left override), U+2028 or raw newlines on
/// purpose. Swift Testing prints a `String` argument as it is, so those names recoloured the
/// terminal, reversed the rest of the line or broke over two lines. Declare such a parameter as
/// `TestText` (string literals still work) and use `.value` in the body.
///
/// ```swift
/// @Test(arguments: ["plain", "escape \u{1b}[31m"] as [TestText])
/// func survives(_ text: TestText) { #expect(!render(text.value).contains("\u{1b}")) }
/// ```
package struct TestText: Sendable, ExpressibleByStringLiteral, CustomTestStringConvertible {
    /// The text itself, unescaped.
    package let value: String

    package init(_ value: String) {
        self.value = value
    }

    package init(stringLiteral value: String) {
        self.value = value
    }

    /// Quoted, with C0/DEL/C1 controls, bidirectional and zero-width controls, line separators
    /// and the BOM written as `\u{…}` (and `\n`, `\r`, `\t`, `\"`, `\\` as in Swift).
    package var testDescription: String {
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if Self.isUnprintable(scalar) {
                    text += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return text + "\""
    }

    /// Scalars a terminal acts on or hides instead of showing.
    package static func isUnprintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00 ... 0x1F, 0x7F ... 0x9F: true  // C0, DEL, C1 (U+0085 breaks lines too)
        case 0x061C, 0x200B ... 0x200F, 0x202A ... 0x202E, 0x2066 ... 0x2069: true  // bidi and zero-width controls
        case 0x2028, 0x2029, 0xFEFF: true  // line and paragraph separators, BOM
        default: false
        }
    }
}
