import Foundation
import MonitorExport
import ProcessMonitor

// Every figure in the report is written by hand, not through `String(format:)` or a
// `DateFormatter`: the report must be byte-for-byte the same for the same input on any host
// (tests compare it), whatever the locale, and SVG coordinates are written by the ten thousand.

enum ReportFormatting {
    /// An SVG coordinate with at most one decimal (`12`, `12.5`): a tenth of a pixel is below
    /// what a screen shows, and shorter numbers keep a large report small. Non-finite values,
    /// which no caller should pass, are written as 0 rather than as text SVG rejects.
    static func appendCoordinate(_ value: Double, to out: inout String) {
        guard value.isFinite else {
            out += "0"
            return
        }
        let tenths = Int((min(max(value, -1e9), 1e9) * 10).rounded())
        if tenths < 0 { out += "-" }
        let magnitude = tenths.magnitude
        out += String(magnitude / 10)
        let fraction = magnitude % 10
        if fraction != 0 {
            out += "."
            out += String(fraction)
        }
    }

    /// ``appendCoordinate(_:to:)`` as a string.
    static func coordinate(_ value: Double) -> String {
        var out = ""
        appendCoordinate(value, to: &out)
        return out
    }

    /// What `body` writes into a fresh line buffer: the seed's renderers the text format uses.
    private static func rendered(_ body: (inout LineBuffer) -> Void) -> String {
        var buffer = LineBuffer(capacity: 32)
        body(&buffer)
        return buffer.text
    }

    /// A duration in seconds for people: `850ms`, `12.3s`, `4m05s`, `2h03m`, `3d04h`.
    static func duration(seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let negative = seconds < 0
        let value = abs(seconds)
        let text: String
        if value < 1 {
            text = "\(Int((value * 1000).rounded(.down)))ms"
        } else if value < 60 {
            text = rendered { $0.appendFixed((value * 10).rounded(.down) / 10, fractionDigits: 1) } + "s"
        } else if value < 3600 {
            let whole = Int(value)
            text = "\(whole / 60)m" + twoDigits(whole % 60) + "s"
        } else if value < 86400 {
            let whole = Int(value)
            text = "\(whole / 3600)h" + twoDigits(whole / 60 % 60) + "m"
        } else if value < 1e12 {
            let whole = Int(value)
            text = "\(whole / 86400)d" + twoDigits(whole / 3600 % 24) + "h"
        } else {
            text = "forever"
        }
        return negative ? "-" + text : text
    }

    /// A `Duration` for people; see ``duration(seconds:)``.
    static func duration(_ value: Duration) -> String {
        duration(seconds: seconds(value))
    }

    /// An offset on a time axis: `0`, `+12.3s`, `+4m05s`.
    static func offset(seconds: Double) -> String {
        if seconds == 0 { return "0" }
        return seconds < 0 ? duration(seconds: seconds) : "+" + duration(seconds: seconds)
    }

    /// A wall-clock time: `2026-11-26 21:07:36.905 UTC`.
    static func wallClock(seconds: Double) -> String {
        let text = rendered { $0.appendTimestamp(Date(timeIntervalSince1970: seconds.isFinite ? seconds : 0)) }
        // `2026-11-26T21:07:36.905Z` reads better with a space and a spelled-out zone.
        return text.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
    }

    /// A byte count for people, as the text format writes it: `19.9MiB`.
    static func bytes(_ value: Double) -> String {
        guard value.isFinite, value >= 0 else { return "?" }
        return rendered { $0.appendBytes(value >= 1.8e19 ? UInt64.max : UInt64(value)) }
    }

    /// A plain number with up to `digits` decimals, trailing zeros dropped: `2`, `1.5`, `0.33`.
    static func number(_ value: Double, digits: Int = 2) -> String {
        guard value.isFinite else { return "?" }
        if abs(value) >= 1e15 { return rendered { $0.appendFixed(value, fractionDigits: 0) } }
        var text = rendered { $0.appendFixed(value, fractionDigits: max(0, min(digits, 6))) }
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// An integer with thin grouping for readability: `10,000`.
    static func count<T: BinaryInteger>(_ value: T) -> String {
        let digits = String(value.magnitude)
        var out = value < 0 ? "-" : ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(character)
        }
        return out
    }

    /// `1480/2000 (74%), 333.1/s, ETA 1.5s`, or `17/?, 5.7/s` when the total is unknown.
    static func progress(_ progress: ProgressReading) -> String {
        var text = "\(progress.current)/"
        if let fraction = progress.fraction {
            text += "\(progress.total) (\(number(fraction * 100, digits: 0))%)"
        } else {
            text += "?"
        }
        if let rate = progress.unitsPerSecond { text += ", \(number(rate, digits: 1))/s" }
        if let eta = progress.estimatedRemaining, progress.current < progress.total {
            text += ", ETA \(duration(eta))"
        }
        return text
    }

    /// `1 record`, `2 records`; `plural` for words that do not just take an s.
    static func plural(_ count: Int, _ word: String, plural: String? = nil) -> String {
        "\(Self.count(count)) " + (count == 1 ? word : plural ?? word + "s")
    }

    /// A date as seconds since 1970, finite whatever the `Date` holds, so no position or
    /// ordering computed from it can be NaN.
    static func time(_ date: Date) -> Double {
        let seconds = date.timeIntervalSince1970
        return seconds.isFinite ? seconds : 0
    }

    /// A `Duration` in seconds, without the `Double` rounding of the attosecond part mattering.
    static func seconds(_ value: Duration) -> Double {
        let (seconds, attoseconds) = value.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : String(value)
    }
}
