import Foundation

// RFC 3339 timestamps with exactly three fraction digits, read and written by hand: every log
// aggregator parses this shape, and `DateFormatter`/`ISO8601DateFormatter` are slow, locale- and
// calendar-sensitive and not guaranteed to print a fixed number of fraction digits. The writer
// is `LineBuffer.appendTimestamp(_:)`; this file holds the calendar arithmetic and the reader.

/// A `Date` as UTC calendar fields, rounded to the nearest millisecond and clamped to the years
/// 0000...9999 that RFC 3339's four-digit year can hold.
struct CivilTime {
    var year: Int64
    var month: Int64
    var day: Int64
    var hour: Int64
    var minute: Int64
    var second: Int64
    var millisecond: Int64

    init(_ date: Date) {
        // 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z in ms since 1970.
        let minimum: Int64 = -62_167_219_200_000
        let maximum: Int64 = 253_402_300_799_999
        let raw = (date.timeIntervalSince1970 * 1000).rounded()
        let milliseconds: Int64
        if raw.isNaN {
            milliseconds = 0
        } else if raw <= Double(minimum) {
            milliseconds = minimum
        } else if raw >= Double(maximum) {
            milliseconds = maximum
        } else {
            milliseconds = Int64(raw)
        }
        let (days, msOfDay) = floorDivide(milliseconds, 86_400_000)
        (year, month, day) = civilDate(daysSince1970: days)
        hour = msOfDay / 3_600_000
        minute = msOfDay / 60_000 % 60
        second = msOfDay / 1000 % 60
        millisecond = msOfDay % 1000
    }
}

/// `date` as `YYYY-MM-DDTHH:MM:SS.mmmZ`; see ``LineBuffer/appendTimestamp(_:)``.
func formatRFC3339Milliseconds(_ date: Date) -> String {
    var line = LineBuffer(capacity: 24)
    line.appendTimestamp(date)
    return line.text
}

/// Parses exactly `YYYY-MM-DDTHH:MM:SS.mmmZ` (what ``LineBuffer/appendTimestamp(_:)`` writes);
/// `nil` for anything else.
///
/// Strict on purpose: it reads our own records back, so a lowercase `t`/`z`, an offset, a
/// different number of fraction digits, a leap second (`:60`) or an impossible date such as
/// February 30 is a sign the record is not ours or is corrupt.
///
/// `2026-11-26T20:32:23.123Z` gives 1795725143.123 seconds since 1970; `2026-11-26T20:32:23Z` (no
/// milliseconds) gives `nil`.
func parseRFC3339Milliseconds(_ text: String) -> Date? {
    let bytes = Array(text.utf8)
    guard bytes.count == 24,
        bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54,
        bytes[13] == 0x3A, bytes[16] == 0x3A, bytes[19] == 0x2E, bytes[23] == 0x5A
    else { return nil }
    func number(_ start: Int, _ count: Int) -> Int64? {
        var value: Int64 = 0
        for index in start ..< start + count {
            let byte = bytes[index]
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + Int64(byte - 0x30)
        }
        return value
    }
    guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
        let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
        let millis = number(20, 3)
    else { return nil }
    guard (1 ... 12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
        hour < 24, minute < 60, second < 60
    else { return nil }
    let days = daysSince1970(year: year, month: month, day: day)
    let milliseconds = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis
    return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
}

private func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
    var quotient = value / divisor
    var remainder = value % divisor
    if remainder < 0 {
        quotient -= 1
        remainder += divisor
    }
    return (quotient, remainder)
}

private func isLeapYear(_ year: Int64) -> Bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

private func daysInMonth(year: Int64, month: Int64) -> Int64 {
    switch month {
    case 2: isLeapYear(year) ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
}

// Howard Hinnant's `days_from_civil` / `civil_from_days` (proleptic Gregorian calendar), which
// need no tables and are exact for every year this format can hold.
private func daysSince1970(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
}

private func civilDate(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
}
