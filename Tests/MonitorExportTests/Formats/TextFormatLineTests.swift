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

// Expected strings come from rustc running the seed's own format strings: see TextFormattingTests.swift.

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
