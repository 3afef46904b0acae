import Foundation
@testable import MonitorReport
import MonitorExport
import ProcessMonitor
import Testing

@Suite struct TimelineTests {
    @Test("a scope seen by several heartbeats is one bar from its entry to its last sighting")
    func barsFromSamples() {
        let timeline = ReportTimeline(heartbeats: sampleLog(count: 12))
        let tracks = timeline.orderedTracks()
        #expect(tracks.map(\.lane) == [.thread(1, name: "main"), .thread(2, name: "worker")])
        let main = tracks[0].bars
        #expect(main.map(\.label) == ["load", "score"])
        #expect(main[0].entered == baseTime && main[0].lastSeen == baseTime + 5 && main[0].sightings == 5)
        #expect(main[1].entered == baseTime + 5.5 && main[1].drawFrom == baseTime + 5.5 && main[1].lastSeen == baseTime + 12)
        let worker = tracks[1].bars
        #expect(worker.count == 1)
        #expect(worker[0].stalledFrom == baseTime + 8, "entered at 3 with a 5 s threshold")
        #expect(tracks[1].stallEnds.map(\.time) == [baseTime + 9.5])
    }

    @Test("an outer scope that is innermost again starts where the inner one ended")
    func outerScopeAgain() {
        let lane = LaneID.thread(1)
        let beats = [
            heartbeat(1, at: 1, phases: [phase(lane, "outer", entered: 0, now: 1)]),
            heartbeat(2, at: 2, phases: [phase(lane, "inner", entered: 1.5, now: 2)]),
            heartbeat(3, at: 3, phases: [phase(lane, "inner", entered: 1.5, now: 3)]),
            heartbeat(4, at: 4, phases: [phase(lane, "outer", entered: 0, now: 4)]),
        ]
        let bars = ReportTimeline(heartbeats: beats).tracks[0].bars
        #expect(bars.map(\.label) == ["outer", "inner", "outer"])
        #expect(bars[2].entered == baseTime && bars[2].drawFrom == baseTime + 3)
    }

    @Test("lanes are ordered by first appearance, and those over the cap are counted")
    func laneCap() {
        var beats: [Heartbeat] = []
        for second in 1...3 {
            let now = Double(second)
            let phases: [Heartbeat.Phase] = (1...(second * 30)).map { phase(LaneID.task(UInt64(100 - $0)), "work", entered: 0, now: now) }
            beats.append(heartbeat(UInt64(second), at: now, phases: phases))
        }
        let tracks = ReportTimeline(heartbeats: beats).orderedTracks()
        #expect(tracks.count == 90)
        let firstThirty: [UInt64] = tracks.prefix(30).map { $0.lane.number }
        #expect(firstThirty == Array(70...99), "same heartbeat: lane order")
        #expect(tracks[30].lane.number == 40)
        var report = HTMLReport()
        for beat in beats { report.add(record(beat), source: "x") }
        #expect(report.render().contains("26 more lanes not drawn: the timeline shows the first 64 lanes to appear."))
    }

    @Test("phases too short to draw apart merge into one bar per few pixels, and the output stays small")
    func shortPhasesMerge() {
        // 3000 heartbeats x 64 lanes, a new phase on every lane at every heartbeat.
        let lanes = (1...64).map { LaneID.thread(UInt64($0)) }
        var report = HTMLReport()
        for index in 1...3000 {
            let now = Double(index)
            let phases = lanes.map { phase($0, "step \(index % 7)", entered: now - 0.5, now: now) }
            report.add(record(heartbeat(UInt64(index), at: now, phases: phases, omittedPhases: 3)), source: "big")
        }
        let html = report.render()
        let rects = html.components(separatedBy: "<rect").count - 1
        // The bar budget, plus row backgrounds and stall overlays.
        #expect(rects <= ReportLimits().barsPerTimeline + 64)
        #expect(html.utf8.count < 5_000_000)
        #expect(html.contains("phases too short to draw apart at this scale"))
        #expect(html.contains("Phase lines were capped in 3,000 of 3,000 heartbeats (up to 3 lanes left out of one record"))
    }
}
