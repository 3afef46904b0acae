import Foundation
@testable import MonitorReport
import MonitorExport
import ProcessMonitor
import Testing

@Suite struct SelfContainedTests {
    /// A report using every drawing: timeline, stalls, gaps, every chart with its limits.
    func fullReport() -> String {
        var report = HTMLReport(title: "full")
        for beat in sampleLog(count: 40) where beat.sequence != 20 {
            var beat = beat
            beat.resources = ResourceUsage(
                rssBytes: 100 << 20 + beat.sequence << 20, peakRSSBytes: 150 << 20, threads: 9, readBytes: 1, writeBytes: 2,
                memoryLimitBytes: 256 << 20, memoryUsageBytes: 120 << 20, oomKills: 0,
                openFileDescriptors: 40 + beat.sequence, fileDescriptorLimit: 1024
            )
            beat.cpu = CPUUsage(coresBusy: 0.5, availableCores: 1.5, affinityCores: 2, quotaCores: 1.5, window: .seconds(1))
            report.add(record(beat, attributes: ["job": "full"]), source: "hb.jsonl")
        }
        return report.render()
    }

    @Test("the page fetches nothing: no URL, no src, no import, no url()")
    func noExternalFetch() {
        let html = fullReport()
        for forbidden in ["http:", "https:", "//", "src=", "@import", "url(", "<script", "<link", "<img", "<iframe",
                          "<object", "<embed", "<use", "href=\"h", "xlink"] {
            #expect(!html.lowercased().contains(forbidden), "found \(forbidden)")
        }
        #expect(html.contains("Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\""))
        // Every link is a fragment inside the page.
        #expect(html.components(separatedBy: "href=\"").dropFirst().allSatisfy { $0.hasPrefix("#run-") })
    }

    @Test("every chart is drawn, limits included, with units")
    func chartsArePresent() {
        let html = fullReport()
        for title in ["CPU cores busy", "Memory", "Open file descriptors", "Progress of the active phase", "Rate of the active phase"] {
            #expect(html.contains("<h3>\(title)</h3><div class=\"fig\"><svg"), "\(title) not drawn")
        }
        #expect(html.contains("memory limit 256.0MiB"))
        #expect(html.contains("descriptor limit 1024 (off the scale)"))
        #expect(html.contains("CPU quota 1.5"))
        #expect(html.contains("affinity cores 2"))
    }

    /// Three ranks of a job with several attributes each, their records split over three files
    /// given in `order`: everything a dictionary or a set could hand back in another order.
    static func keyedReport(order: [Int] = [0, 1, 2]) -> String {
        var files: [[(DecodedRecord, String)]] = [[], [], []]
        for rank in 0 ..< 3 {
            let attributes = ["job": "train", "rank": "\(rank)", "host": "node-\(rank % 2)", "zone": "z\(rank)", "a": "1"]
            for beat in sampleLog(count: 18, pid: 4000 + Int32(rank % 2)) {
                let file = 2 - Int(beat.sequence - 1) / 6
                files[file].append((record(beat, attributes: attributes), ["hb.jsonl", "hb.jsonl.1", "hb.jsonl.2"][file]))
            }
        }
        var report = HTMLReport(title: "ranks")
        for file in order {
            for (record, source) in files[file] { report.add(record, source: source) }
        }
        return report.render()
    }

    /// Swift seeds its hashing per process, so two renderings in one process agree even when
    /// the output depends on dictionary order. The comparison is made with a rendering from
    /// another process (an exit test), and with the files given in another order.
    @Test("the same input gives the same bytes, in another process and in any file order")
    func deterministic() async throws {
        let here = Self.keyedReport()
        let child = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            FileHandle.standardOutput.write(Data(SelfContainedTests.keyedReport().utf8))
        }
        let there = String(decoding: child?.standardOutputContent ?? [], as: UTF8.self)
        // Compared outside #expect, which would print both pages on a failure.
        let sameInAnotherProcess = there == here
        let sameInAnotherOrder = Self.keyedReport(order: [2, 0, 1]) == here
        #expect(sameInAnotherProcess, "another process rendered other bytes (\(there.utf8.count) vs \(here.utf8.count))")
        #expect(sameInAnotherOrder, "the files in another order gave other bytes")
    }
}
