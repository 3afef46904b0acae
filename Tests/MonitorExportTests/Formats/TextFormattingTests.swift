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

// Expected strings come from rustc 1.95 running the seed's own format strings on the same values:
// Fixtures/seed_text_lines.rs prints the full lines, Fixtures/rust_debug_escapes.rs the table of
// scalars `{:?}` escapes. Table values for `{:.0}`/`{:.1}`, bytes and labels were printed the
// same way (`println!("{:.1}", v)`, `println!("{:?}", label)`).

@Suite("TextFormatting helpers")
struct TextFormattingTests {
    @Test(
        "durations truncate to whole seconds",
        arguments: [
            (Duration.zero, "0s"),
            (.milliseconds(999), "0s"),
            (.seconds(1), "1s"),
            (.milliseconds(59_999), "59s"),
            (.seconds(59), "59s"),
            (.seconds(60), "1m00s"),
            (.seconds(61), "1m01s"),
            (.milliseconds(142_700), "2m22s"),
            (.seconds(599), "9m59s"),
            (.seconds(3599), "59m59s"),
            (.seconds(3600), "1h00m00s"),
            (.seconds(3661), "1h01m01s"),
            (.milliseconds(3_725_900), "1h02m05s"),
            (.seconds(86_399), "23h59m59s"),
            (.seconds(86_400), "24h00m00s"),
            (.seconds(360_000), "100h00m00s"),
            (.seconds(1 << 40), "305419896h36m16s"),
            (.milliseconds(-1500), "0s"),
        ]
    )
    func duration(_ value: Duration, _ expected: String) {
        #expect(TextFormatting.duration(value) == expected)
    }

    @Test(
        "bytes: B below 1024, else one decimal of KiB/MiB/GiB chosen before rounding",
        arguments: [
            (UInt64?.none, "<unknown>"),
            (0, "0B"),
            (1, "1B"),
            (1023, "1023B"),
            (1024, "1.0KiB"),
            (1025, "1.0KiB"),
            (1536, "1.5KiB"),
            (1_048_575, "1024.0KiB"),
            (1_048_576, "1.0MiB"),
            (12_582_912, "12.0MiB"),
            (1_073_741_823, "1024.0MiB"),
            (1_073_741_824, "1.0GiB"),
            (1_099_511_627_776, "1024.0GiB"),
            (1_125_899_906_842_624, "1048576.0GiB"),
            (UInt64.max, "17179869184.0GiB"),
        ] as [(UInt64?, String)]
    )
    func bytes(_ value: UInt64?, _ expected: String) {
        #expect(TextFormatting.bytes(value) == expected)
    }

    @Test(
        "decimals round the exact binary value half to even, as rustc prints {:.0} and {:.1}",
        arguments: [
            (0.0, "0", "0.0"),
            (0.04, "0", "0.0"),
            (0.05, "0", "0.1"),  // stored slightly above 0.05
            (0.049999999999999996, "0", "0.0"),  // the double just below
            (0.15, "0", "0.1"),  // stored slightly below
            (0.25, "0", "0.2"),  // exact tie: to even
            (0.35, "0", "0.3"),  // stored slightly below
            (0.45, "0", "0.5"),  // stored slightly above
            (0.5, "0", "0.5"),  // exact tie at {:.0}: to even
            (0.95, "1", "0.9"),
            (1.05, "1", "1.1"),
            (1.5, "2", "1.5"),
            (2.5, "2", "2.5"),
            (9.95, "10", "9.9"),
            (12.5, "12", "12.5"),
            (68.25, "68", "68.2"),
            (68.35, "68", "68.3"),
            (99.5, "100", "99.5"),
            (99.9, "100", "99.9"),
            (99.95, "100", "100.0"),
            (100.5, "100", "100.5"),
            (123_456.789, "123457", "123456.8"),
            (9_007_199_254_740_994.0, "9007199254740994", "9007199254740994.0"),
            (1e20, "100000000000000000000", "100000000000000000000.0"),
            (-0.0, "-0", "-0.0"),
            (-0.25, "-0", "-0.2"),
            (Double.nan, "NaN", "NaN"),
            (Double.infinity, "inf", "inf"),
            (-Double.infinity, "-inf", "-inf"),
            (Double.leastNonzeroMagnitude, "0", "0.0"),
        ]
    )
    func fixed(_ value: Double, _ zeroDigits: String, _ oneDigit: String) {
        #expect(TextFormatting.fixed(value, fractionDigits: 0) == zeroDigits)
        #expect(TextFormatting.fixed(value, fractionDigits: 1) == oneDigit)
    }

