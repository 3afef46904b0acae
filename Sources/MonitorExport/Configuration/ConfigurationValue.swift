import ProcessMonitor

/// The text forms of configuration values that flags and environment variables share, so
/// `--interval 2s` and `PROCESS_MONITOR_INTERVAL=2s` can never disagree.
package enum ConfigurationValue {
    /// `500ms`, `2s`, `1.5s`, `1m`, `1h`; `nil` for anything else: no unit, a sign, an exponent,
    /// spaces, NaN, or more than a billion seconds.
    package static func duration(_ text: String) -> Duration? {
        guard let seconds = durationSeconds(text), seconds < maximumDurationSeconds else { return nil }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// Why ``duration(_:)`` gave `nil` for `text`, worded to follow the value in an error.
    package static func durationProblem(_ text: String) -> String {
        durationSeconds(text) == nil
            ? "is not a duration such as 500ms, 2s, 1m or 1h"
            : "is too long: a duration must be under a billion seconds (about 31 years)"
    }

    /// Durations at or above this many seconds are refused: a safe margin below `Int64`
    /// nanoseconds' 292 years, and far beyond any interval or threshold that makes sense.
    private static let maximumDurationSeconds = 1e9

    /// The seconds `text` spells, unbounded; `nil` when it is not a number and a unit.
    private static func durationSeconds(_ text: String) -> Double? {
        let units: [(suffix: String, seconds: Double)] = [("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        for unit in units where text.hasSuffix(unit.suffix) {
            let number = text.dropLast(unit.suffix.count)
            // "ms" also ends in "s": "5ms" must not be read as "5m" plus an "s".
            if unit.suffix == "s", number.hasSuffix("m") { continue }
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                  number.filter({ $0 == "." }).count <= 1,
                  let value = Double(number), value.isFinite
            else { return nil }
            let seconds = value * unit.seconds
            return seconds.isFinite ? seconds : nil
        }
        return nil
    }

    /// A duration as a person writes it, in the largest unit that holds it exactly: `10ms`,
    /// `2s`, `1.5s`, `15m`, `24h`.
    ///
    /// `.seconds(86_400)` is `24h`.
    package static func text(_ duration: Duration) -> String {
        let milliseconds = duration.wholeMilliseconds
        for (unit, size) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1000)] where milliseconds != 0 && milliseconds % size == 0 {
            return "\(milliseconds / size)\(unit)"
        }
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        var out = LineBuffer(capacity: 16)
        out.appendSeconds(.milliseconds(milliseconds))
        while out.bytes.last == UInt8(ascii: "0") { out.bytes.removeLast() }
        return out.text + "s"
    }

    /// A whole number within `range`, in plain decimal digits (no sign, no spaces: `+5` is
    /// refused as ` 5` is); `nil` otherwise.
    package static func integer(_ text: String, in range: ClosedRange<Int>) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = Int(text), range.contains(value)
        else { return nil }
        return value
    }

    /// A size in bytes: `4000`, `64KiB`, `10MiB`, `1GiB`; `nil` for anything else or beyond 2^50.
    package static func byteCount(_ text: String) -> Int? {
        let units: [(suffix: String, scale: Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("B", 1), ("", 1)]
        for unit in units where text.hasSuffix(unit.suffix) {
            let number = text.dropLast(unit.suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(number) else { continue }
            let (bytes, overflow) = value.multipliedReportingOverflow(by: unit.scale)
            return overflow || bytes > 1 << 50 ? nil : bytes
        }
        return nil
    }

    /// `KEY=VALUE` pairs separated by `separator`; every key valid for every machine format and
    /// given once. The error says which pair is wrong.
    package static func attributes(_ text: String, separator: Character = ",") throws(ExportError) -> [String: String] {
        var attributes: [String: String] = [:]
        for pair in text.split(separator: separator, omittingEmptySubsequences: false) {
            try add(String(pair), to: &attributes)
        }
        return attributes
    }

    /// Adds one `KEY=VALUE` pair, refusing an invalid key and a key given twice.
    package static func add(_ pair: String, to attributes: inout [String: String]) throws(ExportError) {
        guard let equals = pair.firstIndex(of: "=") else {
            throw ExportError(code: .invalidConfiguration, message: "\(pair.debugDescription) is not KEY=VALUE")
        }
        let key = String(pair[..<equals])
        try MachineAttributes.checkKey(key)
        guard attributes[key] == nil else {
            throw ExportError(code: .invalidConfiguration, message: "attribute \(key.debugDescription) is given twice")
        }
        attributes[key] = String(pair[pair.index(after: equals)...])
    }
}
