/// Size limits every format honours, so one heartbeat can never produce an unreadable line.
///
/// Container runtimes (Docker, CRI) split lines longer than 16 KiB, which breaks every parser
/// downstream; a label of megabytes would do it on its own. Labels are cut at a character
/// boundary with a visible marker, and a format keeps each line within ``maxLineBytes``.
///
/// ```swift
/// let limits = try ExportLimits(maxLabelBytes: 128)
/// let format = TextFormat(limits: limits)
/// ```
public struct ExportLimits: Sendable, Equatable {
    /// Longest label, in UTF-8 bytes, before it is cut. Default 256; allowed 16 through 4096.
    public let maxLabelBytes: Int
    /// Longest line, in UTF-8 bytes without the newline. Default 16 KiB; allowed 2 KiB through 1 MiB
    /// (a record with every figure at its largest and the full attribute budget needs about
    /// 1.2 KiB before any label).
    public let maxLineBytes: Int
    /// Most `[STALL]` lines (extended text) and `msg=stall` lines (logfmt) per heartbeat; the
    /// rest are counted on one line of their own. Default 32; allowed 1 through 10,000. The
    /// record formats (JSON Lines, OTLP) list every stall, within ``maxLineBytes``; the seed's
    /// text style never caps, as the seed did not.
    public let maxStallLines: Int

    /// The allowed range of ``maxLabelBytes``.
    package static let maxLabelBytesRange: ClosedRange<Int> = 16 ... 4096
    /// The allowed range of ``maxLineBytes``.
    package static let maxLineBytesRange: ClosedRange<Int> = 2048 ... (1 << 20)
    /// The allowed range of ``maxStallLines``.
    package static let maxStallLinesRange: ClosedRange<Int> = 1 ... 10_000

    /// The defaults: 256-byte labels, 16 KiB lines, 32 stall lines.
    public static let `default` = ExportLimits(uncheckedLabel: 256, line: 16 * 1024, stalls: 32)

    /// Creates limits, throwing an ``ExportError`` that names the field when one is out of range.
    public init(maxLabelBytes: Int = 256, maxLineBytes: Int = 16 * 1024, maxStallLines: Int = 32) throws(ExportError) {
        guard Self.maxLabelBytesRange.contains(maxLabelBytes) else {
            throw ExportError(
                code: .invalidConfiguration,
                message: "maxLabelBytes must be between \(Self.maxLabelBytesRange.lowerBound) and "
                    + "\(Self.maxLabelBytesRange.upperBound) (got \(maxLabelBytes))"
            )
        }
        guard Self.maxLineBytesRange.contains(maxLineBytes) else {
            throw ExportError(
                code: .invalidConfiguration,
                message: "maxLineBytes must be between \(Self.maxLineBytesRange.lowerBound) and "
                    + "\(Self.maxLineBytesRange.upperBound) (got \(maxLineBytes))"
            )
        }
        guard Self.maxStallLinesRange.contains(maxStallLines) else {
            throw ExportError(
                code: .invalidConfiguration,
                message: "maxStallLines must be between \(Self.maxStallLinesRange.lowerBound) and "
                    + "\(Self.maxStallLinesRange.upperBound) (got \(maxStallLines))"
            )
        }
        self.init(uncheckedLabel: maxLabelBytes, line: maxLineBytes, stalls: maxStallLines)
    }

    private init(uncheckedLabel: Int, line: Int, stalls: Int) {
        maxLabelBytes = uncheckedLabel
        maxLineBytes = line
        maxStallLines = stalls
    }

    /// The same limits with labels cut as hard as allowed: the fallback when labels of escaped
    /// control characters would push a line past the limit.
    var tightened: ExportLimits {
        ExportLimits(uncheckedLabel: Self.maxLabelBytesRange.lowerBound, line: maxLineBytes, stalls: maxStallLines)
    }

    /// The marker that ends a cut label: what follows says how many bytes were cut.
    ///
    /// With 1200 bytes cut, `…[+1200 bytes]`.
    package static func truncationMarker(cutBytes: Int) -> String { "…[+\(cutBytes) bytes]" }

    /// `label` itself when it fits in ``maxLabelBytes``; otherwise its longest prefix of whole
    /// characters that fits together with the truncation marker, then the marker.
    ///
    /// With `maxLabelBytes` 16, `a fairly long phase label` becomes `a …[+23 bytes]`: the 14-byte
    /// marker leaves room for 2 bytes of the label.
    public func cap(_ label: String) -> String { Self.cut(label, maxBytes: maxLabelBytes) }

    /// The one cutting rule for labels and whole lines: `text` itself when it fits in `maxBytes`
    /// UTF-8 bytes; otherwise its longest prefix of whole characters that fits together with
    /// ``truncationMarker(cutBytes:)``, then the marker.
    package static func cut(_ text: String, maxBytes: Int) -> String {
        let total = text.utf8.count
        guard total > maxBytes else { return text }
        // The marker's length depends on the number it carries; a bound that is one digit too
        // long only cuts one more character, so take the marker for the worst case first. When
        // even the marker does not fit (a tiny limit and a huge text), a bare "…" keeps the
        // promise that nothing exceeds the limit.
        let fullMarker = truncationMarker(cutBytes: total).utf8.count <= maxBytes
        var budget = maxBytes - (fullMarker ? truncationMarker(cutBytes: total).utf8.count : 3)
        var kept = 0
        var end = text.startIndex
        for character in text {
            let size = character.utf8.count
            if size > budget { break }
            budget -= size
            kept += size
            end = text.index(after: end)
        }
        return String(text[..<end]) + (fullMarker ? truncationMarker(cutBytes: total - kept) : "…")
    }
}
