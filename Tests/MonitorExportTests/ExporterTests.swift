import Foundation
@testable import MonitorExport
import ProcessMonitor
import ProcessMonitorTesting
import Synchronization
import Testing
import TestSupport

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

/// A sink whose writes wait on a semaphore the test holds, as a sink stuck on a full pipe or a
/// hung mount would; it says when a write is waiting.
final class GatedSink: HeartbeatSink {
    let gate = DispatchSemaphore(value: 0)
    private let state = LockedValue<(waiting: Int, lines: [String], closed: Bool)>((0, [], false))

    var waiting: Int { state.withLock { $0.waiting } }
    var lines: [String] { state.withLock { $0.lines } }
    var isClosed: Bool { state.withLock { $0.closed } }

    func write(_ line: RenderedLine) {
        state.withLock { $0.waiting += 1 }
        gate.wait()
        state.withLock {
            $0.waiting -= 1
            $0.lines.append(line.text)
        }
    }

    func close() { state.withLock { $0.closed = true } }
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

    /// A sink blocked on a semaphore delays no other exporter and no caller; what its queue
    /// cannot hold is dropped, oldest first, and counted in that exporter's records.
    @Test func aBlockedSinkDelaysNoOtherExporterAndCountsWhatItLost() throws {
        let gated = GatedSink()
        let memory = InMemorySink()
        let capacity = 4
        let monitor = try monitor([
            HeartbeatExporter(format: JSONLinesFormat(), sink: gated, queueCapacity: capacity),
            // Room for the whole burst: emitNow hands off faster than a thread may be scheduled.
            HeartbeatExporter(format: JSONLinesFormat(), sink: memory, queueCapacity: 64),
        ])
        try monitor.start()
        monitor.emitNow()
        // Heartbeat 1 is now stuck in the gated sink's write.
        #expect(waitUntil { gated.waiting == 1 })
        let more = 20
        for _ in 0 ..< more { #expect(monitor.emitNow() != nil, "emitNow returns once the heartbeat is handed off") }
        // The other exporter got every heartbeat while the first one was blocked.
        #expect(waitUntil { memory.lines.count == 1 + more })
        #expect(gated.lines.isEmpty)
        // The gated queue holds the newest `capacity`; the rest were dropped, oldest first.
        let final = UInt64(2 + more)
        let stopped = LockedValue(false)
        let stopper = Thread {
            _ = monitor.stop(timeout: .seconds(3600))
            stopped.withLock { $0 = true }
        }
        stopper.start()
        // The final heartbeat pushes one more of the waiting ones out.
        #expect(waitUntil { memory.isClosed })
        #expect(!stopped.withLock { $0 }, "stop waits for the blocked exporter")
        for _ in 0 ..< 1 + capacity { gated.gate.signal() }
        #expect(waitUntil { stopped.withLock { $0 } })
        let records = try gated.lines.map { line in try HeartbeatRecordDecoder().decode(line: line) }
        #expect(records.map(\.heartbeat.sequence) == [1] + Array((final - UInt64(capacity) + 1) ... final))
        let lost = UInt64(more + 1 - capacity)
        #expect(records.first?.droppedRecords == 0)
        #expect(records.dropFirst().allSatisfy { $0.droppedRecords == lost }, "each record after the gap says how many were lost")
        #expect(gated.isClosed)
        let others = try memory.texts.map { line in try HeartbeatRecordDecoder().decode(line: line) }
        #expect(others.map(\.heartbeat.sequence) == Array(1 ... final))
        #expect(others.allSatisfy { $0.droppedRecords == 0 })
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
