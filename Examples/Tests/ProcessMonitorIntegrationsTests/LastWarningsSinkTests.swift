import Foundation
import MonitorExport
import ProcessMonitor
import ProcessMonitorIntegrations
import Synchronization
import Testing

/// `LastWarningsSink` and its `last-warnings` export kind, as a user's own code: this package
/// sees ProcessMonitor's public API only. No test waits on time: lines are handed to the sink
/// directly, or heartbeats to its exporter, and the real monitor's interval is an hour.
@Suite struct LastWarningsSinkTests {
    /// A fresh path in a directory of its own, removed at the end of the test.
    final class Scratch {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("last-warnings-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func text(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }
    }

    static func line(_ text: String, _ level: HeartbeatLevel) -> RenderedLine { RenderedLine(text: text, level: level) }

    @Test func keepsTheLastWarningsOfEveryHeartbeatAndSummarisesThemOnClose() throws {
        let scratch = try Scratch()
        let sink = try LastWarningsSink(destination: scratch.path("summary.txt"), keep: 2)
        sink.write([Self.line("beat 1", .info), Self.line("stall a", .warning)])
        sink.write([Self.line("beat 2", .info)])
        sink.write([Self.line("beat 3", .info), Self.line("stall b", .warning), Self.line("stall c", .warning)])
        sink.write(Self.line("on its own", .info))
        #expect(try scratch.text("summary.txt") == "", "the file is created at start and written at close")
        sink.close()
        sink.close()
        #expect(try scratch.text("summary.txt") == """
            last-warnings: 3 heartbeats, 7 lines, 3 warnings; the last 2:
            stall b
            stall c

            """)
        #expect(sink.droppedRecords == 0)
    }

    @Test func aJobWithoutWarningsSaysSo() throws {
        let scratch = try Scratch()
        let sink = try LastWarningsSink(destination: scratch.path("quiet.txt"))
        sink.write([Self.line("beat 1", .info)])
        sink.close()
        #expect(try scratch.text("quiet.txt") == "last-warnings: 1 heartbeats, 1 lines, no warnings\n")
    }

    @Test func linesAfterCloseAreDroppedAndCounted() throws {
        let scratch = try Scratch()
        let sink = try LastWarningsSink(destination: scratch.path("late.txt"), keep: 1)
        sink.close()
        sink.write([Self.line("late", .warning), Self.line("later", .info)])
        sink.write(Self.line("latest", .warning))
        #expect(sink.droppedRecords == 3)
        #expect(try scratch.text("late.txt") == "last-warnings: 0 heartbeats, 0 lines, no warnings\n")
    }

    /// /dev/full opens, and every write to it fails with ENOSPC: a disk that filled up.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func aSummaryThatCannotBeWrittenIsReportedOnceAndCounted() throws {
        let warnings = Mutex<[String]>([])
        let sink = try LastWarningsSink(
            destination: "/dev/full", keep: 2,
            diagnostics: SinkDiagnostics { message in warnings.withLock { $0.append(message) } }
        )
        sink.write([Self.line("stall a", .warning), Self.line("stall b", .warning), Self.line("stall c", .warning)])
        sink.close()
        sink.close()
        #expect(sink.droppedRecords == 2, "the two warnings the summary would have listed")
        let said = warnings.withLock { $0 }
        #expect(said.count == 1)
        #expect(said.first?.hasPrefix(#"[process-monitor] last-warnings: cannot write the summary to "/dev/full" (2 warning line(s) lost): "#) == true)
    }

    @Test func aBadDestinationOrKeepFailsAtStartNamingIt() {
        #expect {
            try LastWarningsSink(destination: "/nonexistent/dir/summary.txt")
        } throws: { error in
            let error = error as? ExportError
            return error?.code == .cannotOpen
                && error?.message == #"last-warnings: cannot open "/nonexistent/dir/summary.txt" for writing: No such file or directory"#
        }
        #expect {
            try LastWarningsSink(destination: "stdout", keep: 0)
        } throws: { error in
            (error as? ExportError)?.message == "keep must be a whole number from 1 to 1000 (got 0)"
        }
        let long = "/nonexistent/" + String(repeating: "x", count: 5000)
        #expect {
            try LastWarningsSink(destination: long)
        } throws: { error in
            guard let message = (error as? ExportError)?.message else { return false }
            return message.utf8.count < 400 && message.contains("(5013 bytes)")
        }
    }

    // MARK: - The export kind

    static let formats = ExportFormat.builtIn + [.lastWarnings]

    /// Parsed, made and fed like any built-in kind: the exporter renders the extended text with
    /// time and level, and the summary keeps the STALL lines of the stalled heartbeat.
    @Test func theExportKindPairsTheExtendedTextWithTheSink() throws {
        let scratch = try Scratch()
        let specification = try ExportSpecification(parsing: "last-warnings:\(scratch.path("kind.txt"));keep=2", formats: Self.formats)
        #expect(specification.description == "last-warnings:\(scratch.path("kind.txt"));keep=2")
        let exporter = try specification.makeExporter()
        exporter.observe(Fixture.busy)
        exporter.observe(Fixture.stalled)
        exporter.monitorDidStop()
        let lines = try scratch.text("kind.txt").split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("last-warnings: 2 heartbeats, ") == true)
        #expect(lines.first?.hasSuffix(" warnings; the last 2:") == true)
        #expect(lines.count == 3)
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("2027-01-15T08:00:00.000Z WARN [process-monitor][STALL") })
        #expect(exporter.droppedRecords == 0)
    }

    @Test func theExportKindsErrorsNameWhatIsWrong() {
        for (text, expected) in [
            ("last-warnings:x;keep=0", #""last-warnings:x;keep=0": keep must be a whole number from 1 to 1000 (got "0")"#),
            ("last-warnings:x;keep=many", #""last-warnings:x;keep=many": keep must be a whole number from 1 to 1000 (got "many")"#),
            ("last-warnings:x;max-bytes=1", #""last-warnings:x;max-bytes=1": unknown option "max-bytes" (last-warnings takes keep)"#),
            ("last-warning:x", #"unknown format "last-warning" (use text, jsonl, logfmt, prometheus, otlp-json, last-warnings)"#),
        ] {
            #expect(throws: ExportError(code: .invalidConfiguration, message: expected)) {
                try ExportSpecification(parsing: text, formats: Self.formats)
            }
        }
    }

    /// The way a job uses it: `PROCESS_MONITOR_EXPORT` names the kind, and
    /// `ProcessMonitor.start(environment:formats:)` knows it because it is in `formats`.
    @Test func aRealMonitorConfiguredByTheEnvironmentWritesTheSummaryWhenItStops() async throws {
        let scratch = try Scratch()
        let monitor = try ProcessMonitor.start(
            environment: [
                "PROCESS_MONITOR_EXPORT": "last-warnings:\(scratch.path("env.txt"));keep=1",
                "PROCESS_MONITOR_INTERVAL": "1h",
            ],
            formats: Self.formats
        )
        _ = await withScope("last-warnings test scope") { await monitor.emit() }
        await monitor.shutdown()
        let summary = try scratch.text("env.txt")
        // The requested heartbeat: its headline and this scope's phase line; the final one: its
        // headline. Scopes are the process's, so tests running beside this one may add phase
        // lines of their own: at least 3 lines.
        let parts = summary.split(separator: " ")
        #expect(summary.hasPrefix("last-warnings: 2 heartbeats, ") && summary.hasSuffix(" lines, no warnings\n"), "\(summary)")
        #expect(parts.count == 7 && (Int(parts[3]) ?? 0) >= 3, "\(summary)")
    }
}
