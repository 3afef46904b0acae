import Foundation
@testable import MonitorExport
import ProcessMonitor
import ProcessMonitorTesting
import Synchronization
import Testing

/// A sink that fails its first `failures` writes, as a full disk would, and counts them.
final class FlakySink: HeartbeatSink {
    private let state: LockedValue<(remainingFailures: Int, dropped: UInt64, lines: [String])>

    init(failures: Int) { state = LockedValue((failures, 0, [])) }

    var lines: [String] { state.withLock { $0.lines } }

    func write(_ line: RenderedLine) {
        state.withLock { state in
            if state.remainingFailures > 0 {
                state.remainingFailures -= 1
                state.dropped += 1
            } else {
                state.lines.append(line.text)
            }
        }
    }

    var droppedRecords: UInt64 { state.withLock { $0.dropped } }
}

@Suite struct ExporterTests {
    func monitor(_ observers: [any HeartbeatObserver]) throws -> ProcessMonitor {
        try ProcessMonitor(
            configuration: MonitorConfiguration(interval: .seconds(3600)),
            observers: observers,
            clock: ManualMonitorClock(),
            sampler: FixedSampler(ProcessSample(cpuTime: .zero, affinityCores: 2))
        )
    }

    @Test func theNextRecordSaysHowManyWereDropped() throws {
        let sink = FlakySink(failures: 2)
        let monitor = try monitor([HeartbeatExporter(format: JSONLinesFormat(), sink: sink)])
        try monitor.start()
        monitor.emitNow()
        monitor.emitNow()
        monitor.emitNow()
        monitor.stop()
        let records = try sink.lines.map { try HeartbeatRecordDecoder().decode(line: $0) }
        #expect(records.map(\.heartbeat.sequence) == [3, 4], "the first two were dropped")
        #expect(records.map(\.droppedRecords) == [2, 2])
    }

    @Test func aFailingExporterDoesNotAffectTheOthers() throws {
        let full = try FileSink(
            path: "/dev/full",
            diagnostics: SinkDiagnostics(warn: { _ in })
        )
        let memory = InMemorySink()
        let monitor = try monitor([
            HeartbeatExporter(format: JSONLinesFormat(), sink: full),
            HeartbeatExporter(format: TextFormat(), sink: memory),
        ])
        try monitor.start()
        monitor.emitNow()
        monitor.stop()
        #expect(full.droppedRecords >= 1)
        #expect(memory.texts.filter { $0.hasPrefix("[process-monitor] elapsed=") }.count == 2)
        #expect(memory.isClosed, "stop() closes every exporter's sink")
    }

    @Test func exportSpecificationsParseAndNameWhatIsWrong() throws {
        #expect(try ExportSpecification(parsing: "text:stderr") == ExportSpecification(format: .text, destination: .standardError))
        #expect(try ExportSpecification(parsing: "logfmt:stdout").destination == .standardOutput)
        #expect(try ExportSpecification(parsing: "jsonl:C:/odd:path").destination == .file("C:/odd:path"))
        for (text, fragment) in [("xml:stderr", "unknown format \"xml\""), ("stderr", "FORMAT:DEST"), ("jsonl:", "no destination")] {
            #expect {
                try ExportSpecification(parsing: text)
            } throws: { error in
                (error as? ExportError)?.message.contains(fragment) == true
            }
        }
        #expect {
            try ExportSpecification(parsing: "jsonl:/nonexistent-dir/x.jsonl").makeExporter()
        } throws: { error in
            let error = error as? ExportError
            return error?.code == .cannotOpen && error?.message.contains("/nonexistent-dir/x.jsonl") == true
        }
    }

    @Test(arguments: [
        ("500ms", Duration.milliseconds(500) as Duration?), ("2s", .seconds(2)), ("1.5s", .milliseconds(1500)),
        ("1m", .seconds(60)), ("1h", .seconds(3600)), ("0s", .zero),
        ("2", nil), ("-1s", nil), ("s", nil), ("1e3s", nil), ("nans", nil), ("2 s", nil), ("1d", nil),
    ])
    func flagDurations(text: String, expected: Duration?) {
        #expect(Duration(flagValue: text) == expected)
    }
}
