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

// MARK: - Value renderers

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

// MARK: - Rust {:?} quoting

@Suite("TextFormat label quoting")
struct TextFormatQuotingTests {
    @Test(
        "labels are quoted exactly as rustc's {:?}",
        arguments: [
            ("", #""""#),
            ("plain label", #""plain label""#),
            ("say \"hi\"", #""say \"hi\"""#),
            ("C:\\tmp\\x", #""C:\\tmp\\x""#),
            ("it's", #""it's""#),
            ("line1\nline2", #""line1\nline2""#),
            ("\r\t\0", #""\r\t\0""#),
            ("cafe\u{301}", #""cafe\u{301}""#),
            ("\u{301}start", #""\u{301}start""#),  // a grapheme extender at the start
            ("ä\u{308}", #""ä\u{308}""#),
            ("a\u{a0}b", #""a\u{a0}b""#),
            ("a\u{3000}b", #""a\u{3000}b""#),
            ("\u{1b}[31mred\u{1b}[0m", #""\u{1b}[31mred\u{1b}[0m""#),
            ("👨\u{200d}👩", #""👨\u{200d}👩""#),
            ("❤\u{fe0f}", #""❤\u{fe0f}""#),
            ("👍\u{1f3fb}", "\"👍\u{1f3fb}\""),  // skin tone modifiers are not Grapheme_Extend
            ("🇯🇵", "\"🇯🇵\""),
            ("日本語", "\"日本語\""),
            ("é", "\"é\""),
            ("\u{fffd}", "\"\u{fffd}\""),
            ("\u{7f}\u{85}", #""\u{7f}\u{85}""#),
            ("\u{2028}\u{2029}", #""\u{2028}\u{2029}""#),
            ("\u{feff}bom", #""\u{feff}bom""#),
            ("\u{202e}rtl", #""\u{202e}rtl""#),
            ("\u{ad}soft", #""\u{ad}soft""#),
            ("\u{200b}zwsp", #""\u{200b}zwsp""#),
            ("\u{e000}", #""\u{e000}""#),
            ("\u{378}", #""\u{378}""#),
            ("x\u{e0001}", #""x\u{e0001}""#),
            ("\u{d7ff}\u{10ffff}", #""\u{d7ff}\u{10ffff}""#),
        ]
    )
    func debugQuoted(_ label: TestText, _ expected: String) {
        #expect(TextFormatting.debugQuoted(label.value) == expected)
    }

    @Test("every scalar is escaped exactly when rustc's {:?} escapes it")
    func exhaustiveAgainstRust() throws {
        let url = try #require(Bundle.module.url(forResource: "rust-debug-escaped-ranges", withExtension: "txt", subdirectory: "Fixtures"))
        let table = try String(contentsOf: url, encoding: .utf8)
        var escaped = [Bool](repeating: false, count: 0x110000)
        for line in table.split(separator: "\n") where !line.hasPrefix("#") {
            let bounds = line.split(separator: " ").compactMap { Int($0, radix: 16) }
            try #require(bounds.count == 2)
            for value in bounds[0] ... bounds[1] { escaped[value] = true }
        }
        var differences: [String] = []
        for value in 0 ..< 0x110000 where value != 0x22 && value != 0x5C {
            guard let scalar = Unicode.Scalar(UInt32(value)) else { continue }
            let text = String(Character(scalar))
            let ours = TextFormatting.debugQuoted(text) != "\"" + text + "\""
            if ours != escaped[value] { differences.append(String(value, radix: 16)) }
        }
        #expect(differences.isEmpty, "scalars (hex) where we differ from rustc: \(differences.prefix(20))")
    }

    @Test(
        "lane names stay raw unless a scalar could split or hide the line",
        arguments: [
            ("ThreadId(3)/worker", "ThreadId(3)/worker"),
            ("ThreadId(1)/main", "ThreadId(1)/main"),
            ("ThreadId(4)/my \"pool\" C:\\x é 日本", "ThreadId(4)/my \"pool\" C:\\x é 日本"),
            ("ThreadId(5)/a\nb\r\t\0", #"ThreadId(5)/a\nb\r\t\0"#),
            ("TaskId(2)/\u{1b}[31m\u{202e}\u{2028}\u{85}", #"TaskId(2)/\u{1b}[31m\u{202e}\u{2028}\u{85}"#),
        ]
    )
    func laneName(_ name: TestText, _ expected: String) {
        #expect(TextFormatting.laneText(name.value) == expected)
    }

    @Test(
        "lanes are spelled as LaneID.description spells them",
        arguments: [
            LaneID.thread(1), .thread(1, name: "main"), .thread(UInt64.max, name: "w"), .task(12), .task(3, name: "fetch"),
            .thread(2, name: ""), .thread(4, name: "a/b (c)"),
        ]
    )
    func laneSpelling(_ lane: LaneID) {
        var line = LineBuffer()
        line.appendLane(lane, limits: .default)
        #expect(line.text == lane.description)
    }
}

// MARK: - Whole lines

/// Values of `Fixtures/seed_text_lines.rs` (`== busy`), as a typed heartbeat.
func busyHeartbeat() -> Heartbeat {
    let mainLabel = "BMS coord_corrections \"pass 2\""
    let messy = "cafe\u{301}\n\tC:\\tmp"
    return Heartbeat(
        sequence: 7,
        timestamp: Date(timeIntervalSince1970: 1_795_725_143.123),
        trigger: .scheduled,
        processID: 4242,
        elapsed: .milliseconds(3_725_900),
        resources: ResourceUsage(
            rssBytes: 1_572_864 * 1024,
            peakRSSBytes: 2_097_151 * 1024,
            threads: 74,
            readBytes: 12_582_912,
            writeBytes: 0
        ),
        cpu: CPUUsage(coresBusy: 68.25, availableCores: 72, window: .seconds(60)),
        instrumentedLanes: 11,
        active: Heartbeat.ActivePhase(
            lane: .thread(3, name: "worker"),
            label: mainLabel,
            age: .milliseconds(142_700),
            progress: ProgressReading(current: 41, total: 128, elapsed: .milliseconds(142_700))
        ),
        stalls: [
            Heartbeat.Stall(lane: .thread(3, name: "worker"), label: mainLabel, age: .milliseconds(142_700)),
            Heartbeat.Stall(lane: .task(7), label: messy, age: .seconds(120)),
        ],
        phases: [
            Heartbeat.Phase(
                lane: .thread(3, name: "worker"), depth: 2, label: mainLabel, age: .milliseconds(142_700),
                sinceLastChange: .milliseconds(142_700),
                progress: ProgressReading(current: 41, total: 128, elapsed: .milliseconds(142_700))
            ),
            Heartbeat.Phase(lane: .task(7), depth: 1, label: messy, age: .seconds(120), sinceLastChange: .seconds(3)),
            Heartbeat.Phase(
                lane: .thread(1, name: "main"), depth: 4,
                label: "a\u{a0}b \u{1b}[31m 👨\u{200d}👩 日本 é ' \u{fffd}", age: .milliseconds(59_999),
                sinceLastChange: .milliseconds(59_999),
                progress: ProgressReading(current: 17, total: 0, elapsed: .seconds(4))
            ),
            Heartbeat.Phase(
                lane: .thread(12), depth: 1, label: "", age: .seconds(3600), sinceLastChange: .zero,
                progress: ProgressReading(current: 999, total: 1000, elapsed: .zero)
            ),
        ],
        omittedPhases: 3,
        stallThreshold: .seconds(120)
    )
}

let busySeedLines = [
    #"[process-monitor] elapsed=1h02m05s rss=1.5GiB peak_rss=2.0GiB process_threads=74 read_bytes=12.0MiB write_bytes=0B cpu=68.2/72 cores (avg over 1m00s) instrumented_threads=11 active="BMS coord_corrections \"pass 2\"" for 2m22s progress=41/128 (32%)"#,
    #"[process-monitor][STALL] thread=ThreadId(3)/worker phase="BMS coord_corrections \"pass 2\"" stuck=2m22s"#,
    #"[process-monitor][STALL] thread=TaskId(7) phase="cafe\u{301}\n\tC:\\tmp" stuck=2m00s"#,
    #"[process-monitor] phase thread=ThreadId(3)/worker depth=2 deepest="BMS coord_corrections \"pass 2\"" in_frame=2m22s updated_ago=2m22s progress=41/128 (32%)"#,
    #"[process-monitor] phase thread=TaskId(7) depth=1 deepest="cafe\u{301}\n\tC:\\tmp" in_frame=2m00s updated_ago=3s"#,
    #"[process-monitor] phase thread=ThreadId(1)/main depth=4 deepest="a\u{a0}b \u{1b}[31m 👨\u{200d}👩 日本 é ' �" in_frame=59s updated_ago=59s progress=17/?"#,
    #"[process-monitor] phase thread=ThreadId(12) depth=1 deepest="" in_frame=1h00m00s updated_ago=0s progress=999/1000 (100%)"#,
    #"[process-monitor] phase ... and 3 more active thread(s) omitted"#,
]

func idleHeartbeat(elapsed: Duration = .zero, resources: ResourceUsage = ResourceUsage(), cpu: CPUUsage = CPUUsage(),
                   lanes: Int = 0, active: Heartbeat.ActivePhase? = nil) -> Heartbeat {
    Heartbeat(
        sequence: 1, timestamp: Date(timeIntervalSince1970: 0), trigger: .requested, processID: 1,
        elapsed: elapsed, resources: resources, cpu: cpu, instrumentedLanes: lanes, active: active,
        stalls: [], phases: [], omittedPhases: 0, stallThreshold: .seconds(120)
    )
}

func texts(_ format: TextFormat, _ heartbeat: Heartbeat) -> [String] {
    format.render(heartbeat, context: FormatContext()).map(\.text)
}

@Suite("TextFormat lines")
struct TextFormatLineTests {
    @Test("a busy heartbeat renders the seed's lines byte for byte")
    func busySeed() {
        let lines = texts(TextFormat(), busyHeartbeat())
        #expect(lines.count == busySeedLines.count)
        for (ours, seed) in zip(lines, busySeedLines) {
            #expect(Array(ours.utf8) == Array(seed.utf8), "\(ours)")
        }
    }

    /// What `render --to text --style seed` does with a schema-3 record: the v2 figures (memory,
    /// descriptors, quota, stall ends, task trees) and the v3 ones (why a stall is a stall, the
    /// scopes' own thresholds, forecasts) travel through JSON and back, and the seed style prints
    /// exactly the lines rustc printed for the seed's values, none of them added.
    @Test("a v3 record read back prints the seed's lines byte for byte")
    func v3RecordToSeedLines() throws {
        var heartbeat = busyHeartbeat()
        heartbeat.resources.memoryLimitBytes = 4 << 30
        heartbeat.resources.memoryUsageBytes = (4 << 30) - 100
        heartbeat.resources.oomKills = 2
        heartbeat.resources.openFileDescriptors = 1000
        heartbeat.resources.fileDescriptorLimit = 1024
        heartbeat.cpu.affinityCores = 96
        heartbeat.cpu.quotaCores = 72
        heartbeat.cpu.totalTime = .seconds(98_765)
        heartbeat.stallEnds = [Heartbeat.StallEnd(lane: .task(9), label: "flush", duration: .seconds(192))]
        heartbeat.phases[0].activeDescendants = 3
        heartbeat.phases[1].parent = .thread(1, name: "main")
        heartbeat.phases[0].stallThreshold = .seconds(600)
        heartbeat.stalls[0].threshold = .seconds(90)
        heartbeat.stalls[0].depth = 2
        heartbeat.stalls[0].stack = [Heartbeat.ScopeFrame(label: "run", age: .seconds(3000)), Heartbeat.ScopeFrame(label: heartbeat.stalls[0].label, age: heartbeat.stalls[0].age)]
        heartbeat.stalls[0].thread = Heartbeat.ThreadActivity(state: .sleeping, threadID: 77, syscall: "futex", waitChannel: "futex_wait_queue",
                                                    cpuFraction: 0, cpuWindow: .seconds(60))
        heartbeat.stalls[1].thread = .suspended
        heartbeat.forecasts = [Heartbeat.ResourceForecast(resource: .memory, used: (4 << 30) - 100, limit: 4 << 30, growthPerSecond: 10,
                                                timeToLimit: .seconds(10), window: .seconds(600))]
        #expect(heartbeat.resourceWarnings.count == 2, "the record carries warnings the seed never printed")
        let record = JSONLinesFormat().record(for: heartbeat)
        #expect(record.contains(#""schema_version":3"#))
        let decoded = try HeartbeatRecordDecoder().decode(line: record)
        #expect(decoded.heartbeat == heartbeat, "every figure survives the round trip")
        let lines = texts(TextFormat(style: .seed), decoded.heartbeat)
        #expect(lines.count == busySeedLines.count)
        for (ours, seed) in zip(lines, busySeedLines) {
            #expect(Array(ours.utf8) == Array(seed.utf8), "\(ours)")
        }
    }

    @Test("headline, phases and the omitted line are info; stall lines are warnings")
    func levels() {
        let levels = TextFormat().render(busyHeartbeat(), context: FormatContext()).map(\.level)
        #expect(levels == [.info, .warning, .warning, .info, .info, .info, .info, .info])
    }

    @Test(
        "headlines match the seed for idle, unknown and boundary values",
        arguments: [
            (
                idleHeartbeat(),
                "[process-monitor] elapsed=0s rss=<unknown> peak_rss=<unknown> process_threads=<unknown> read_bytes=<unknown> write_bytes=<unknown> cpu=<warming-up> instrumented_threads=0 active=<idle>"
            ),
            (
                idleHeartbeat(
                    elapsed: .milliseconds(59_999),
                    resources: ResourceUsage(rssBytes: 0, peakRSSBytes: 1024, threads: 1, readBytes: 1023, writeBytes: 1_048_575),
                    cpu: CPUUsage(coresBusy: 0.05, availableCores: nil, window: .milliseconds(61_499)), lanes: 1,
                    active: Heartbeat.ActivePhase(lane: .thread(1, name: "main"), label: "\u{301}start", age: .seconds(1),
                                        progress: ProgressReading(current: 7, total: 0, elapsed: .seconds(1)))
                ),
                #"[process-monitor] elapsed=59s rss=0B peak_rss=1.0KiB process_threads=1 read_bytes=1023B write_bytes=1024.0KiB cpu=0.1 cores (avg over 1m01s) instrumented_threads=1 active="\u{301}start" for 1s progress=7/?"#
            ),
            (
                idleHeartbeat(
                    elapsed: .seconds(86_399),
                    resources: ResourceUsage(rssBytes: 1 << 40, peakRSSBytes: 1_048_575 * 1024, threads: 2, readBytes: 1024, writeBytes: 1 << 30),
                    cpu: CPUUsage(coresBusy: 0.35, availableCores: 2, window: .seconds(3600)), lanes: 2,
                    active: Heartbeat.ActivePhase(lane: .task(1), label: "load", age: .seconds(5),
                                        progress: ProgressReading(current: 1, total: 8, elapsed: .seconds(5)))
                ),
                #"[process-monitor] elapsed=23h59m59s rss=1024.0GiB peak_rss=1024.0MiB process_threads=2 read_bytes=1.0KiB write_bytes=1.0GiB cpu=0.3/2 cores (avg over 1h00m00s) instrumented_threads=2 active="load" for 5s progress=1/8 (12%)"#
            ),
        ]
    )
    func headline(_ heartbeat: Heartbeat, _ expected: String) {
        let lines = TextFormat().render(heartbeat, context: FormatContext())
        #expect(lines == [RenderedLine(text: expected, level: .info)])
    }

    @Test("no omitted line when nothing was omitted, and stalls are never capped")
    func omittedAndStalls() {
        var heartbeat = busyHeartbeat()
        heartbeat.omittedPhases = 0
        heartbeat.phases = []
        heartbeat.stalls = (1 ... 40).map { Heartbeat.Stall(lane: .thread(UInt64($0)), label: "s\($0)", age: .seconds(200)) }
        let lines = texts(TextFormat(), heartbeat)
        #expect(lines.count == 41)
        #expect(lines.last == #"[process-monitor][STALL] thread=ThreadId(40) phase="s40" stuck=3m20s"#)
        #expect(!lines.contains { $0.contains("omitted") })
    }

    @Test("the timestamp-and-level prefix goes in front of every line, seed text unchanged after it")
    func prefix() {
        let lines = texts(TextFormat(prefix: .timestampAndLevel), busyHeartbeat())
        #expect(lines.count == busySeedLines.count)
        #expect(lines[0] == "2026-11-26T20:32:23.123Z INFO " + busySeedLines[0])
        #expect(lines[1] == "2026-11-26T20:32:23.123Z WARN " + busySeedLines[1])
        #expect(lines[2] == "2026-11-26T20:32:23.123Z WARN " + busySeedLines[2])
        #expect(lines[7] == "2026-11-26T20:32:23.123Z INFO " + busySeedLines[7])
        #expect(texts(TextFormat(prefix: .none), busyHeartbeat()) == busySeedLines)
    }

    @Test("extended style appends rate and ETA at the end of lines with progress, and only there")
    func extended() {
        let lines = texts(TextFormat(style: .extended), busyHeartbeat())
        // 41 units in 142.7 s: 0.287/s; 87 left at that rate: 302.8 s.
        #expect(lines[0] == busySeedLines[0] + " rate=0.3/s eta=5m02s")
        // Stalls carry no progress; the extended style gives their ages in tenths and says why.
        #expect(lines[1] == busySeedLines[1].replacingOccurrences(of: "stuck=2m22s", with: "stuck=2m22.7s threshold=2m00.0s"))
        #expect(lines[2] == busySeedLines[2].replacingOccurrences(of: "stuck=2m00s", with: "stuck=2m00.0s threshold=2m00.0s"))
        #expect(lines[3] == busySeedLines[3] + " rate=0.3/s eta=5m02s")
        #expect(lines[4] == busySeedLines[4])  // no progress
        #expect(lines[5] == busySeedLines[5] + " rate=4.2/s")  // total unknown: no ETA
        #expect(lines[6] == busySeedLines[6])  // no time has passed: neither rate nor ETA
        #expect(lines[7] == busySeedLines[7])
    }

    @Test(
        "extended style leaves out whichever of rate and ETA is unknown",
        arguments: [
            (ProgressReading(current: 250, total: 1000, elapsed: .seconds(10)), " progress=250/1000 (25%)", " rate=25.0/s eta=30s"),
            (ProgressReading(current: 10, total: 10, elapsed: .zero), " progress=10/10 (100%)", " eta=0s"),
            (ProgressReading(current: 0, total: 10, elapsed: .seconds(2)), " progress=0/10 (0%)", " rate=0.0/s"),
            (ProgressReading(current: 3, total: 0, elapsed: .seconds(2)), " progress=3/?", " rate=1.5/s"),
        ]
    )
    func extendedParts(_ progress: ProgressReading, _ seedPart: String, _ extendedPart: String) {
        let heartbeat = idleHeartbeat(active: Heartbeat.ActivePhase(lane: .task(1), label: "x", age: .seconds(2), progress: progress))
        let base = #"[process-monitor] elapsed=0s rss=<unknown> peak_rss=<unknown> process_threads=<unknown> "#
            + #"read_bytes=<unknown> write_bytes=<unknown> cpu=<warming-up> instrumented_threads=0 active="x" for 2s"#
        #expect(texts(TextFormat(), heartbeat) == [base + seedPart])
        // The heartbeat was asked for: the extended headline says so, last.
        #expect(texts(TextFormat(style: .extended), heartbeat) == [base + seedPart + extendedPart + " trigger=requested"])
    }
}

// MARK: - Limits and line safety

@Suite("TextFormat limits")
struct TextFormatLimitTests {
    @Test("labels are capped before quoting, in every kind of line")
    func labelCap() throws {
        let limits = try ExportLimits(maxLabelBytes: 16)
        let long = "a fairly long phase label"
        let heartbeat = Heartbeat(
            sequence: 1, timestamp: Date(timeIntervalSince1970: 0), trigger: .scheduled, processID: 1,
            elapsed: .seconds(1), resources: ResourceUsage(), cpu: CPUUsage(), instrumentedLanes: 1,
            active: Heartbeat.ActivePhase(lane: .thread(1), label: long, age: .seconds(1)),
            stalls: [Heartbeat.Stall(lane: .thread(1), label: long, age: .seconds(1))],
            phases: [Heartbeat.Phase(lane: .thread(1), depth: 1, label: long, age: .seconds(1), sinceLastChange: .seconds(1))],
            omittedPhases: 0, stallThreshold: .seconds(1)
        )
        let lines = texts(TextFormat(limits: limits), heartbeat)
        #expect(lines[0].hasSuffix(#" active="a …[+23 bytes]" for 1s"#))
        #expect(lines[1] == #"[process-monitor][STALL] thread=ThreadId(1) phase="a …[+23 bytes]" stuck=1s"#)
        #expect(lines[2] == #"[process-monitor] phase thread=ThreadId(1) depth=1 deepest="a …[+23 bytes]" in_frame=1s updated_ago=1s"#)
    }

    @Test("a lane name is capped like a label, its ThreadId(N) kept")
    func laneCap() throws {
        let limits = try ExportLimits(maxLabelBytes: 16)
        var heartbeat = idleHeartbeat()
        heartbeat.stalls = [Heartbeat.Stall(lane: .thread(9, name: String(repeating: "n", count: 100)), label: "x", age: .seconds(1))]
        let lines = texts(TextFormat(limits: limits), heartbeat)
        #expect(lines[1] == #"[process-monitor][STALL] thread=ThreadId(9)/n…[+99 bytes] phase="x" stuck=1s"#)
    }

    /// Scalars that end or break a line for some reader: terminals, editors, `String.split`, JS.
    static let lineBreakers: [Unicode.Scalar] = ["\n", "\r", "\u{0B}", "\u{0C}", "\u{1C}", "\u{1D}", "\u{1E}", "\u{85}", "\u{2028}", "\u{2029}"]

    @Test("any label and any lane name yields one physical line per RenderedLine")
    func onePhysicalLine() {
        var state: UInt64 = 42
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let palette: [Unicode.Scalar] = Self.lineBreakers + ["a", " ", "\"", "\\", "\0", "\t", "\u{1b}", "\u{301}", "\u{200d}", "é", "日", "👩", "\u{feff}", "\u{202e}", "\u{e000}"]
        for _ in 0 ..< 300 {
            var label = String.UnicodeScalarView()
            for _ in 0 ..< next() % 40 { label.append(palette[Int(next() % UInt64(palette.count))]) }
            let text = String(label)
            let lane = LaneID.thread(next() % 5, name: text)
            var heartbeat = busyHeartbeat()
            heartbeat.active?.label = text
            heartbeat.stalls = [Heartbeat.Stall(lane: lane, label: text, age: .seconds(500))]
            heartbeat.phases = [Heartbeat.Phase(lane: lane, depth: 1, label: text, age: .seconds(1), sinceLastChange: .zero)]
            for format in [TextFormat(), TextFormat(style: .extended, prefix: .timestampAndLevel)] {
                for line in texts(format, heartbeat) {
                    #expect(!line.unicodeScalars.contains { Self.lineBreakers.contains($0) }, "\(line.debugDescription)")
                }
            }
        }
    }

    @Test("fitLine cuts at a character boundary and says how much it cut")
    func fitLineCuts() {
        #expect(fitLine("short", maxBytes: 1024) == "short")
        let cut = fitLine(String(repeating: "x", count: 2000), maxBytes: 1024)
        #expect(cut == String(repeating: "x", count: 1008) + "…[+992 bytes]")
        let wide = fitLine(String(repeating: "日", count: 400), maxBytes: 1024)  // 1200 bytes
        #expect(wide.utf8.count <= 1024)
        #expect(wide == String(repeating: "日", count: 336) + "…[+192 bytes]")
    }

    @Test("a line stays within maxLineBytes even when escapes multiply a capped label")
    func lineCap() throws {
        let limits = try ExportLimits(maxLabelBytes: 4096, maxLineBytes: 2048)
        var heartbeat = idleHeartbeat()
        let controls = String(repeating: "\u{1}", count: 4096)  // each escapes to 5 bytes: \u{1}
        heartbeat.stalls = [Heartbeat.Stall(lane: .thread(1), label: controls, age: .seconds(1))]
        let lines = texts(TextFormat(prefix: .timestampAndLevel, limits: limits), heartbeat)
        #expect(lines[1].utf8.count <= 2048)
        #expect(lines[1].hasPrefix(#"1970-01-01T00:00:00.000Z WARN [process-monitor][STALL] thread=ThreadId(1) phase="\u{1}"#))
        #expect(lines[1].hasSuffix(" bytes]"))
        // Ordinary lines are untouched by the line cap.
        #expect(texts(TextFormat(limits: limits), busyHeartbeat()) == busySeedLines)
    }
}

// MARK: - Timestamps

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

// MARK: - Many stalls, and the seed's percentages

/// A heartbeat with `count` stalled lanes and no phases.
func manyStalls(_ count: Int) -> Heartbeat {
    var heartbeat = idleHeartbeat(lanes: count)
    heartbeat.stalls = (1 ... count).map { Heartbeat.Stall(lane: .thread(UInt64($0)), label: "s\($0)", age: .seconds(200)) }
    return heartbeat
}

@Suite("TextFormat stall cap and percentages")
struct TextFormatStallCapTests {
    /// The seed printed every STALL line ("loud and unconditional"), so the seed style still
    /// does, byte for byte; the extended style caps them and counts the rest.
    @Test("seed style lists every stall; extended lists maxStallLines and counts the rest")
    func stallCap() throws {
        let heartbeat = manyStalls(10_000)
        let seed = texts(TextFormat(), heartbeat)
        #expect(seed.count == 10_001)
        #expect(seed.last == #"[process-monitor][STALL] thread=ThreadId(10000) phase="s10000" stuck=3m20s"#)
        #expect(!seed.contains { $0.contains("omitted") })

        let extended = TextFormat(style: .extended).render(heartbeat, context: FormatContext())
        #expect(extended.count == 1 + ExportLimits.default.maxStallLines + 1)
        #expect(extended[32].text == #"[process-monitor][STALL] thread=ThreadId(32) phase="s32" stuck=3m20.0s threshold=2m00.0s"#)
        #expect(extended[33] == RenderedLine(text: "[process-monitor][STALL] ... and 9968 more stalled lane(s) omitted", level: .warning))

        let five = try texts(TextFormat(style: .extended, limits: ExportLimits(maxStallLines: 5)), heartbeat)
        #expect(five.count == 7)
        #expect(five.last == "[process-monitor][STALL] ... and 9995 more stalled lane(s) omitted")
        // Exactly at the cap: every stall listed, no count line.
        let exact = try texts(TextFormat(style: .extended, limits: ExportLimits(maxStallLines: 5)), manyStalls(5))
        #expect(exact.count == 6 && !exact.contains { $0.contains("omitted") })
    }

    @Test("maxStallLines out of range is refused, naming it", arguments: [0, 10_001])
    func stallCapRange(_ value: Int) {
        #expect {
            try ExportLimits(maxStallLines: value)
        } throws: { error in
            (error as? ExportError)?.message.contains("maxStallLines must be between 1 and 10000 (got \(value))") == true
        }
    }

    /// The seed computes `cur as f64 / total as f64 * 100.0` and prints it with `{:.0}`, which
    /// rounds the exact binary value half to even: 23/40 is 57.49999999999999 → 57, 109/200 is
    /// 54.50000000000001 → 55. Rounding the exact fraction would give 58 and 55; half-up on the
    /// decimal 57.5 would give 58.
    @Test("progress percentages follow the seed's rounding in text and machine formats",
          arguments: [(23, 40, "57%"), (109, 200, "55%"), (1, 8, "12%"), (3, 8, "38%"), (999, 1000, "100%"), (0, 5, "0%")])
    func percentages(_ current: Int, _ total: Int, _ percent: String) throws {
        let progress = ProgressReading(current: UInt64(current), total: UInt64(total), elapsed: .seconds(10))
        var heartbeat = idleHeartbeat(lanes: 1, active: Heartbeat.ActivePhase(lane: .thread(1), label: "load", age: .seconds(5), progress: progress))
        heartbeat.phases = [Heartbeat.Phase(lane: .thread(1), depth: 1, label: "load", age: .seconds(5), sinceLastChange: .zero, progress: progress)]
        let lines = texts(TextFormat(), heartbeat)
        #expect(lines[0].hasSuffix(" progress=\(current)/\(total) (\(percent))"))
        #expect(lines[1].hasSuffix(" progress=\(current)/\(total) (\(percent))"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(JSONLinesFormat().record(for: heartbeat).utf8)) as? [String: Any])
        #expect(json["message"] as? String == "heartbeat: load for 5s, \(current)/\(total) (\(percent))")
        let otlp = try OTLPJSONFormat().logsRequest(for: heartbeat)
        #expect(otlp.contains(#""body":{"stringValue":"heartbeat: load for 5s, \#(current)/\#(total) (\#(percent))"}"#))
    }
}
