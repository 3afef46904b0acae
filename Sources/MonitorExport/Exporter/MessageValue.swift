/// How an error message or a warning quotes a value someone gave: whole when it is short, else
/// cut at a character boundary and followed by its length, so a 1 MiB value never makes a
/// 1 MiB line and the reader still learns how long it was.
package enum MessageValue {
    /// The longest value, in UTF-8 bytes, shown whole.
    package static let maxBytes = 200

    /// `value` itself when it fits in `maxBytes`; otherwise its longest prefix of whole
    /// characters that fits, then `…` and the length: `/tmp/aaaa…(1048576 bytes)`.
    package static func excerpt(_ value: String, maxBytes: Int = maxBytes) -> String {
        let (kept, total) = prefix(value, maxBytes: maxBytes)
        guard let kept else { return value }
        return kept + "…(\(total) bytes)"
    }

    /// `value` quoted and escaped as Swift's `debugDescription` spells it, cut as ``excerpt(_:maxBytes:)``
    /// cuts: `"aaaa"…(1048576 bytes)`.
    package static func quoted(_ value: String, maxBytes: Int = maxBytes) -> String {
        let (kept, total) = prefix(value, maxBytes: maxBytes)
        guard let kept else { return value.debugDescription }
        return kept.debugDescription + "…(\(total) bytes)"
    }

    /// The prefix to show (nil when the whole value fits) and the value's length in bytes.
    private static func prefix(_ value: String, maxBytes: Int) -> (String?, Int) {
        let total = value.utf8.count
        guard total > maxBytes else { return (nil, total) }
        var budget = max(0, maxBytes)
        var end = value.startIndex
        for character in value {
            let size = character.utf8.count
            if size > budget { break }
            budget -= size
            end = value.index(after: end)
        }
        return (String(value[..<end]), total)
    }
}
