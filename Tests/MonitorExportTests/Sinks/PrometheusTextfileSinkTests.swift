import Dispatch
import Foundation
import MonitorExport
import ProcessMonitor
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct PrometheusTextfileSinkTests {
    /// Names in `directory`, hidden ones included.
    func listing(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    @Test func eachBatchReplacesTheWholeFileAndLeavesNoTemporaryFile() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("job.prom")
        try "stale from an earlier run\n".write(toFile: path, atomically: false, encoding: .utf8)
        let sink = try PrometheusTextfileSink(path: path, diagnostics: testDiagnostics(CapturedWarnings()))
        // Nothing is written before the first heartbeat.
        #expect(contents(of: path) == "stale from an earlier run\n")
        #expect(listing(dir.path) == ["job.prom"])

        sink.write([line("a 1"), line("b 2"), line("c 3")])
        #expect(contents(of: path) == "a 1\nb 2\nc 3\n")
        sink.write([line("only")])
        #expect(contents(of: path) == "only\n")
        sink.write(line("single"))
        #expect(contents(of: path) == "single\n")
        #expect(listing(dir.path) == ["job.prom"])
        #expect(sink.droppedRecords == 0)
        sink.close()
    }

    @Test func closeKeepsTheLastFileAndLaterWritesAreDropped() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("job.prom")
        let warnings = CapturedWarnings()
        let sink = try PrometheusTextfileSink(path: path, diagnostics: testDiagnostics(warnings))
        sink.write([line("last 1")])
        sink.close()
        sink.close()
        sink.write([line("late 2")])
        #expect(contents(of: path) == "last 1\n")
        #expect(sink.droppedRecords == 1)
        #expect(warnings.messages.first?.contains("after close") == true)
    }

    @Test func theExporterWritesTheFormatsExpositionAndReportsDrops() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("nested/job.prom")
        try FileManager.default.createDirectory(atPath: dir.file("nested"), withIntermediateDirectories: false)
        let exporter = HeartbeatExporter(
            format: try PrometheusFormat(attributes: ["job": "etl"]),
            sink: try PrometheusTextfileSink(path: path, diagnostics: testDiagnostics(CapturedWarnings()))
        )
        exporter.observe(PrometheusFixtures.full())
        let format = try PrometheusFormat(attributes: ["job": "etl"])
        #expect(contents(of: path) == PrometheusFixtures.text(format.render(PrometheusFixtures.full(), context: FormatContext())))

        // The directory vanishes for one heartbeat: the next file says one was dropped.
        try FileManager.default.removeItem(atPath: dir.file("nested"))
        exporter.observe(PrometheusFixtures.full())
        #expect(exporter.droppedRecords == 1)
        try FileManager.default.createDirectory(atPath: dir.file("nested"), withIntermediateDirectories: false)
        exporter.observe(PrometheusFixtures.full())
        #expect(contents(of: path)?.contains("processmonitor_dropped_records_total{job_name=\"etl\"} 1\n") == true)
        exporter.monitorDidStop()
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func aReaderNeverSeesAPartialFile() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("job.prom")
        let sink = try PrometheusTextfileSink(path: path, diagnostics: testDiagnostics(CapturedWarnings()))
        // Batch i: 100 + i % 200 lines that all name i, so a mix of two batches or a cut one shows.
        func batch(_ i: Int) -> [RenderedLine] {
            (0 ..< 100 + i % 200).map { k in line("processmonitor_test{batch=\"\(i)\",line=\"\(k)\"} \(i)") }
        }
        @Sendable func check(_ text: String) -> Bool {
            guard text.hasSuffix("\n") else { return false }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            guard let first = lines.first, let i = Int(first.split(separator: " ").last ?? "") else { return false }
            return lines.count == 100 + i % 200 && lines.allSatisfy { $0.hasSuffix(" \(i)") }
        }
        sink.write(batch(0))

        let writerDone = Atomic<Bool>(false)
        let readerStarted = Atomic<Bool>(false)
        let bad = LockedValue<(count: Int, first: [String])>((0, []))
        let reads = Atomic<Int>(0)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            // Bounded by the writer finishing (plus at least 100 reads), and by a hard cap.
            var iterations = 0
            while iterations < 2_000_000 && (!writerDone.load(ordering: .acquiring) || iterations < 100) {
                iterations += 1
                readerStarted.store(true, ordering: .releasing)
                let text = contents(of: path) ?? "<missing>"
                if !check(text) {
                    bad.withLock { bad in
                        bad.count += 1
                        if bad.first.count < 3 { bad.first.append(String(text.prefix(120))) }
                    }
                }
            }
            reads.store(iterations, ordering: .relaxed)
        }
        // Start writing once the reader runs, so the two overlap; a bound, not a clock.
        var spins = 0
        while !readerStarted.load(ordering: .acquiring) && spins < 10_000_000 { spins += 1 }
        for i in 1 ... 500 { sink.write(batch(i)) }
        writerDone.store(true, ordering: .releasing)
        group.wait()

        let badReads = bad.withLock { $0 }
        #expect(badReads.count == 0, "partial or mixed reads, the first: \(badReads.first)")
        #expect(reads.load(ordering: .relaxed) >= 100)
        #expect(check(contents(of: path) ?? ""))
        #expect(contents(of: path)?.hasSuffix("} 500\n") == true)
        #expect(listing(dir.path) == ["job.prom"])
        #expect(sink.droppedRecords == 0)
    }

    @Test func aDeletedDirectoryDropsCountsWarnsOnceAndRecovers() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let sub = dir.file("textfile")
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: false)
        let path = sub + "/job.prom"
        let warnings = CapturedWarnings()
        let clock = ManualClock()
        let sink = try PrometheusTextfileSink(path: path, diagnostics: testDiagnostics(warnings, clock: clock))
        sink.write([line("one 1")])
        try FileManager.default.removeItem(atPath: sub)

        sink.write([line("two 2")])
        sink.write([line("three 3")])
        #expect(sink.droppedRecords == 2)
        #expect(warnings.messages.count == 1)
        let warning = try #require(warnings.messages.first)
        #expect(warning.contains(path))
        #expect(warning.contains("No such file or directory"))

        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: false)
        sink.write([line("four 4")])
        #expect(contents(of: path) == "four 4\n")
        #expect(sink.droppedRecords == 2)
        clock.advance(by: .seconds(61))
        try FileManager.default.removeItem(atPath: sub)
        sink.write([line("five 5")])
        #expect(warnings.messages.count == 2)
        sink.close()
    }

    @Test func aFullFileSystemDropsTheHeartbeatAndKeepsThePreviousFile() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let mountPoint = dir.file("tiny")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        // Needs CAP_SYS_ADMIN (CI runs as root); elsewhere the deleted-directory test covers
        // the same write-path failure.
        guard mount("tmpfs", mountPoint, "tmpfs", 0, "size=16k") == 0 else { return }
        defer { umount2(mountPoint, 0) }
        let path = mountPoint + "/job.prom"
        let warnings = CapturedWarnings()
        let sink = try PrometheusTextfileSink(path: path, diagnostics: testDiagnostics(warnings))
        sink.write([line("before 1")])

        // Fill the file system to the last byte.
        let filler = open(mountPoint + "/filler", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(filler >= 0)
        let chunk = [UInt8](repeating: 0x78, count: 1024)
        var filled = 0
        while filled < 1 << 20, chunk.withUnsafeBytes({ write(filler, $0.baseAddress, $0.count) }) > 0 { filled += 1 }
        close(filler)

        sink.write([line("during 2"), line(String(repeating: "x", count: 8192))])
        #expect(sink.droppedRecords == 1)
        #expect(contents(of: path) == "before 1\n")
        #expect(warnings.messages.first?.contains("No space left on device") == true)
        #expect(listing(mountPoint) == ["filler", "job.prom"])

        unlink(mountPoint + "/filler")
        sink.write([line("after 3")])
        #expect(contents(of: path) == "after 3\n")
        #expect(sink.droppedRecords == 1)
        sink.close()
    }

    @Test func badPathsFailAtStartNamingThePathAndTheReason() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let cases: [(String, ExportError.Code, String)] = [
            (dir.file("job.txt"), .invalidConfiguration, "does not end in NAME.prom"),
            (dir.file(".prom"), .invalidConfiguration, "does not end in NAME.prom"),
            (dir.file("job.prom/"), .invalidConfiguration, "does not end in NAME.prom"),
            (dir.file("missing/job.prom"), .cannotOpen, "No such file or directory"),
            (dir.path, .invalidConfiguration, "does not end in NAME.prom"),
        ]
        try FileManager.default.createDirectory(atPath: dir.file("dir.prom"), withIntermediateDirectories: false)
        try "x".write(toFile: dir.file("plain"), atomically: false, encoding: .utf8)
        for (path, code, reason) in cases + [
            (dir.file("dir.prom"), .invalidConfiguration, "is a directory"),
            (dir.file("plain/job.prom"), .cannotOpen, "not a directory"),
        ] {
            do {
                _ = try PrometheusTextfileSink(path: path)
                Issue.record("\(path) was accepted")
            } catch {
                #expect(error.code == code, "\(path): \(error)")
                #expect(error.message.contains(path), "\(path): \(error)")
                #expect(error.message.contains(reason), "\(path): \(error)")
            }
        }
        #expect(listing(dir.path) == ["dir.prom", "plain"])
    }

    @Test func aDirectoryThatIsNotWritableFailsAtStart() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let locked = dir.file("locked")
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
        var unmount = false
        if geteuid() == 0 {
            // Root writes through permission bits; a read-only mount stops it.
            guard mount("tmpfs", locked, "tmpfs", UInt(MS_RDONLY), "size=16k") == 0 else { return }
            unmount = true
        } else {
            chmod(locked, 0o555)
        }
        defer {
            if unmount { umount2(locked, 0) } else { chmod(locked, 0o755) }
        }
        let path = locked + "/job.prom"
        #expect {
            _ = try PrometheusTextfileSink(path: path)
        } throws: { error in
            guard let error = error as? ExportError else { return false }
            return error.code == .cannotOpen && error.message.contains(path)
                && (error.message.contains("Read-only file system") || error.message.contains("Permission denied"))
        }
    }

    @Test func twoSinksOnOneDirectoryUseTheirOwnTemporaryFiles() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("job.prom")
        let first = try PrometheusTextfileSink(path: path, diagnostics: testDiagnostics(CapturedWarnings()))
        let second = try PrometheusTextfileSink(path: path, diagnostics: testDiagnostics(CapturedWarnings()))
        DispatchQueue.concurrentPerform(iterations: 2) { which in
            let sink = which == 0 ? first : second
            for i in 0 ..< 200 {
                sink.write((0 ..< 50).map { line("s\(which) \(i) \($0)") })
            }
        }
        let text = try #require(contents(of: path))
        let lines = text.split(separator: "\n")
        #expect(lines.count == 50)
        #expect(lines.allSatisfy { $0.hasPrefix("s0 199 ") } || lines.allSatisfy { $0.hasPrefix("s1 199 ") })
        #expect(first.droppedRecords + second.droppedRecords == 0)
        #expect(listing(dir.path) == ["job.prom"])
    }
}
