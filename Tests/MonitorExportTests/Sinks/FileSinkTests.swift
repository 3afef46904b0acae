import Dispatch
import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: - FileSink

@Suite struct FileSinkTests {
    @Test func writesEachLineWithItsNewlineAndAppendsToExistingContent() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        try "earlier run\n".write(toFile: path, atomically: false, encoding: .utf8)

        let sink = try FileSink(path: path, diagnostics: testDiagnostics(CapturedWarnings()))
        sink.write(line("first"))
        sink.write(RenderedLine(text: "stall: phase=\"löschen ✓\"", level: .warning))
        sink.write(line(""))
        #expect(contents(of: path) == "earlier run\nfirst\nstall: phase=\"löschen ✓\"\n\n")
        #expect(sink.droppedRecords == 0)
        sink.close()
    }

    @Test func cannotOpenErrorsNameThePathAndTheReason() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let missing = dir.file("no-such-dir/heartbeat.log")
        #expect {
            _ = try FileSink(path: missing)
        } throws: { error in
            guard let error = error as? ExportError else { return false }
            return error.code == .cannotOpen && error.message.contains(missing)
                && error.message.contains("No such file or directory")
        }
        #expect {
            _ = try FileSink(path: dir.path)
        } throws: { error in
            guard let error = error as? ExportError else { return false }
            return error.code == .cannotOpen && error.message.contains(dir.path)
                && error.message.contains("Is a directory")
        }
    }

    @Test func diskFullDropsCountsAndWarnsOnce() throws {
        let warnings = CapturedWarnings()
        let sink = try FileSink(path: "/dev/full", diagnostics: testDiagnostics(warnings))
        for index in 0 ..< 5 { sink.write(line("record \(index)")) }
        #expect(sink.droppedRecords == 5)
        #expect(warnings.messages.count == 1)
        let warning = try #require(warnings.messages.first)
        #expect(warning.contains("/dev/full"))
        #expect(warning.contains("No space left on device"))
        sink.close()
    }

    @Test func warningsAreRateLimitedPerIntervalAndCountWhatWasHeldBack() throws {
        let warnings = CapturedWarnings()
        let clock = ManualClock()
        let sink = try FileSink(path: "/dev/full", diagnostics: testDiagnostics(warnings, clock: clock, interval: .seconds(30)))
        for _ in 0 ..< 4 { sink.write(line("x")) }
        #expect(warnings.messages.count == 1)
        clock.advance(by: .seconds(29))
        sink.write(line("x"))
        #expect(warnings.messages.count == 1)
        clock.advance(by: .seconds(2))
        sink.write(line("x"))
        #expect(warnings.messages.count == 2)
        #expect(warnings.messages.last?.contains("4 more warnings from this sink held back") == true)
        #expect(sink.droppedRecords == 6)
        sink.close()
    }

    @Test func writingResumesByItselfOnceTheFaultClears() throws {
        // The path first names /dev/full (every write fails with ENOSPC), then a regular file is
        // renamed over it: the fault is gone without anyone touching the sink.
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        #expect(symlink("/dev/full", path) == 0)
        let warnings = CapturedWarnings()
        let sink = try FileSink(path: path, diagnostics: testDiagnostics(warnings))
        sink.write(line("lost 1"))
        sink.write(line("lost 2"))
        #expect(sink.droppedRecords == 2)

        let healthy = dir.file("healthy")
        try "".write(toFile: healthy, atomically: false, encoding: .utf8)
        #expect(rename(healthy, path) == 0)
        sink.write(line("kept 1"))
        sink.write(line("kept 2"))
        #expect(sink.droppedRecords == 2)
        #expect(contents(of: path) == "kept 1\nkept 2\n")
        #expect(warnings.messages.count == 1)
        sink.close()
    }

    @Test func reopensThePathAfterTheFileWasMovedAwayOrDeleted() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        let clock = ManualClock()
        let sink = try FileSink(path: path, diagnostics: testDiagnostics(CapturedWarnings(), clock: clock))
        sink.write(line("before move"))
        #expect(rename(path, dir.file("heartbeat.log.rotated")) == 0)
        clock.advance(by: .milliseconds(1100))
        sink.write(line("after move"))
        #expect(contents(of: dir.file("heartbeat.log.rotated")) == "before move\n")
        #expect(contents(of: path) == "after move\n")

        #expect(unlink(path) == 0)
        clock.advance(by: .milliseconds(1100))
        sink.write(line("after delete"))
        #expect(contents(of: path) == "after delete\n")
        #expect(sink.droppedRecords == 0)
        sink.close()
    }

    /// `rm` of the file, noticed at the next path check (no system call per record): the
    /// lines written into the unlinked inode since the last check are carried over to the
    /// recreated file, so none goes nowhere. A writer at most one line a second has each line
    /// confirmed right after writing it, so only lines after the deletion are carried over.
    @Test func aDeletedFileIsRecreatedAndTheLinesWrittenIntoItAreCarriedOver() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        let warnings = CapturedWarnings()
        let clock = ManualClock()
        let sink = try FileSink(path: path, diagnostics: testDiagnostics(warnings, clock: clock, interval: .zero))
        clock.advance(by: .milliseconds(1100))
        sink.write(line("one"))  // checked before and confirmed after: one a second
        #expect(unlink(path) == 0)
        sink.write(line("two"))  // within the interval: into the deleted file, unseen yet
        #expect(!exists(path))
        clock.advance(by: .milliseconds(1100))
        sink.write(line("three"))
        #expect(contents(of: path) == "two\nthree\n", "'one' was deleted with its file; 'two' was written after and is kept")
        #expect(sink.droppedRecords == 0)
        #expect(warnings.messages.last?.contains("the file was deleted; recreated it, carrying over the 1 line(s)") == true)
        sink.close()
    }

    /// Faster than a line a second, the lines since the last check cannot be told apart: all
    /// are carried over, even those written just before the `rm`, rather than risk losing one.
    @Test func aFastWritersLinesSinceTheLastCheckAreAllCarriedOver() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        let clock = ManualClock()
        let sink = try FileSink(path: path, diagnostics: testDiagnostics(CapturedWarnings(), clock: clock))
        sink.write(line("a"))
        sink.write(line("b"))
        #expect(unlink(path) == 0)
        sink.write(line("c"))
        clock.advance(by: .milliseconds(1100))
        sink.write(line("d"))
        #expect(contents(of: path) == "a\nb\nc\nd\n")
        #expect(sink.droppedRecords == 0)
        sink.close()
    }

    /// While the path cannot be recreated, lines are dropped and counted, and so are those the
    /// deleted file held since the last check. The directory is replaced by a regular file,
    /// which no one can create a file under, root included (a read-only directory would not
    /// stop root, and this test would prove nothing there).
    @Test func aDeletedFileThatCannotBeRecreatedDropsAndCountsEvenForRoot() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let logs = dir.file("logs")
        #expect(mkdir(logs, 0o755) == 0)
        let path = logs + "/heartbeat.log"
        let warnings = CapturedWarnings()
        let clock = ManualClock()
        let sink = try FileSink(path: path, diagnostics: testDiagnostics(warnings, clock: clock, interval: .zero))
        clock.advance(by: .milliseconds(1100))
        sink.write(line("one"))
        #expect(unlink(path) == 0 && rmdir(logs) == 0)
        try "not a directory\n".write(toFile: logs, atomically: false, encoding: .utf8)
        sink.write(line("two"))  // into the deleted file
        clock.advance(by: .milliseconds(1100))
        sink.write(line("three"))
        #expect(sink.droppedRecords == 2, "'two' is lost with the deleted file and 'three' had nowhere to go")
        let warning = try #require(warnings.messages.last)
        #expect(warning.contains("the file was deleted and cannot be recreated: Not a directory"))
        #expect(warning.contains("the 1 line(s) written to it since the last check are lost"))
        // Every line is tried again at once, without waiting for the interval.
        sink.write(line("four"))
        #expect(sink.droppedRecords == 3)
        #expect(unlink(logs) == 0 && mkdir(logs, 0o755) == 0)
        sink.write(line("five"))
        #expect(contents(of: path) == "five\n")
        #expect(sink.droppedRecords == 3)
        sink.close()
    }

    /// A disk that fills up in the middle of a record: the kernel takes part of it. That part
    /// is rolled back, so the file holds whole records only, and the next record starts where
    /// the failed one did.
    @Test func aRecordCutShortByAFullDiskIsRolledBack() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.jsonl")
        let disk = ShortWriter(keep: 7) { $0.contains("\"seq\":2") }
        let warnings = CapturedWarnings()
        let sink = try FileSink(path: path, diagnostics: testDiagnostics(warnings), write: disk.call)
        for sequence in 1 ... 3 { sink.write(line(#"{"seq":\#(sequence),"trigger":"scheduled"}"#)) }
        #expect(disk.shortWrites == 1)
        #expect(contents(of: path) == #"{"seq":1,"trigger":"scheduled"}"# + "\n" + #"{"seq":3,"trigger":"scheduled"}"# + "\n")
        #expect(sink.droppedRecords == 1)
        let warning = try #require(warnings.messages.first)
        #expect(warning.contains("No space left on device"))
        #expect(warning.contains("the 7 bytes of it that were written were rolled back"))
        sink.close()
    }

    @Test func anEmptyPathOrOneWithANULByteIsRefusedByName() {
        for (path, expected) in [("", "FileSink: the path is empty (\"\")"), ("hb\u{0}.jsonl", "has a NUL byte at byte 2")] {
            #expect {
                _ = try FileSink(path: path)
            } throws: { error in
                guard let error = error as? ExportError else { return false }
                return error.code == .invalidConfiguration && error.message.contains(expected) && !error.message.contains("directory")
            }
        }
        #expect {
            _ = try RotatingFileSink(path: "", maxBytes: 100, maxFiles: 2)
        } throws: { error in
            (error as? ExportError)?.message.hasPrefix("RotatingFileSink: the path is empty") == true
        }
        #expect {
            _ = try PrometheusTextfileSink(path: "")
        } throws: { error in
            (error as? ExportError)?.message.hasPrefix("PrometheusTextfileSink: the path is empty") == true
        }
    }

    /// A megabyte-long path makes a line of a few hundred bytes that says how long it was.
    @Test func aLongPathIsCutInTheMessageWithItsLength() throws {
        let path = "/nonexistent-dir/" + String(repeating: "p", count: 1 << 20)
        do {
            _ = try FileSink(path: path)
            Issue.record("a megabyte path opened")
        } catch {
            #expect(error.message.utf8.count < 400, "\(error.message.utf8.count) bytes")
            #expect(error.message.contains("…(\(path.utf8.count) bytes)"))
            #expect(error.message.hasPrefix("cannot open /nonexistent-dir/ppp"))
        }
    }

    /// A file that ends inside a line holds the fragment of a record torn by an earlier writer
    /// (a full disk): the next record starts on a fresh line, and the fragment counts as dropped.
    @Test func aFileEndingInsideALineIsContinuedOnAFreshLine() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.jsonl")
        try #"{"seq":1}"# .appending("\n").appending(#"{"seq":2,"tr"#).write(toFile: path, atomically: false, encoding: .utf8)
        let sink = try FileSink(path: path, diagnostics: testDiagnostics(CapturedWarnings()))
        #expect(sink.droppedRecords == 1, "the torn fragment is a lost record")
        sink.write(line(#"{"seq":3}"#))
        #expect(contents(of: path) == "{\"seq\":1}\n{\"seq\":2,\"tr\n{\"seq\":3}\n")
        // Every complete line parses: the fragment stands alone instead of spoiling seq 3.
        let lines = contents(of: path)?.split(separator: "\n").map(String.init) ?? []
        #expect(lines.filter { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil } == [#"{"seq":1}"#, #"{"seq":3}"#])
        sink.close()
        // A file ending in a newline is appended to as it is.
        let clean = try FileSink(path: path, diagnostics: testDiagnostics(CapturedWarnings()))
        clean.write(line(#"{"seq":4}"#))
        #expect(clean.droppedRecords == 0)
        #expect(contents(of: path)?.hasSuffix("{\"seq\":3}\n{\"seq\":4}\n") == true)
        clean.close()
    }

    @Test func checksThePathAtMostOncePerIntervalOnTheWritePath() throws {
        // Within the interval the sink trusts its descriptor: no stat per write.
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        let clock = ManualClock()
        let sink = try FileSink(path: path, diagnostics: testDiagnostics(CapturedWarnings(), clock: clock))
        #expect(rename(path, dir.file("moved")) == 0)
        sink.write(line("still to the moved file"))
        #expect(contents(of: dir.file("moved")) == "still to the moved file\n")
        #expect(!exists(path))
        sink.close()
    }

    @Test func aFIFOWhoseReaderLeftDropsWithoutSIGPIPEAndResumesWithTheNextReader() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.fifo")
        #expect(mkfifo(path, 0o600) == 0)
        let firstReader = open(path, O_RDONLY | O_NONBLOCK)
        try #require(firstReader >= 0)
        let warnings = CapturedWarnings()
        let sink = try FileSink(path: path, diagnostics: testDiagnostics(warnings))
        close(firstReader)
        // Without the sink's per-thread SIGPIPE suppression this write would end the process.
        sink.write(line("nobody listens"))
        #expect(sink.droppedRecords == 1)
        #expect(warnings.messages.first?.contains("Broken pipe") == true)

        let secondReader = open(path, O_RDONLY | O_NONBLOCK)
        try #require(secondReader >= 0)
        defer { close(secondReader) }
        sink.write(line("someone listens"))
        sink.close()
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = read(secondReader, &buffer, buffer.count)
        #expect(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self) == "someone listens\n")
        #expect(sink.droppedRecords == 1)
    }

    @Test func aFIFOWithoutReaderCannotBeOpenedRatherThanBlocking() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.fifo")
        #expect(mkfifo(path, 0o600) == 0)
        #expect {
            _ = try FileSink(path: path)
        } throws: { error in
            (error as? ExportError).map { $0.code == .cannotOpen && $0.message.contains(path) } ?? false
        }
    }

    @Test func writesAfterCloseAreDroppedAndCountedAndClosingTwiceIsSafe() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        let sink = try FileSink(path: path, diagnostics: testDiagnostics(CapturedWarnings()))
        sink.write(line("kept"))
        sink.flush()
        sink.close()
        sink.close()
        sink.write(line("after close"))
        #expect(sink.droppedRecords == 1)
        #expect(contents(of: path) == "kept\n")
    }

    @Test func concurrentWritersProduceWholeLinesOnly() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        let sink = try FileSink(path: path, diagnostics: testDiagnostics(CapturedWarnings()))
        let threads = 4
        let perThread = 500
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0 ..< perThread {
                // Lengths vary so a torn write would show up as a malformed line.
                let padding = String(repeating: "x", count: (index * 37 + thread * 11) % 300)
                sink.write(line("t=\(thread) i=\(index) \(padding) end"))
            }
        }
        sink.close()
        let lines = try #require(contents(of: path)).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        let records = lines.dropLast()
        #expect(records.count == threads * perThread)
        var seen = Set<String>()
        for record in records {
            let fields = record.split(separator: " ")
            #expect(fields.count == 4 || fields.count == 3)
            #expect(record.hasPrefix("t=") && record.hasSuffix(" end"))
            seen.insert(fields.prefix(2).joined(separator: " "))
        }
        #expect(seen.count == threads * perThread)
    }
}
