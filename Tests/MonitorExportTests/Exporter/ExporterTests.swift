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
        let monitor = try ProcessMonitor(
            configuration: try MonitorConfiguration(interval: .seconds(3600)),
            observers: observers,
            clock: ManualMonitorClock(),
            sampler: FixedSampler(ProcessSample(cpuTime: .zero, affinityCores: 2))
        )
        // Another suite's out-of-range threshold would otherwise print here (the count is global).
        monitor.reportWarnings(to: { _ in })
        return monitor
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

    /// A sink kind of one's own, with an option of its own, is one value passed with the
    /// built-in ones: the parser learns its name and option from it, and --help could list them.
    @Test func aNewSinkKindWithItsOwnOptionIsOneValue() throws {
        let received = Mutex<[(String, String)]>([])
        let tagged = ExportFormat.Option(name: "tag", values: "a word") { value, options throws(ExportError) in
            guard !value.isEmpty, value.allSatisfy(\.isLetter) else { throw ExportFormat.Option.invalid("tag", "a word", value) }
            options.attributes["tag"] = value
        }
        let memory = ExportFormat(name: "memory", summary: "kept in a test", destinations: "any name", options: [tagged]) {
            destination, options in
            HeartbeatExporter(format: JSONLinesFormat(), sink: ClosureSink { line in
                received.withLock { $0.append((destination, (options.attributes["tag"] ?? "-") + " " + line.text.prefix(13))) }
            })
        }
        let formats = ExportFormat.builtIn + [memory]
        let specification = try ExportSpecification(parsing: "memory:box;tag=blue", formats: formats)
        #expect(specification.description == "memory:box;tag=blue")
        try specification.makeExporter().observe(MachineFixtures.idle())
        #expect(received.withLock { $0.map(\.0) } == ["box"])
        #expect(received.withLock { $0.first?.1 } == #"blue {"timestamp":"#)
        #expect {
            try ExportSpecification(parsing: "memory:box;tag=1", formats: formats)
        } throws: { error in
            (error as? ExportError)?.message == #""memory:box;tag=1": tag must be a word (got "1")"#
        }
        #expect {
            try ExportSpecification(parsing: "memory:box;max-bytes=1", formats: formats)
        } throws: { error in
            (error as? ExportError)?.message.contains(#"unknown option "max-bytes" (memory takes tag)"#) == true
        }
    }

    /// A bad value is quoted in the error, cut when long: a megabyte of it is not echoed back.
    @Test func aLongBadOptionValueIsCutInTheError() {
        let huge = String(repeating: "9", count: 1 << 20)
        #expect {
            try ExportSpecification(parsing: "jsonl:x;max-bytes=\(huge)x")
        } throws: { error in
            guard let message = (error as? ExportError)?.message else { return false }
            return message.utf8.count < 700 && message.contains("(1048595 bytes)") && message.contains("max-bytes must be a size")
        }
    }

    @Test func exportSpecificationsParseAndNameWhatIsWrong() throws {
        #expect(try ExportSpecification(parsing: "text:stderr") == ExportSpecification(format: .text, destination: "stderr"))
        #expect(try ExportSpecification(parsing: "logfmt:stdout").destination == "stdout")
        #expect(try ExportSpecification(parsing: "jsonl:C:/odd:path").destination == "C:/odd:path")
        let rotated = try ExportSpecification(parsing: "jsonl:hb.jsonl;max-bytes=64KiB;max-files=3")
        #expect(try rotated.options(over: ExportOptions()).rotation == RotationPolicy(maxBytes: 65_536, maxFiles: 3))
        #expect(rotated.description == "jsonl:hb.jsonl;max-bytes=64KiB;max-files=3")
        let text = try ExportSpecification(parsing: "text:hb.log;style=extended;prefix=timestamp").options(over: ExportOptions())
        let extended = text.textStyle == .extended && text.textPrefix == .timestampAndLevel
        #expect(extended)
        for (text, fragment) in [
            ("xml:stderr", "unknown format \"xml\" (use text, jsonl, logfmt, prometheus, otlp-json)"),
            ("stderr", "FORMAT:DEST"), ("jsonl:", "no destination"), ("jsonl:;max-bytes=1", "no destination"),
            ("jsonl:x;max-bytes=0", "max-bytes must be a size"), ("jsonl:x;max-bytes=-1", "max-bytes must be a size"),
            ("jsonl:x;max-files=2", "max-files needs max-bytes"), ("jsonl:x;max-bytes=9;max-files=0", "max-files must be"),
            ("jsonl:x;colour=red", "unknown option \"colour\" (jsonl takes max-bytes or max-files)"),
            ("jsonl:x;style=seed", "unknown option \"style\" (jsonl takes max-bytes or max-files)"),
            ("prometheus:x.prom;max-bytes=1", "unknown option \"max-bytes\" (prometheus takes no options)"),
            ("jsonl:x;style", "is not NAME=VALUE"),
            ("text:x;style=loud", "style must be seed or extended"), ("text:x;prefix=date", "prefix must be none or timestamp"),
            ("prometheus:stderr", ""),
        ] where !fragment.isEmpty {
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
        ("1m", .seconds(60)), ("1h", .seconds(3600)), ("0s", .zero), ("5ms", .milliseconds(5)),
        ("2", nil), ("-1s", nil), ("s", nil), ("1e3s", nil), ("nans", nil), ("2 s", nil), ("1d", nil), ("1..5s", nil),
        ("", nil), ("99999999999h", nil), ("inf s", nil), ("0x10s", nil),
    ])
    func configurationDurations(text: String, expected: Duration?) {
        #expect(ConfigurationValue.duration(text) == expected)
    }

    @Test func configurationSizesAndAttributes() throws {
        #expect(ConfigurationValue.byteCount("4000") == 4000)
        #expect(ConfigurationValue.byteCount("64KiB") == 65_536)
        #expect(ConfigurationValue.byteCount("10MiB") == 10 << 20)
        #expect(ConfigurationValue.byteCount("1GiB") == 1 << 30)
        #expect(ConfigurationValue.byteCount("12B") == 12)
        for bad in ["", "KiB", "-1", "1.5MiB", "9999999999999999999GiB", "1 MiB", "1kib"] {
            #expect(ConfigurationValue.byteCount(bad) == nil, "\(bad)")
        }
        #expect(try ConfigurationValue.attributes("job=train-42,rank=3,note=a=b") == ["job": "train-42", "rank": "3", "note": "a=b"])
        #expect(try ConfigurationValue.attributes("empty=") == ["empty": ""])
        for (bad, fragment) in [("job", "is not KEY=VALUE"), ("=v", "must not be empty"), ("a b=c", "contains U+20"),
                                ("job=a,job=b", "given twice"), ("job=a,", "is not KEY=VALUE")] {
            #expect { try ConfigurationValue.attributes(bad) } throws: { error in
                (error as? ExportError)?.message.contains(fragment) == true
            }
        }
    }
}
