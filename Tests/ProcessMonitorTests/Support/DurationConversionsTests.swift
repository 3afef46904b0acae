import Testing

@testable import ProcessMonitor

/// Every duration a heartbeat holds or renders goes through these: exact truncation toward zero
/// and saturation instead of a trap, whatever `Duration` a caller passes.
@Suite struct DurationConversionsTests {
    @Test func wholeMillisecondsTruncateTowardZero() {
        #expect(Duration.milliseconds(142_318).wholeMilliseconds == 142_318)
        #expect(Duration(secondsComponent: 1, attosecondsComponent: 999_999_999_999_999_999).wholeMilliseconds == 1_999)
        #expect(Duration.microseconds(999).wholeMilliseconds == 0)
        #expect(Duration.milliseconds(-1_500).wholeMilliseconds == -1_500)
        #expect(Duration.nanoseconds(-1).wholeMilliseconds == 0)
        #expect(Duration.microseconds(-1_999).wholeMilliseconds == -1)
    }

    @Test func wholeNanosecondsTruncateAndSaturate() {
        #expect(Duration.seconds(3).wholeNanoseconds == 3_000_000_000)
        #expect(Duration(secondsComponent: 0, attosecondsComponent: 1_999_999_999).wholeNanoseconds == 1)
        #expect(Duration(secondsComponent: -2, attosecondsComponent: -500_000_000_000_000_000).wholeNanoseconds == -2_500_000_000)
        // ±292 years is where Int64 nanoseconds end.
        #expect(Duration.seconds(9_223_372_036).wholeNanoseconds == 9_223_372_036_000_000_000)
        #expect(Duration.seconds(9_223_372_037).wholeNanoseconds == .max)
        #expect(Duration.seconds(-9_223_372_037).wholeNanoseconds == .min)
    }

    @Test func hugeDurationsSaturate() {
        let longest = Duration(secondsComponent: .max, attosecondsComponent: 999_999_999_999_999_999)
        #expect(longest.wholeMilliseconds == .max)
        #expect(longest.wholeNanoseconds == .max)
        #expect(Duration.seconds(Int64.min).wholeMilliseconds == .min)
        #expect(Duration.seconds(Int64.max / 1000 + 1).wholeMilliseconds == .max)
        #expect(Duration.seconds(Int64.max / 1000).wholeMilliseconds == Int64.max / 1000 * 1000)
        #expect(UInt64(10).adding(saturating: longest) == 10 + UInt64(Int64.max), "292 years at most: never, in practice")
        #expect(UInt64.max - 5 == (UInt64.max - 5).adding(saturating: .zero))
        #expect((UInt64.max - 5).adding(saturating: .seconds(1)) == .max)
        #expect(UInt64(10).adding(saturating: .seconds(-5)) == 10)
    }
}
