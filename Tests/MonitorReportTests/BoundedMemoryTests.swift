import Foundation
@testable import MonitorReport
import MonitorExport
import ProcessMonitor
import Testing

/// The report's memory is bounded by the report, not by the log: a long log is drawn from a
/// sample, and unreadable lines are counted with a bounded sample kept to list.
@Suite struct BoundedMemoryTests {
    /// A heartbeat of a long log: one a second; every 1000th shows a stall, every 1000th + 1
    /// its end.
    static func beat(_ sequence: UInt64) -> Heartbeat {
        let lane = LaneID.thread(1, name: "main")
        var heartbeat = sampleLog(count: 1, pid: 7)[0]
        heartbeat.sequence = sequence
        heartbeat.timestamp = Date(timeIntervalSince1970: 1_800_000_000 + Double(sequence))
        heartbeat.elapsed = .seconds(Int64(sequence))
        heartbeat.stalls = sequence % 1000 == 0 ? [Heartbeat.Stall(lane: lane, label: "flush \(sequence)", age: .seconds(200))] : []
        heartbeat.stallEnds = sequence % 1000 == 1 && sequence > 1
            ? [Heartbeat.StallEnd(lane: lane, label: "flush \(sequence - 1)", duration: .seconds(201))] : []
        heartbeat.trigger = .scheduled
        return heartbeat
    }

    @Test func aLongLogKeepsAtMostTheBudgetAndStillCountsEveryRecord() {
        var run = ReportRun(key: RunKey(processID: 7, attributes: [:]), budget: 1000)
        let missing: Set<UInt64> = [5000, 5001, 12345]
        // Out of order (a rotated set read newest file first), with one file given twice.
        let files = [Array(40_001 ... 50_000), Array(20_001 ... 40_000), Array(1 ... 20_000), Array(45_001 ... 46_000)]
        for file in files {
            for sequence in file.map(UInt64.init) where !missing.contains(sequence) {
                run.add(record(Self.beat(sequence)), source: "hb")
            }
        }
        #expect(run.entries.count <= 1000, "\(run.entries.count) heartbeats kept")
        #expect(run.heartbeatsRead == 50_000 - missing.count)
        #expect(run.duplicates == 1000)
        #expect(run.isThinned)
        // Lost records come from every sequence number read, not from the kept sample.
        #expect(run.gaps().map { [$0.first, $0.last] } == [[5000, 5001], [12345, 12345]])
        let kept = run.sortedEntries().map(\.heartbeat)
        #expect(kept.first?.sequence == 1 && kept.last?.sequence == 50_000, "the first and last are kept")
        // Stalls and their ends are rare here: every one is kept.
        #expect(kept.filter { !$0.stalls.isEmpty }.count == 49, "50 less seq 5000, which is lost")
        #expect(kept.filter { !$0.stallEnds.isEmpty }.count == 48, "49 less seq 5001, which is lost")
        // The sample is spread over the whole log: one in `stride`.
        #expect(kept.filter { $0.stalls.isEmpty && $0.stallEnds.isEmpty }.allSatisfy { $0.sequence % run.stride == 0 || $0.sequence == 1 || $0.sequence == 50_000 })
    }

    @Test func aLogUnderTheBudgetIsKeptWhole() {
        var run = ReportRun(key: RunKey(processID: 7, attributes: [:]), budget: 1000)
        for sequence in 1 ... 1000 { run.add(record(Self.beat(UInt64(sequence))), source: "hb") }
        #expect(run.entries.count == 1000 && !run.isThinned && run.stride == 1)
    }

    @Test func theSampledReportSaysSoAndCountsEveryHeartbeat() {
        var report = HTMLReport(title: "long", limits: ReportLimits(heartbeatsPerRun: 1000))
        for sequence in 1 ... 5000 { report.add(record(Self.beat(UInt64(sequence))), source: "hb.jsonl") }
        #expect(report.heartbeatCount == 5000)
        let html = report.render()
        #expect(html.contains("5,000 heartbeats from 1 process in 1 source."))
        #expect(html.contains("5,000 heartbeats (drawn from "))
        #expect(html.contains("is drawn from a sample of them"))
    }

    @Test func unreadableLinesAreCountedAndOnlyASampleIsKept() {
        var report = HTMLReport(title: "bad", limits: ReportLimits(tableRows: 10))
        for line in 1 ... 100_000 {
            report.noteSkippedLine(source: "hb.jsonl", line: line, reason: "missing field 'seq' " + String(repeating: "x", count: line % 3 == 0 ? 1000 : 0))
        }
        for sequence in 1 ... 3 { report.add(record(Self.beat(UInt64(sequence))), source: "hb.jsonl") }
        #expect(report.skippedLineCount == 100_000)
        let html = report.render()
        #expect(html.contains("3 heartbeats from 1 process in 1 source, 100,000 unreadable lines skipped."))
        let listed = html.components(separatedBy: "<h2>Unreadable lines</h2>")[1].components(separatedBy: "</ul>")[0]
        #expect(listed.components(separatedBy: "<li>").count - 1 == 10)
        #expect(listed.contains("hb.jsonl line 1: missing"))
        #expect(listed.contains("hb.jsonl line 10: missing"))
        #expect(!listed.contains("line 11:"))
        #expect(html.contains("99,990 more not listed."))
        // A long reason is cut, with its length.
        #expect(listed.contains("…(1020 bytes)"))
    }

    @Test func sequenceRunsJoinAndSplitAsNumbersArrive() {
        var runs = SequenceRuns()
        for number: UInt64 in [5, 3, 9, 4, 1, 10, 7, 4] { runs.insert(number, at: Double(number)) }
        #expect(runs.runs.map { [$0.first, $0.last] } == [[1, 1], [3, 5], [7, 7], [9, 10]])
        #expect(runs.runs.map { [$0.firstTime, $0.lastTime] } == [[1, 1], [3, 5], [7, 7], [9, 10]])
        runs.insert(2, at: 2)
        runs.insert(6, at: 6)
        runs.insert(8, at: 8)
        #expect(runs.runs == [SequenceRuns.Run(first: 1, firstTime: 1, last: 10, lastTime: 10)])
        #expect(runs.contains(1) && runs.contains(10) && !runs.contains(11) && !runs.contains(0))
    }
}
