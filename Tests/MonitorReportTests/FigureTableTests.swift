import Foundation
import MonitorExport
@testable import MonitorReport
import ProcessMonitor
import Testing

/// The report draws its charts from the figure table: every charted row must appear as a
/// series, and every row the table says the report shows must be there.
@Suite struct FigureTableTests {
    /// Two heartbeats of a contained job that knows every figure, affinity differing from the
    /// available cores (a quota below it), and an OOM kill, so no conditional row is hidden.
    static func html() -> String {
        var report = HTMLReport()
        for index in 1 ... 2 {
            var beat = heartbeat(UInt64(index), at: Double(index),
                                 phases: [phase(.thread(1, name: "main"), "load", entered: 0, now: Double(index),
                                                progress: ProgressReading(current: 5, total: 10, elapsed: .seconds(1)))])
            beat.resources = ResourceUsage(rssBytes: 64 << 20, peakRSSBytes: 80 << 20, threads: 9, readBytes: 4096,
                                           writeBytes: 512, memoryLimitBytes: 256 << 20, memoryUsageBytes: 100 << 20,
                                           oomKills: 1, openFileDescriptors: 12, fileDescriptorLimit: 1024)
            beat.cpu = CPUUsage(coresBusy: 0.4, availableCores: 0.5, affinityCores: 2, quotaCores: 0.5,
                                window: .seconds(1), totalTime: .seconds(index))
            report.add(record(beat), source: "job.jsonl")
        }
        return report.render()
    }

    /// The chart legends as text, each tag a `|`: a line reads `|name summary `, a limit off the
    /// scale ` name value (off the scale). ` after the last line.
    static func legends(_ html: String) -> String {
        var text = ""
        var rest = html[...]
        while let start = rest.range(of: "<p class=\"legend\">"), let end = rest[start.upperBound...].range(of: "</p>") {
            var inTag = false
            for character in rest[start.upperBound ..< end.lowerBound] {
                if character == "<" { inTag = true; text.append("|") } else if character == ">" { inTag = false } else if !inTag { text.append(character) }
            }
            text.append("\n")
            rest = rest[end.upperBound...]
        }
        return text
    }

    @Test func everyChartedFigureIsASeriesAndEveryShownFigureIsThere() throws {
        let html = Self.html()
        let legends = Self.legends(html)
        var charted = 0
        for field in RecordFields.headline {
            switch try #require(field.columns).report {
            case .series(_, let name, _, _, _):
                charted += 1
                // The legend names each line, followed by its summary.
                let offScale = " \(NSRegularExpression.escapedPattern(for: name)) [^ ]+ \\(off the scale\\)"
                #expect(legends.contains("|\(name) ") || legends.range(of: offScale, options: .regularExpression) != nil,
                        "the report draws no \(name) (\(field.key))")
            case .shown(let title):
                #expect(html.contains(">\(title)<") || html.contains(">\(title):"), "the report shows no \(title) (\(field.key))")
            case .none(let reason):
                #expect(reason.count > 10)
            }
        }
        #expect(charted >= 10)
    }

    @Test func aQuotaOrAnAffinityLineIsDrawnOnlyWhenItSaysSomething() {
        var plain = heartbeat(1, at: 1)
        plain.cpu = CPUUsage(coresBusy: 1, availableCores: 2, affinityCores: 2, window: .seconds(1))
        let names = RunSection.series(of: .cpuCores, [plain]).map(\.name)
        #expect(names == ["cores busy", "available cores"])
        plain.cpu.quotaCores = 1.5
        plain.cpu.availableCores = 1.5
        #expect(RunSection.series(of: .cpuCores, [plain]).map(\.name) == ["cores busy", "available cores", "affinity cores", "CPU quota"])
    }
}
