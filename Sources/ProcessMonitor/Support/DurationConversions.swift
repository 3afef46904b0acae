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
    ///
    /// Every duration a heartbeat renders passes through this. Below 2^79 attoseconds (about
    /// seven days) it needs no 128-bit division (a runtime call): 10^15 is 2^15 × 5^15, and
    /// after the shift the quotient by 5^15 is a 64-bit division by a constant, which compiles
    /// to a multiplication. Longer durations take the one 128-bit division (`components` would
    /// cost one more).
    package var wholeMilliseconds: Int64 {
        let attoseconds = attoseconds
        let magnitude = attoseconds.magnitude
        guard magnitude >> 79 == 0 else { return Int64(clamping: attoseconds / 1_000_000_000_000_000) }
        let milliseconds = Int64(UInt64(truncatingIfNeeded: magnitude >> 15) / 30_517_578_125)  // 5^15
        return attoseconds < 0 ? -milliseconds : milliseconds
    }

    /// Whole nanoseconds, truncated toward zero, saturated at the `Int64` range (±292 years).
    package var wholeNanoseconds: Int64 { Int64(clamping: attoseconds / 1_000_000_000) }
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
