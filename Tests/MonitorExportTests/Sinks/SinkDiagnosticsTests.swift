import Dispatch
import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SinkDiagnosticsTests {
    @Test func oneWarningPerIntervalPerSink() throws {
        let warnings = CapturedWarnings()
        let clock = ManualClock()
        let diagnostics = testDiagnostics(warnings, clock: clock, interval: .seconds(10))
        let first = try FileSink(path: "/dev/full", diagnostics: diagnostics)
        let second = try FileSink(path: "/dev/full", diagnostics: diagnostics)
        first.write(line("a"))
        first.write(line("b"))
        second.write(line("c"))
        // Each sink has its own limit: one from each.
        #expect(warnings.messages.count == 2)
        clock.advance(by: .seconds(10))
        first.write(line("d"))
        #expect(warnings.messages.count == 3)
        #expect(warnings.messages.last?.contains("1 more warning from this sink held back") == true)
        first.close()
        second.close()
    }

    /// A stream closed when the sink was made (`prog >&-`) is never written: whatever file later
    /// takes its number is not the stream.
    @Test func aStreamClosedAtCreationIsNeverWritten() throws {
        // A closed number far above the lowest free one: `open` in a test running beside this
        // one takes the lowest, so nothing reopens this number before the sink is made.
        let scratch = open("/dev/null", O_WRONLY | O_CLOEXEC)
        let closedNumber = fcntl(scratch, F_DUPFD_CLOEXEC, 4000)
        close(scratch)
        #expect(closedNumber >= 4000)
        close(closedNumber)
        let warnings = CapturedWarnings()
        let sink = StandardStreamSink(fileDescriptor: closedNumber, name: "closed", diagnostics: testDiagnostics(warnings))
        sink.write(line("nowhere"))
        #expect(sink.droppedRecords == 1)
        #expect(warnings.messages.first?.contains("Bad file descriptor") == true)
    }
}
