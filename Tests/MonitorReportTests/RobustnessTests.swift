import Foundation
@testable import MonitorReport
import MonitorExport
import ProcessMonitor
import Testing

@Suite struct RobustnessTests {
    @Test("extreme and nonsensical figures render a page instead of trapping")
    func extremeValues() {
        let lane = LaneID.thread(.max, name: "")
        let extremes: [Heartbeat] = [
            Heartbeat(
                sequence: .max, timestamp: Date(timeIntervalSince1970: 253_402_300_799.999), trigger: .final,
                processID: .min, elapsed: .seconds(Int64.max), resources: ResourceUsage(
                    rssBytes: .max, peakRSSBytes: 0, threads: .max, readBytes: .max, writeBytes: .max,
                    memoryLimitBytes: 0, memoryUsageBytes: .max, oomKills: .max, openFileDescriptors: .max, fileDescriptorLimit: 0),
                cpu: CPUUsage(coresBusy: .nan, availableCores: .infinity, affinityCores: .min, quotaCores: -.infinity, window: .seconds(-5)),
                instrumentedLanes: .max,
                active: Heartbeat.ActivePhase(lane: lane, label: "", age: .seconds(Int64.max),
                                    progress: ProgressReading(current: .max, total: 1, elapsed: .zero)),
                stalls: [Heartbeat.Stall(lane: lane, label: "", age: .seconds(Int64.min))],
                stallEnds: [Heartbeat.StallEnd(lane: lane, label: "", duration: .seconds(Int64.max))],
                phases: [Heartbeat.Phase(lane: lane, depth: .min, label: "", age: .seconds(Int64.max), sinceLastChange: .seconds(-1),
                               progress: ProgressReading(current: 0, total: .max, elapsed: .seconds(Int64.max)),
                               parent: lane, activeDescendants: .max)],
                omittedPhases: .max, stallThreshold: .seconds(Int64.min)
            ),
            Heartbeat(
                sequence: 0, timestamp: Date(timeIntervalSince1970: -62_167_219_200), trigger: .scheduled, processID: .min,
                elapsed: .seconds(Int64.min), resources: ResourceUsage(), cpu: CPUUsage(coresBusy: 1e308, availableCores: -1),
                instrumentedLanes: .min, active: nil, stalls: [], phases: [], omittedPhases: .min, stallThreshold: .zero
            ),
            Heartbeat(
                sequence: 5, timestamp: Date(timeIntervalSince1970: .nan), trigger: .requested, processID: .min,
                elapsed: .zero, resources: ResourceUsage(), cpu: CPUUsage(), instrumentedLanes: 0, active: nil,
                stalls: [], phases: [], omittedPhases: 0, stallThreshold: .zero
            ),
        ]
        var report = HTMLReport(title: "", limits: ReportLimits(lanesPerRun: .min, pointsPerSeries: .max,
                                                                 minimumBarPixels: .nan, barsPerTimeline: .min, runs: .max, tableRows: .min))
        for heartbeat in extremes {
            report.add(DecodedRecord(heartbeat: heartbeat, attributes: ["": ""], droppedRecords: .max, omittedStalls: .max), source: "")
        }
        report.add(DecodedRecord(heartbeat: extremes[0], attributes: ["": ""], droppedRecords: 0, omittedStalls: .max), source: "")
        report.noteSkippedLine(source: "", line: .min, reason: "")
        let html = report.render()
        #expect(html.hasSuffix("</body></html>\n"))
        #expect(!html.contains("NaN") && !html.contains("inf\""))
    }
}