    @Test("doubles of 2^128 and more print every integer digit")
    func hugeDecimals() {
        #expect(TextFormatting.fixed(0x1p128, fractionDigits: 1) == "340282366920938463463374607431768211456.0")
        #expect(
            TextFormatting.fixed(1e300, fractionDigits: 0)
                == "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160"
        )
        let max = TextFormatting.fixed(.greatestFiniteMagnitude, fractionDigits: 1)
        #expect(max.hasPrefix("179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878"))
        #expect(max.hasSuffix("858368.0"))
        #expect(max.utf8.count == 309 + 2)
    }

    /// glibc's `printf` prints the exact binary value rounded half to even (in the "C" locale the
    /// test process runs in), so it is an independent oracle for many more values than a table.
    @Test("decimals agree with glibc printf on ties, near-ties and 40,000 pseudo-random values")
    func fixedAgreesWithPrintf() {
        var values: [Double] = []
        for tenths in 0 ... 2000 {
            let tie = Double(tenths) / 10 + 0.05
            values += [tie, tie.nextUp, tie.nextDown, Double(tenths) / 2, Double(tenths) / 8 + 0.0625]
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
        for _ in 0 ..< 20_000 {
            values.append(Double(next() % 100_000_000) / 1000)
            let random = Double(bitPattern: next() >> 2)  // exponents up to ~2^511
            if random.isFinite { values.append(random) }
        }
        var mismatches: [String] = []
        for value in values {
            for digits in [0, 1] {
                let ours = TextFormatting.fixed(value, fractionDigits: digits)
                let theirs = printf(value, digits: digits)
                if ours != theirs, mismatches.count < 5 { mismatches.append("\(value): \(ours) vs \(theirs)") }
            }
        }
        #expect(mismatches.isEmpty)
    }

    private func printf(_ value: Double, digits: Int) -> String {
        var buffer = [CChar](repeating: 0, count: 400)
        let count = withVaList([value]) { arguments in
            vsnprintf(&buffer, buffer.count, digits == 0 ? "%.0f" : "%.1f", arguments)
        }
        precondition(count > 0 && count < buffer.count)
        return String(decoding: buffer.prefix(Int(count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test(
        "progress percent is (cur/total)*100 printed with {:.0}; total 0 means unknown",
        arguments: [
            (UInt64(0), UInt64(0), " progress=0/?"),
            (17, 0, " progress=17/?"),
            (0, 1, " progress=0/1 (0%)"),
            (1, 1, " progress=1/1 (100%)"),
            (1, 8, " progress=1/8 (12%)"),  // 12.5: tie to even
            (1, 200, " progress=1/200 (0%)"),  // 0.5: tie to even
            (3, 200, " progress=3/200 (2%)"),  // 1.5: tie to even
            (5, 1000, " progress=5/1000 (0%)"),
            (995, 1000, " progress=995/1000 (100%)"),
            (999, 1000, " progress=999/1000 (100%)"),
            (1, 3, " progress=1/3 (33%)"),
            (2, 3, " progress=2/3 (67%)"),
            (41, 128, " progress=41/128 (32%)"),
            (5, 3, " progress=5/3 (167%)"),
            (UInt64.max, 1, " progress=18446744073709551615/1 (1844674407370955161600%)"),
        ]
    )
    func progress(_ current: UInt64, _ total: UInt64, _ expected: String) {
        #expect(TextFormatting.progress(current: current, total: total) == expected)
    }

    @Test(
        "cpu: one decimal, /N only when the cores are known, the measured window",
        arguments: [
            (CPUUsage(coresBusy: 68.25, availableCores: 72, window: .seconds(60)), "cpu=68.2/72 cores (avg over 1m00s)"),
            (CPUUsage(coresBusy: 1.94, availableCores: 2, window: .milliseconds(61_499)), "cpu=1.9/2 cores (avg over 1m01s)"),
            // The measured window is rounded to the nearest second, so jitter does not show.
            (CPUUsage(coresBusy: 1.94, availableCores: 2, window: .milliseconds(59_998)), "cpu=1.9/2 cores (avg over 1m00s)"),
            (CPUUsage(coresBusy: 1.94, availableCores: 2, window: .milliseconds(61_500)), "cpu=1.9/2 cores (avg over 1m02s)"),
            (CPUUsage(coresBusy: 0.05, availableCores: nil, window: .seconds(5)), "cpu=0.1 cores (avg over 5s)"),
            (CPUUsage(coresBusy: 0, availableCores: 2, window: .seconds(3600)), "cpu=0.0/2 cores (avg over 1h00m00s)"),
            (CPUUsage(coresBusy: 0.35, availableCores: 2, window: nil), "cpu=0.3/2 cores"),
            (CPUUsage(coresBusy: nil, availableCores: 2, window: .seconds(60)), "cpu=<warming-up>"),
        ]
    )
    func cpu(_ usage: CPUUsage, _ expected: String) {
        #expect(TextFormatting.cpu(usage) == expected)
    }
}
