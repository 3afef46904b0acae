import Foundation
@testable import MonitorReport
import MonitorExport
import ProcessMonitor
import Testing

@Suite struct RunAssemblyTests {
    @Test("a rotated set given in any order, with an overlap, reads as one ordered log")
    func rotatedSetInAnyOrder() {
        let log = sampleLog(count: 30)
        // hb.jsonl.2 is the oldest file; record 10 was also copied into hb.jsonl.1.
        let files: [String: [Heartbeat]] = [
            "hb.jsonl.2": Array(log[0..<10]),
            "hb.jsonl.1": Array(log[9..<20]),
            "hb.jsonl": Array(log[20..<30]),
        ]
        func render(_ order: [String], reversedWithinFiles: Bool = false) -> String {
            var report = HTMLReport(title: "rotated")
            for name in order {
                let beats = files[name] ?? []
                for beat in reversedWithinFiles ? beats.reversed() : beats {
                    report.add(record(beat, attributes: ["job": "train"]), source: name)
                }
            }
            return report.render()
        }
        let inOrder = render(["hb.jsonl.2", "hb.jsonl.1", "hb.jsonl"])
        #expect(render(["hb.jsonl", "hb.jsonl.2", "hb.jsonl.1"]) == inOrder)
        #expect(render(["hb.jsonl.1", "hb.jsonl", "hb.jsonl.2"], reversedWithinFiles: true) == inOrder)
        #expect(inOrder.contains("30 heartbeats from 1 process in 3 sources, 1 duplicate ignored."))
        #expect(inOrder.contains("30 heartbeats; 1 duplicate record ignored (same seq)"))
        #expect(inOrder.contains("No gaps in seq"))
        // Sources oldest first, whatever the command line said.
        let oldest = inOrder.range(of: "hb.jsonl.2 (10 records)")
        let middle = inOrder.range(of: "hb.jsonl.1 (11 records)")
        let newest = inOrder.range(of: "hb.jsonl (10 records)")
        #expect(oldest != nil && middle != nil && newest != nil)
        if let oldest, let middle, let newest {
            #expect(oldest.lowerBound < middle.lowerBound && middle.lowerBound < newest.lowerBound)
        }
    }

    @Test func recordsAreOrderedAndDeduplicatedBySequence() {
        var run = ReportRun(key: RunKey(processID: 1, attributes: [:]))
        let log = sampleLog(count: 5, pid: 1)
        for index in [4, 2, 0, 2, 3, 1, 0] {
            run.add(record(log[index]), source: "a")
        }
        #expect(run.sortedEntries().map(\.heartbeat.sequence) == [1, 2, 3, 4, 5])
        #expect(run.duplicates == 2)
        #expect(run.conflictingDuplicates == 0)
        var changed = log[2]
        changed.timestamp = changed.timestamp.addingTimeInterval(100)
        run.add(record(changed), source: "b")
        #expect(run.conflictingDuplicates == 1)
        #expect(run.sortedEntries()[2].heartbeat == log[2], "the first record read is kept")
    }

    @Test("processes are told apart by pid and attributes and drawn side by side on one axis")
    func severalProcesses() {
        var report = HTMLReport()
        for beat in sampleLog(count: 10, pid: 7) {
            report.add(record(beat, attributes: ["job": "j", "rank": "0"]), source: "rank0.jsonl")
        }
        for beat in sampleLog(count: 10, pid: 7) {
            report.add(record(beat, attributes: ["job": "j", "rank": "1"]), source: "rank1.jsonl")
        }
        for beat in sampleLog(count: 8, pid: 9) {
            report.add(record(beat, attributes: ["job": "j", "rank": "2"]), source: "rank2.jsonl")
        }
        let html = report.render()
        #expect(html.contains("28 heartbeats from 3 processes in 3 sources."))
        #expect(html.contains("Process 1: pid 7 · job=j rank=0</h2>"))
        #expect(html.contains("Process 2: pid 7 · job=j rank=1</h2>"))
        #expect(html.contains("Process 3: pid 9 · job=j rank=2</h2>"))
        #expect(html.contains("share one time axis"))
        #expect(html.components(separatedBy: "<section class=\"run\"").count == 4)
    }

    @Test("gaps in seq are listed and shaded where they happened")
    func sequenceGaps() {
        let log = sampleLog(count: 12)
        var report = HTMLReport()
        for beat in log where ![6, 7, 8].contains(beat.sequence) && beat.sequence != 1 {
            report.add(record(beat), source: "hb.jsonl")
        }
        let entries = { () -> [ReportRun.Entry] in
            var run = ReportRun(key: RunKey(processID: 4242, attributes: [:]))
            for beat in log where ![6, 7, 8].contains(beat.sequence) && beat.sequence != 1 { run.add(record(beat), source: "x") }
            return run.sortedEntries()
        }()
        let gaps = ReportRun.gaps(in: entries)
        #expect(gaps == [
            ReportRun.Gap(first: 1, last: 1, before: nil, after: baseTime + 2),
            ReportRun.Gap(first: 6, last: 8, before: baseTime + 5, after: baseTime + 9),
        ])
        let html = report.render()
        #expect(html.contains("<td>6–8</td><td>3</td><td>between +3.0s and +7.0s</td>"))
        #expect(html.contains("seq 6–8 lost (3 records) between +3.0s and +7.0s"))
        #expect(html.contains("<td>1</td><td>1</td><td>before the first record, at 0</td>"))
        #expect(html.contains("class=\"gap\""))
        #expect(html.contains("<dt>Lost records</dt><dd>3 (see below)</dd>"))
    }

    @Test("an empty input gives a whole page that says there are no heartbeats")
    func emptyInput() {
        let html = HTMLReport().render()
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.hasSuffix("</body></html>\n"))
        #expect(html.contains("no heartbeats"))
        #expect(html.contains("0 heartbeats from 0 processes in 0 sources."))

        var onlyBad = HTMLReport()
        onlyBad.noteSkippedLine(source: "hb.jsonl", line: 3, reason: "missing field 'seq'")
        let bad = onlyBad.render()
        #expect(bad.contains("no heartbeats"))
        #expect(bad.contains("hb.jsonl line 3: missing field &#39;seq&#39;"))
    }
}
