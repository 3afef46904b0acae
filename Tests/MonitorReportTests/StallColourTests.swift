import Foundation
@testable import MonitorReport
import MonitorExport
import ProcessMonitor
import Testing

/// The report draws each stall from where it passed its own threshold, in a colour no phase
/// can have, with task lanes under the lane that started them.
@Suite struct StallColourTests {
    @Test func aStallStartsAtItsOwnThresholdAfterItsCounterStopped() throws {
        let lane = LaneID.thread(3)
        // Entered at 0, counting until 10 s, own threshold 2 s: stalled from 12 s, although
        // the monitor's threshold is 5 s and the scope is 14 s old when the stall is seen.
        var stall = Heartbeat.Stall(lane: lane, label: "copy", age: .seconds(14), threshold: .seconds(2),
                          progress: ProgressReading(current: 10, total: 0, elapsed: .seconds(14), sinceLastMove: .seconds(4)))
        let beats = [
            heartbeat(1, at: 13, phases: [phase(lane, "copy", entered: 0, now: 13)]),
            heartbeat(2, at: 14, phases: [phase(lane, "copy", entered: 0, now: 14)], stalls: [stall]),
        ]
        let bar = try #require(ReportTimeline(heartbeats: beats).tracks.first?.bars.first)
        #expect(bar.stalledFrom == baseTime + 12)
        // Without a counter the quiet spell is the scope's age: entered at 0, threshold 2 s.
        stall.progress = nil
        let plain = try #require(ReportTimeline(heartbeats: [heartbeat(1, at: 14, phases: [phase(lane, "copy", entered: 0, now: 14)], stalls: [stall])])
            .tracks.first?.bars.first)
        #expect(plain.stalledFrom == baseTime + 2)
    }

    @Test func noLabelTakesTheStallsRed() {
        var hues = Set<Int>()
        for index in 0..<20_000 {
            let colour = TimelineChart.colour(for: "phase \(index)")
            let hue = Int(colour.dropFirst(4).prefix { $0 != "," }) ?? -1
            hues.insert(hue)
            #expect(hue >= 30 && hue < 330, "\(colour)")
        }
        #expect(hues.count > 250, "labels still spread over the other hues")
    }

    @Test func childTasksSitUnderTheirParent() throws {
        let main = LaneID.thread(1, name: "main")
        let parent = LaneID.task(1)
        let other = LaneID.task(2)
        func child(_ number: UInt64, of lane: LaneID, _ label: String, now: Double) -> Heartbeat.Phase {
            var phase = phase(.task(number), label, entered: now - 0.5, now: now)
            phase.parent = lane
            return phase
        }
        let beats = [
            heartbeat(1, at: 1, phases: [phase(main, "run", entered: 0, now: 1), phase(parent, "fetch all", entered: 0.5, now: 1),
                                         phase(other, "unrelated", entered: 0.5, now: 1)]),
            heartbeat(2, at: 2, phases: [phase(main, "run", entered: 0, now: 2), phase(parent, "fetch all", entered: 0.5, now: 2),
                                         phase(other, "unrelated", entered: 0.5, now: 2),
                                         child(3, of: parent, "fetch a", now: 2), child(4, of: .task(3), "parse a", now: 2)]),
        ]
        let ordered = ReportTimeline(heartbeats: beats).orderedTracksWithDepth()
        #expect(ordered.map(\.track.lane) == [main, parent, .task(3), .task(4), other])
        #expect(ordered.map(\.depth) == [0, 0, 1, 2, 0])
        var report = HTMLReport()
        for beat in beats { report.add(record(beat), source: "tree") }
        let html = report.render()
        #expect(html.contains("↳TaskId(3)"))
        #expect(html.contains("·↳TaskId(4)"))
        #expect(html.contains("TaskId(3), started from TaskId(1)"))
    }
}
