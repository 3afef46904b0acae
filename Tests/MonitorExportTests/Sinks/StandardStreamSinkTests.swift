import Dispatch
import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A pipe whose ends the test closes explicitly.
private struct Pipe {
    var reader: Int32
    var writer: Int32

    init() throws {
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)
        reader = ends[0]
        writer = ends[1]
    }

    /// Everything written so far; the write end must be closed first.
    func readAll() -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(reader, &chunk, chunk.count)
            if count <= 0 { break }
            bytes += chunk.prefix(count)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

@Suite struct StandardStreamSinkTests {
    @Test func writesEachLineWithItsNewline() throws {
        let pipe = try Pipe()
        defer { close(pipe.reader) }
        let sink = StandardStreamSink(fileDescriptor: pipe.writer, name: "pipe", diagnostics: testDiagnostics(CapturedWarnings()))
        sink.write(line("[process-monitor] elapsed=5s"))
        sink.write(RenderedLine(text: "[process-monitor] STALL phase=\"ünïcode\"", level: .warning))
        close(pipe.writer)
        #expect(pipe.readAll() == "[process-monitor] elapsed=5s\n[process-monitor] STALL phase=\"ünïcode\"\n")
        #expect(sink.droppedRecords == 0)
    }

    @Test func aPipeWithoutReaderIsADropNotACrash() throws {
        // The test runner leaves SIGPIPE at its default action (the process dies in write()
        // when the sink does not suppress it; checked by disabling the guard). The test does
        // not set the disposition itself: that is process-wide and other tests run in parallel.
        let pipe = try Pipe()
        close(pipe.reader)
        defer { close(pipe.writer) }
        let warnings = CapturedWarnings()
        let sink = StandardStreamSink(fileDescriptor: pipe.writer, name: "pipe", diagnostics: testDiagnostics(warnings))
        sink.write(line("nobody reads this"))
        sink.write(line("nor this"))
        #expect(sink.droppedRecords == 2)
        #expect(warnings.messages.count == 1)
        #expect(warnings.messages.first?.contains("Broken pipe") == true)

        // The signal was consumed, not left pending for the host to trip over later.
        var pending = sigset_t()
        sigpending(&pending)
        #expect(sigismember(&pending, SIGPIPE) == 0)
    }

    @Test func aDescriptorThatCannotBeWrittenIsADrop() throws {
        let readOnly = open("/dev/null", O_RDONLY)
        try #require(readOnly >= 0)
        defer { close(readOnly) }
        let warnings = CapturedWarnings()
        let sink = StandardStreamSink(fileDescriptor: readOnly, name: "ro", diagnostics: testDiagnostics(warnings))
        sink.write(line("x"))
        #expect(sink.droppedRecords == 1)
        #expect(warnings.messages.first?.contains("Bad file descriptor") == true)
    }

    @Test func closeDoesNotSilenceAStandardStream() throws {
        let pipe = try Pipe()
        defer { close(pipe.reader) }
        let sink = StandardStreamSink(fileDescriptor: pipe.writer, name: "pipe", diagnostics: testDiagnostics(CapturedWarnings()))
        sink.close()
        sink.close()
        sink.write(line("next monitor"))
        close(pipe.writer)
        #expect(pipe.readAll() == "next monitor\n")
        #expect(sink.droppedRecords == 0)
    }

    @Test func concurrentWritersProduceWholeLinesOnly() throws {
        let pipe = try Pipe()
        defer { close(pipe.reader) }
        let sink = StandardStreamSink(fileDescriptor: pipe.writer, name: "pipe", diagnostics: testDiagnostics(CapturedWarnings()))
        let collected = LockedValue("")
        let drained = DispatchSemaphore(value: 0)
        // Drain concurrently: the pipe buffer is smaller than what the writers produce.
        Thread.detachNewThread {
            collected.withLock { $0 = pipe.readAll() }
            drained.signal()
        }
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for index in 0 ..< 300 {
                sink.write(line("t=\(thread) i=\(index) " + String(repeating: "z", count: (index * 31) % 700) + "|"))
            }
        }
        close(pipe.writer)
        drained.wait()
        let records = collected.withLock { $0 }.split(separator: "\n")
        #expect(records.count == 1200)
        #expect(records.allSatisfy { $0.hasPrefix("t=") && $0.hasSuffix("|") && $0.split(separator: " ").count == 3 })
        #expect(Set(records.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }).count == 1200)
    }

    /// One lock per stream, shared by every sink on it (and by the sinks' warnings), so two
    /// sinks on stderr never interleave inside a line; stdout's is another.
    @Test func everySinkOnAStreamSharesThatStreamsLock() {
        let shared = StandardStreamSink.standardError
        #expect(StandardStreamSink(.standardError).lock === shared.lock)
        #expect(StandardStreamSink(.standardOutput).lock === StandardStreamSink.standardOutput.lock)
        #expect(StandardStreamSink.standardOutput.lock !== shared.lock)
        #expect(StandardStreamSink(fileDescriptor: 2, name: "pipe").lock !== shared.lock, "a caller's descriptor has a lock of its own")
    }
}
