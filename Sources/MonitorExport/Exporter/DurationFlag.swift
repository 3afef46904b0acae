import ProcessMonitor

extension Duration {
    /// Parses a flag value such as `500ms`, `2s`, `1.5s`, `1m` or `1h`; `nil` when it is not one.
    ///
    /// Negative and non-finite values are not durations here.
    ///
    /// ```swift
    /// Duration(flagValue: "500ms")  // .milliseconds(500)
    /// Duration(flagValue: "2")      // nil: a unit is required
    /// ```
    public init?(flagValue text: String) {
        let units: [(String, Double)] = [("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                let value = Double(number), value.isFinite, value >= 0, value * scale < 1e9
            else { return nil }
            self = .nanoseconds(Int64((value * scale * 1e9).rounded()))
            return
        }
        return nil
    }
}
