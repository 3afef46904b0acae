import Dispatch
import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A record of exactly 20 bytes with its newline: "record-0007 ........".
private func record(_ index: Int, bytes: Int = 20) -> String {
    let head = "record-" + String(repeating: "0", count: max(0, 4 - String(index).count)) + String(index)
    return head + String(repeating: ".", count: max(0, bytes - 1 - head.count))
}

/// Every file of the set, oldest first: PATH.N … PATH.1, PATH.
private func rotationSet(_ path: String, maxFiles: Int) -> [(name: String, text: String)] {
    var files: [(String, String)] = []
    for index in stride(from: maxFiles, through: 1, by: -1) {
        if let text = contents(of: "\(path).\(index)") { files.append(("\(path).\(index)", text)) }
    }
    if let text = contents(of: path) { files.append((path, text)) }
    return files
}

private func fileSize(_ path: String) -> Int {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : -1
}

@Suite struct RotatingFileSinkTests {
    @Test func invalidConfigurationNamesTheField() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("log")
        for (maxBytes, maxFiles, field) in [(0, 3, "maxBytes"), (-5, 3, "maxBytes"), (100, 0, "maxFiles"), (100, 1001, "maxFiles")] {
            #expect {
                _ = try RotatingFileSink(path: path, maxBytes: maxBytes, maxFiles: maxFiles)
            } throws: { error in
                guard let error = error as? ExportError else { return false }
                return error.code == .invalidConfiguration && error.message.hasPrefix(field)
            }
        }
        #expect(!exists(path), "a rejected configuration must not create the file")
    }

    @Test func cannotOpenNamesThePath() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("missing/log")
        #expect {
            _ = try RotatingFileSink(path: path, maxBytes: 100, maxFiles: 2)
        } throws: { error in
            (error as? ExportError).map { $0.code == .cannotOpen && $0.message.contains(path) } ?? false
        }
    }

    @Test func rotationKeepsEveryRecordExactlyOnceInOrder() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        let warnings = CapturedWarnings()
        let sink = try RotatingFileSink(path: path, maxBytes: 100, maxFiles: 3, diagnostics: testDiagnostics(warnings))
        let records = (1 ... 18).map { record($0) }
        for text in records { sink.write(line(text)) }
        sink.close()

        let files = rotationSet(path, maxFiles: 3)
        #expect(files.map(\.name) == ["\(path).3", "\(path).2", "\(path).1", path])
        #expect(files.map(\.text).joined() == records.map { $0 + "\n" }.joined())
        // 20-byte records, 100-byte files: five to a file, the newest three in PATH.
        #expect(files.map { $0.text.utf8.count } == [100, 100, 100, 60])
        #expect(!exists("\(path).4"))
        #expect(!exists("\(path).expired"))
        #expect(warnings.messages.isEmpty)
        #expect(sink.droppedRecords == 0)
    }

    @Test func retentionDropsOnlyTheOldestFiles() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        let sink = try RotatingFileSink(path: path, maxBytes: 60, maxFiles: 2, diagnostics: testDiagnostics(CapturedWarnings()))
        let records = (1 ... 40).map { record($0) }
        for text in records { sink.write(line(text)) }
        sink.close()

        let files = rotationSet(path, maxFiles: 2)
        #expect(files.count == 3)
        #expect(!exists("\(path).3"))
        let kept = files.map(\.text).joined()
        // Three records per 60-byte file; 40 records leave a newest file of one record and two
        // full backups: the last seven records, contiguous, in order.
        #expect(kept == records.suffix(7).map { $0 + "\n" }.joined())
        for file in files { #expect(file.text.utf8.count <= 60) }
    }

    @Test func anOversizedRecordGoesAloneIntoAFreshFile() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        let sink = try RotatingFileSink(path: path, maxBytes: 50, maxFiles: 5, diagnostics: testDiagnostics(CapturedWarnings()))
        let big = String(repeating: "B", count: 199)
        sink.write(line("small one"))
        sink.write(line(big))
        sink.write(line("small two"))
        sink.close()
        #expect(contents(of: "\(path).2") == "small one\n")
        #expect(contents(of: "\(path).1") == big + "\n")
        #expect(contents(of: path) == "small two\n")
        #expect(!exists("\(path).3"))
    }

    @Test func anEmptyFileIsNeverRotated() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        try "".write(toFile: path, atomically: false, encoding: .utf8)
        let sink = try RotatingFileSink(path: path, maxBytes: 10, maxFiles: 3, diagnostics: testDiagnostics(CapturedWarnings()))
        let big = String(repeating: "x", count: 40)
        sink.write(line(big))
        #expect(!exists("\(path).1"), "an empty file was rotated into an empty backup")
        #expect(contents(of: path) == big + "\n")
        sink.close()
    }

    @Test func anExistingFileOverTheLimitRotatesAtTheFirstWrite() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        try "previous run, quite a long line\n".write(toFile: path, atomically: false, encoding: .utf8)
        let sink = try RotatingFileSink(path: path, maxBytes: 20, maxFiles: 3, diagnostics: testDiagnostics(CapturedWarnings()))
        sink.write(line("new run"))
        sink.close()
        #expect(contents(of: "\(path).1") == "previous run, quite a long line\n")
        #expect(contents(of: path) == "new run\n")
    }

    @Test func retentionIsEnforcedAtStartUp() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        for index in 1 ... 6 { try "backup \(index)\n".write(toFile: "\(path).\(index)", atomically: false, encoding: .utf8) }
        try "crash leftover\n".write(toFile: "\(path).expired", atomically: false, encoding: .utf8)
        try "n\n".write(toFile: "\(path).12", atomically: false, encoding: .utf8)
        for unrelated in ["\(path).bak", "\(path).07", "\(path).1x", dir.file("other.log.5")] {
            try "keep\n".write(toFile: unrelated, atomically: false, encoding: .utf8)
        }
        try FileManager.default.createDirectory(atPath: "\(path).9", withIntermediateDirectories: false)

        let warnings = CapturedWarnings()
        let sink = try RotatingFileSink(path: path, maxBytes: 1000, maxFiles: 3, diagnostics: testDiagnostics(warnings))
        for index in 1 ... 3 { #expect(contents(of: "\(path).\(index)") == "backup \(index)\n") }
        for index in [4, 5, 6, 12] { #expect(!exists("\(path).\(index)"), "\(path).\(index) survived") }
        #expect(!exists("\(path).expired"))
        for unrelated in ["\(path).bak", "\(path).07", "\(path).1x", dir.file("other.log.5")] {
            #expect(exists(unrelated), "\(unrelated) was deleted")
        }
        // A directory is never deleted, only reported.
        #expect(exists("\(path).9"))
        #expect(warnings.messages.count == 1)
        #expect(warnings.messages.first?.contains("\(path).9") == true)
        sink.close()
    }

    @Test func aFIFOIsNeverRotated() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.fifo")
        #expect(mkfifo(path, 0o600) == 0)
        // A non-blocking reader lets the sink's open succeed without a reader thread.
        let reader = open(path, O_RDONLY | O_NONBLOCK)
        try #require(reader >= 0)
        defer { close(reader) }

        let sink = try RotatingFileSink(path: path, maxBytes: 10, maxFiles: 2, diagnostics: testDiagnostics(CapturedWarnings()))
        let records = (1 ... 3).map { record($0, bytes: 30) }
        for text in records { sink.write(line(text)) }
        sink.close()

        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(reader, &buffer, buffer.count)
        #expect(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self) == records.map { $0 + "\n" }.joined())
        var info = stat()
        #expect(lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        #expect(!exists("\(path).1"))
        #expect(sink.droppedRecords == 0)
    }

    @Test func aCharacterDeviceIsNeverRotated() throws {
        let sink = try RotatingFileSink(path: "/dev/null", maxBytes: 1, maxFiles: 1, diagnostics: testDiagnostics(CapturedWarnings()))
        for index in 1 ... 5 { sink.write(line(record(index))) }
        sink.close()
        var info = stat()
        #expect(lstat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
        #expect(!exists("/dev/null.1"))
        #expect(sink.droppedRecords == 0)
    }

    @Test func aSymlinkAtThePathIsNotRotated() throws {
        // Renaming a symlink would move the link and leave its target growing without bound.
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let target = dir.file("target.log")
        let path = dir.file("heartbeat.log")
        try "".write(toFile: target, atomically: false, encoding: .utf8)
        #expect(symlink(target, path) == 0)
        let warnings = CapturedWarnings()
        let sink = try RotatingFileSink(path: path, maxBytes: 25, maxFiles: 2, diagnostics: testDiagnostics(warnings))
        for index in 1 ... 3 { sink.write(line(record(index))) }
        sink.close()
        #expect(contents(of: target) == (1 ... 3).map { record($0) + "\n" }.joined())
        #expect(!exists("\(path).1"))
        #expect(warnings.messages.first?.contains("not a regular file") == true)
    }

    @Test func aRotationBlockedByABackupSlotLosesNothingAndRecovers() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        // PATH.1 is a non-empty directory: rename(PATH, PATH.1) cannot succeed.
        try FileManager.default.createDirectory(atPath: "\(path).1", withIntermediateDirectories: false)
        try "occupant\n".write(toFile: "\(path).1/occupant", atomically: false, encoding: .utf8)
        let warnings = CapturedWarnings()
        let clock = ManualClock()
        let sink = try RotatingFileSink(
            path: path, maxBytes: 30, maxFiles: 1, diagnostics: testDiagnostics(warnings, clock: clock)
        )
        let records = (1 ... 5).map { record($0) }
        for text in records { sink.write(line(text)) }
        #expect(contents(of: path) == records.map { $0 + "\n" }.joined())
        #expect(contents(of: "\(path).1/occupant") == "occupant\n")
        #expect(sink.droppedRecords == 0)
        #expect(warnings.messages.count == 1)
        #expect(warnings.messages.first?.contains("\(path).1") == true)

        // Once the slot is free, the next rotation (retried at most once a second) succeeds.
        try FileManager.default.removeItem(atPath: "\(path).1")
        clock.advance(by: .milliseconds(1100))
        sink.write(line(record(6)))
        sink.close()
        #expect(contents(of: "\(path).1") == records.map { $0 + "\n" }.joined())
        #expect(contents(of: path) == record(6) + "\n")
    }

    @Test func aRenameThatFailsMidRotationIsUndoneAndLosesNothing() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        let failFinalStep = LockedValue(false)
        let warnings = CapturedWarnings()
        let clock = ManualClock()
        let sink = try RotatingFileSink(
            path: path, maxBytes: 40, maxFiles: 3, diagnostics: testDiagnostics(warnings, clock: clock)
        ) { from, to in
            // Fail the last step, PATH → PATH.1, after the older backups have already moved.
            if from == path, failFinalStep.withLock({ $0 }) { return EIO }
            return rename(from, to) == 0 ? 0 : errno
        }
        // Two records per file: fill PATH.3, PATH.2, PATH.1 and PATH.
        let records = (1 ... 8).map { record($0) }
        for text in records.prefix(8) { sink.write(line(text)) }
        let before = rotationSet(path, maxFiles: 3)
        #expect(before.count == 4)

        failFinalStep.withLock { $0 = true }
        sink.write(line(record(9)))
        let during = rotationSet(path, maxFiles: 3)
        #expect(during.map(\.name) == before.map(\.name))
        #expect(during.dropLast().map(\.text) == before.dropLast().map(\.text), "the undone renames left backups changed")
        #expect(during.last?.text == before.last!.text + record(9) + "\n")
        #expect(!exists("\(path).expired"))
        #expect(warnings.messages.count == 1)
        #expect(warnings.messages.first?.contains("renames undone") == true)
        #expect(sink.droppedRecords == 0)

        failFinalStep.withLock { $0 = false }
        clock.advance(by: .milliseconds(1100))
        sink.write(line(record(10)))
        sink.close()
        let after = rotationSet(path, maxFiles: 3)
        // PATH grew to records 7-9 while rotation was failing; the recovered rotation moved it
        // whole to PATH.1 and expired only the oldest backup (records 1-2).
        #expect(after.map(\.text).joined() == records.suffix(6).map { $0 + "\n" }.joined()
            + record(9) + "\n" + record(10) + "\n")
        #expect(contents(of: path) == record(10) + "\n")
    }

    @Test func aFileMovedAwayIsNeverRenamedAndThePathIsReopened() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        let sink = try RotatingFileSink(path: path, maxBytes: 30, maxFiles: 2, diagnostics: testDiagnostics(CapturedWarnings()))
        sink.write(line(record(1)))
        let moved = dir.file("heartbeat.log-20260101")
        #expect(rename(path, moved) == 0)
        // No clock advance: the check before a rotation notices the move on its own.
        sink.write(line(record(2)))
        sink.write(line(record(3)))
        sink.close()
        #expect(contents(of: moved) == record(1) + "\n")
        #expect(contents(of: "\(path).1") == record(2) + "\n")
        #expect(contents(of: path) == record(3) + "\n")
        #expect(sink.droppedRecords == 0)
    }

    /// A record cut short in the middle of a run (a disk filling up) is rolled back, and the
    /// sink's own count of the file's size with it: the file holds whole records only and later
    /// rotations fall exactly where they would have without the lost record.
    @Test func aRecordCutShortMidRunIsRolledBackAndRotationStaysExact() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        let disk = ShortWriter(keep: 7) { $0.contains("record-0004") }
        let sink = try RotatingFileSink(
            path: path, maxBytes: 60, maxFiles: 5, diagnostics: testDiagnostics(CapturedWarnings()),
            rename: { from, to in rename(from, to) == 0 ? 0 : errno }, write: disk.call
        )
        for index in 1 ... 9 { sink.write(line(record(index))) }
        sink.close()
        #expect(disk.shortWrites == 1)
        #expect(sink.droppedRecords == 1)
        // Three 20-byte records to a 60-byte file; record 4 is lost whole, not torn.
        let expected = [[1, 2, 3], [5, 6, 7], [8, 9]].map { $0.map { record($0) + "\n" }.joined() }
        #expect(rotationSet(path, maxFiles: 5).map(\.text) == expected)
    }

    @Test func diskFullDropsCountsAndDoesNotRotate() throws {
        let warnings = CapturedWarnings()
        let sink = try RotatingFileSink(path: "/dev/full", maxBytes: 10, maxFiles: 2, diagnostics: testDiagnostics(warnings))
        for index in 1 ... 3 { sink.write(line(record(index))) }
        #expect(sink.droppedRecords == 3)
        #expect(warnings.messages.count == 1)
        #expect(warnings.messages.first?.contains("No space left on device") == true)
        #expect(!exists("/dev/full.1"))
        sink.close()
        sink.close()
        sink.write(line("after close"))
        #expect(sink.droppedRecords == 4)
    }

    @Test func concurrentWritersKeepEveryRecordWholeAndExactlyOnceAcrossRotations() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("heartbeat.log")
        let maxBytes = 2000
        let sink = try RotatingFileSink(path: path, maxBytes: maxBytes, maxFiles: 1000, diagnostics: testDiagnostics(CapturedWarnings()))
        let threads = 4
        let perThread = 400
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0 ..< perThread {
                let padding = String(repeating: "p", count: (index * 13 + thread) % 90)
                sink.write(line("t=\(thread) i=\(index) \(padding)|"))
            }
        }
        sink.close()
        let files = rotationSet(path, maxFiles: 1000)
        #expect(files.count > 10)
        var next = [Int](repeating: 0, count: threads)
        for file in files {
            #expect(file.text.utf8.count <= maxBytes)
            #expect(fileSize(file.name) == file.text.utf8.count)
            for record in file.text.split(separator: "\n") {
                let fields = record.split(separator: " ")
                #expect(record.hasPrefix("t=") && record.hasSuffix("|"))
                guard let thread = Int(fields[0].dropFirst(2)), let index = Int(fields[1].dropFirst(2)) else {
                    Issue.record("malformed record \(record)")
                    continue
                }
                // Each thread's records appear once, in the order it wrote them.
                #expect(index == next[thread])
                next[thread] = index + 1
            }
        }
        #expect(next == [Int](repeating: perThread, count: threads))
    }
}
