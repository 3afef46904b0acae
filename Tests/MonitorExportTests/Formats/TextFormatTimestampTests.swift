import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("TextFormat timestamps")
struct TextFormatTimestampTests {
    @Test(
        "RFC 3339 UTC with exactly three fraction digits, rounded to the nearest millisecond",
        arguments: [
            (0.0, "1970-01-01T00:00:00.000Z"),
            (1_795_725_143.123, "2026-11-26T20:32:23.123Z"),
            (1_795_725_143.1234, "2026-11-26T20:32:23.123Z"),
            (1_795_725_143.1236, "2026-11-26T20:32:23.124Z"),
            (1_795_725_143.9996, "2026-11-26T20:32:24.000Z"),  // rounding carries into the second
            (1_709_164_800.5, "2024-02-29T00:00:00.500Z"),  // leap day
            (951_782_400, "2000-02-29T00:00:00.000Z"),  // leap year divisible by 400
            (4_107_542_399.999, "2100-02-28T23:59:59.999Z"),  // 2100 is not a leap year
            (4_107_542_400, "2100-03-01T00:00:00.000Z"),
            (-0.001, "1969-12-31T23:59:59.999Z"),
            (-86_400 * 365.0, "1969-01-01T00:00:00.000Z"),
            (-62_135_596_800, "0001-01-01T00:00:00.000Z"),
            (253_402_300_799.999, "9999-12-31T23:59:59.999Z"),
            (1e15, "9999-12-31T23:59:59.999Z"),  // clamped
            (-1e15, "0000-01-01T00:00:00.000Z"),  // clamped
        ] as [(Double, String)]
    )
    func format(_ seconds: Double, _ expected: String) {
        #expect(formatRFC3339Milliseconds(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test(
        "parsing reads back what formatting writes",
        arguments: [
            "1970-01-01T00:00:00.000Z", "2026-11-26T20:32:23.123Z", "2024-02-29T23:59:59.999Z",
            "1969-12-31T23:59:59.999Z", "0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z",
            "2000-02-29T12:00:00.001Z",
        ]
    )
    func roundTrip(_ text: String) throws {
        let date = try #require(parseRFC3339Milliseconds(text))
        #expect(formatRFC3339Milliseconds(date) == text)
    }

    @Test("parsing yields the instant, to the millisecond")
    func parseValue() throws {
        let date = try #require(parseRFC3339Milliseconds("2026-11-26T20:32:23.123Z"))
        #expect(abs(date.timeIntervalSince1970 - 1_795_725_143.123) < 1e-6)
    }

    @Test("every millisecond of a day survives a format-parse round trip")
    func roundTripSweep() throws {
        let start: Int64 = 1_795_651_200_000  // 2026-11-26T00:00:00.000Z
        for step in stride(from: Int64(0), to: 86_400_000, by: 997) {
            let text = formatRFC3339Milliseconds(Date(timeIntervalSince1970: Double(start + step) / 1000))
            let back = try #require(parseRFC3339Milliseconds(text))
            #expect(Int64((back.timeIntervalSince1970 * 1000).rounded()) == start + step)
        }
    }

    @Test(
        "parsing is strict",
        arguments: [
            "", "2026-11-26T20:32:23Z", "2026-11-26T20:32:23.12Z", "2026-11-26T20:32:23.1234Z",
            "2026-11-26t20:32:23.123Z", "2026-11-26T20:32:23.123z", "2026-11-26 20:32:23.123Z",
            "2026-11-26T20:32:23.123+00:00", "2026-13-01T00:00:00.000Z", "2026-00-01T00:00:00.000Z",
            "2026-02-29T00:00:00.000Z", "2026-04-31T00:00:00.000Z", "2026-11-00T00:00:00.000Z",
            "2026-11-26T24:00:00.000Z", "2026-11-26T20:60:00.000Z", "2026-12-31T23:59:60.000Z",
            "2026-11-26T20:32:2a.123Z", "+026-11-26T20:32:23.123Z", " 2026-11-26T20:32:23.123Z",
            "２026-11-26T20:32:23.123Z",
        ]
    )
    func parseRejects(_ text: String) {
        #expect(parseRFC3339Milliseconds(text) == nil)
    }
}
