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

    @Test("the same input gives the same bytes")
    func deterministic() {
        #expect(fullReport() == fullReport())
    }
}
