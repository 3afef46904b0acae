import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

@Suite struct LogfmtStallCapTests {
    @Test func stallLinesAreCappedAndTheRestCountedWhileTheHeadlineCountsAll() throws {
        let heartbeat = manyStalls(10_000)
        let lines = LogfmtFormat().render(heartbeat, context: FormatContext())
        #expect(lines.count == 1 + 32 + 1)
        #expect(lines[0].text.contains(" stalls=10000 "))
        #expect(lines.filter { $0.text.contains(" msg=stall ") }.count == 32)
        #expect(lines[32].text.contains(" msg=stall thread=ThreadId(32) label=s32 stuck_s=200.000"))
        #expect(lines[33].text.hasSuffix(" level=warn seq=1 msg=stalls_omitted stalls_omitted=9968"))
        #expect(lines[33].level == .warning)
        let five = try LogfmtFormat(limits: ExportLimits(maxStallLines: 5)).render(manyStalls(5), context: FormatContext())
        #expect(five.count == 6 && !five.contains { $0.text.contains("stalls_omitted") })
    }

    /// The record formats stay complete: JSON Lines lists all 10,000 stalls when the line may hold them.
    @Test func jsonLinesKeepsEveryStall() throws {
        // Each stall carries its reasons (about 300 bytes): 2,000 fit the decoder's 1 MiB line.
        let heartbeat = manyStalls(2_000)
        let line = try JSONLinesFormat(limits: ExportLimits(maxLineBytes: 1 << 20, maxStallLines: 1)).record(for: heartbeat)
        let decoded = try HeartbeatRecordDecoder().decode(line: line)
        #expect(decoded.heartbeat.stalls.count == 2_000)
        #expect(decoded.omittedStalls == 0)
    }
}
