import Foundation
@testable import MonitorReport
import MonitorExport
import ProcessMonitor
import Testing

@Suite struct StallTableTests {
    /// Three stalls: one that a STALL-END closes, one that stops being listed with no
    /// STALL-END (a v1 log), one still stalled at the final heartbeat.
    func stallLog() -> [Heartbeat] {
        let a = LaneID.thread(1, name: "main")
        let b = LaneID.task(3)
        let c = LaneID.thread(2, name: "io")
        return (1...8).map { index in
            let now = Double(index)
            var stalls: [Heartbeat.Stall] = []
            var ends: [Heartbeat.StallEnd] = []
            // a: entered at 0, stalled at 5 and 6, ended at 6.5 (reported at 7).
            if index == 5 || index == 6 { stalls.append(Heartbeat.Stall(lane: a, label: "load", age: .seconds(index))) }
            if index == 7 { ends.append(Heartbeat.StallEnd(lane: a, label: "load", duration: .milliseconds(6500))) }
            // b: entered at 1, stalled at 6 only; later gone without a STALL-END.
            if index == 6 { stalls.append(Heartbeat.Stall(lane: b, label: "fetch", age: .seconds(5))) }
            // c: entered at 2, stalled from 7 to the end.
            if index >= 7 { stalls.append(Heartbeat.Stall(lane: c, label: "flush", age: .seconds(index - 2))) }
            return heartbeat(UInt64(index), at: now, trigger: index == 8 ? .final : .scheduled,
                             stalls: stalls, stallEnds: ends)
        }
    }

    @Test func episodesHaveFirstSightingDurationAndEnd() {
        let entries = stallLog().map { ReportRun.Entry(heartbeat: $0, droppedRecords: 0, omittedStalls: 0) }
        let episodes = StallLedger(entries: entries).ordered()
        #expect(episodes.count == 3)
        guard episodes.count == 3 else { return }
        #expect(episodes[0].label == "load" && episodes[0].entered == baseTime && episodes[0].firstSeen == baseTime + 5)
        #expect(episodes[0].duration == .milliseconds(6500) && episodes[0].endReported == baseTime + 7)
        #expect(episodes[1].label == "fetch" && episodes[1].firstSeen == baseTime + 6)
        #expect(episodes[1].endReported == nil && !episodes[1].atLastHeartbeat && episodes[1].lastSeen == baseTime + 6)
        #expect(episodes[2].label == "flush" && episodes[2].firstSeen == baseTime + 7 && episodes[2].atLastHeartbeat)
        #expect(episodes[2].duration == .seconds(6))
    }

    @Test func theTableSaysHowEachStallEnded() {
        var report = HTMLReport()
        for beat in stallLog() { report.add(record(beat), source: "hb.jsonl") }
        let html = report.render()
        #expect(html.contains("<tr><td>ThreadId(1)/main</td><td>load</td><td>0</td><td>+5.0s</td><td>6.5s</td>"
            + "<td>yes: STALL-END reported at +7.0s</td></tr>"))
        #expect(html.contains("<tr><td>TaskId(3)</td><td>fetch</td><td>+1.0s</td><td>+6.0s</td><td>≥ 5.0s</td>"
            + "<td>not listed after +6.0s; no STALL-END in the log</td></tr>"))
        #expect(html.contains("<tr><td>ThreadId(2)/io</td><td>flush</td><td>+2.0s</td><td>+7.0s</td><td>≥ 6.0s</td>"
            + "<td>no: still stalled at the final heartbeat</td></tr>"))
        // The STALL-END is flagged on the timeline where the scope ended (6.5 s).
        #expect(html.contains("STALL-END &quot;load&quot; on ThreadId(1)/main: ended after 6.5s, at about +6.5s"))
    }

    @Test func aStallEndWhoseStallsWereLostStillGetsARow() {
        let end = heartbeat(9, at: 9, stallEnds: [Heartbeat.StallEnd(lane: .task(5), label: "sync", duration: .seconds(40))])
        var report = HTMLReport()
        report.add(record(end), source: "hb.jsonl")
        let html = report.render()
        #expect(html.contains("<td>TaskId(5)</td><td>sync</td><td>?</td><td>not seen (records lost)</td><td>40.0s</td>"))
    }
}
