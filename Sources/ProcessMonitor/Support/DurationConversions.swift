// Durations come from callers (timeouts, configuration, flags, environment variables) and can
// be anything `Duration` holds, up to ±9.2e18 seconds: every conversion here saturates instead
// of trapping on overflow.

extension Duration {
    /// The duration in seconds as a `Double` (attosecond precision is not needed for display).
    @usableFromInline
    package var secondsAsDouble: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Whole milliseconds, truncated toward zero, saturated at the `Int64` range.
    package var wholeMilliseconds: Int64 { whole(unitsPerSecond: 1000, attosecondsPerUnit: 1_000_000_000_000_000) }

    /// Whole nanoseconds, truncated toward zero, saturated at the `Int64` range (±292 years).
    package var wholeNanoseconds: Int64 { whole(unitsPerSecond: 1_000_000_000, attosecondsPerUnit: 1_000_000_000) }

    private func whole(unitsPerSecond: Int64, attosecondsPerUnit: Int64) -> Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: unitsPerSecond)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflowAdding) = scaled.addingReportingOverflow(attoseconds / attosecondsPerUnit)
        if overflowAdding { return seconds < 0 ? .min : .max }
        return total
    }
}

extension UInt64 {
    /// `self + duration`, for deadlines on a nanosecond clock: a negative duration counts as
    /// zero and the sum saturates at `UInt64.max` (a deadline that never comes).
    package func adding(saturating duration: Duration) -> UInt64 {
        let nanoseconds = duration.wholeNanoseconds
        guard nanoseconds > 0 else { return self }
        let (sum, overflow) = addingReportingOverflow(UInt64(nanoseconds))
        return overflow ? .max : sum
    }
}
