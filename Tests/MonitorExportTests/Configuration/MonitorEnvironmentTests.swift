import Foundation
@testable import MonitorExport
import ProcessMonitor
import ProcessMonitorTesting
import Testing

/// `PROCESS_MONITOR_*` read through the library's own entry points (`.ci/run` checks the same
/// variables end to end through the demo).
@Suite struct MonitorEnvironmentTests {
    /// The `ExportError` that reading `environment` throws, or `nil`.
    func failure(_ environment: [String: String]) -> ExportError? {
        do {
            _ = try MonitorEnvironment(environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func everyVariableIsRead() throws {
        let settings = try MonitorEnvironment([
            "PROCESS_MONITOR_INTERVAL": "250ms",
            "PROCESS_MONITOR_STALL_THRESHOLD": "2m",
            "PROCESS_MONITOR_MAX_PHASE_LINES": "16",
            "PROCESS_MONITOR_EXPORT": "jsonl:/tmp/a.jsonl;max-bytes=64KiB;max-files=3,text:stderr",
            "PROCESS_MONITOR_ATTRIBUTES": "job=train-42,rank=3",
            "PROCESS_MONITOR_TEXT_STYLE": "seed",
            "PROCESS_MONITOR_DISABLE": "0",
            "PATH": "/usr/bin",
        ])
        #expect(settings.configuration.interval == .milliseconds(250))
        #expect(settings.configuration.stallThreshold == .seconds(120))
        #expect(settings.configuration.maxPhaseLines == 16)
        #expect(settings.configuration.isEnabled)
        #expect(settings.exports.map(\.description) == ["jsonl:/tmp/a.jsonl;max-bytes=64KiB;max-files=3", "text:stderr"])
        #expect(try settings.exports.first?.options(over: ExportOptions()).rotation == RotationPolicy(maxBytes: 65_536, maxFiles: 3))
        #expect(settings.attributes == ["job": "train-42", "rank": "3"])
        #expect(settings.textStyle == .seed)
        #expect(settings.unknownVariables.isEmpty)
    }

    @Test func anEmptyEnvironmentKeepsTheBase() throws {
        let base = try MonitorConfiguration(interval: .seconds(7), stallThreshold: .seconds(70), maxPhaseLines: 3)
        let settings = try MonitorEnvironment(["HOME": "/root"], base: base)
        #expect(settings.configuration == base)
        #expect(settings.exports.isEmpty && settings.attributes.isEmpty && settings.textStyle == nil)
    }

    @Test(arguments: [
        ("PROCESS_MONITOR_INTERVAL", "", "is empty"),
        ("PROCESS_MONITOR_INTERVAL", "soon", "is not a duration"),
        ("PROCESS_MONITOR_INTERVAL", "2", "is not a duration"),
        ("PROCESS_MONITOR_INTERVAL", "0s", "is out of range: the interval must be from 10ms to 24h"),
        ("PROCESS_MONITOR_INTERVAL", "100000s", "is out of range: the interval must be from 10ms to 24h"),
        ("PROCESS_MONITOR_MAX_PHASE_LINES", "+5", "from 1 to 10000"),
        ("PROCESS_MONITOR_MAX_PHASE_LINES", " 5", "from 1 to 10000"),
        ("PROCESS_MONITOR_FORECAST_HORIZON", "1s", "is out of range: the forecast horizon must be from 1m to 168h"),
        ("PROCESS_MONITOR_STALL_STACKS", "maybe", "1, true, 0 or false"),
        ("PROCESS_MONITOR_INTERVAL", "2d", "is not a duration"),
        ("PROCESS_MONITOR_INTERVAL", "99999999999h", "is too long"),
        ("PROCESS_MONITOR_STALL_THRESHOLD", "-1s", "is not a duration"),
        ("PROCESS_MONITOR_STALL_THRESHOLD", "1e400s", "is not a duration"),
        ("PROCESS_MONITOR_MAX_PHASE_LINES", "0", "from 1 to 10000"),
        ("PROCESS_MONITOR_MAX_PHASE_LINES", "10001", "from 1 to 10000"),
        ("PROCESS_MONITOR_MAX_PHASE_LINES", "1e9", "from 1 to 10000"),
        ("PROCESS_MONITOR_EXPORT", "xml:stderr", "xml"),
        ("PROCESS_MONITOR_EXPORT", "jsonl:/tmp/x,logfmt:/tmp/x", "named by two exports"),
        ("PROCESS_MONITOR_EXPORT", "jsonl:/tmp/x,", "is not FORMAT:DEST"),
        ("PROCESS_MONITOR_ATTRIBUTES", "job=a,job=b", "job"),
        ("PROCESS_MONITOR_ATTRIBUTES", "a b=c", "a b"),
        ("PROCESS_MONITOR_TEXT_STYLE", "loud", "seed or extended"),
        ("PROCESS_MONITOR_DISABLE", "maybe", "1, true, 0 or false"),
    ])
    func aBadValueNamesTheVariableAndTheValue(variable: String, value: String, problem: String) throws {
        let error = try #require(failure([variable: value]))
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.hasPrefix("\(variable)=\(value.debugDescription): "), "\(error.message)")
        #expect(error.message.contains(problem), "\(error.message)")
    }

    @Test func durationProblemsTellGarbageFromTooLong() {
        #expect(ConfigurationValue.durationProblem("soon").hasPrefix("is not a duration"))
        #expect(ConfigurationValue.durationProblem("1000000000s").hasPrefix("is too long"))
        #expect(ConfigurationValue.durationProblem("999999999s").hasPrefix("is not a duration") == false)
        #expect(ConfigurationValue.duration("999999999s") == .seconds(999_999_999))
        #expect(ConfigurationValue.duration("1000000000s") == nil)
    }

    @Test func unknownVariablesAreListedNotIgnored() throws {
        let warnings = CapturedWarnings()
        let settings = try MonitorEnvironment(["PROCESS_MONITOR_INTERVALL": "1s", "PROCESS_MONITOR_FOO": "x", "OTHER": "y"],
                                              diagnostics: testDiagnostics(warnings))
        #expect(warnings.messages.count == 1)
        #expect(settings.unknownVariables == ["PROCESS_MONITOR_FOO", "PROCESS_MONITOR_INTERVALL"])
    }

    @Test func startReportsUnknownVariablesAndExportsWhereTheEnvironmentSays() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("env.jsonl")
        let warnings = CapturedWarnings()
        var options = ExportOptions()
        options.diagnostics = testDiagnostics(warnings)
        let recorder = HeartbeatRecorder()
        let monitor = try ProcessMonitor.start(
            environment: [
                "PROCESS_MONITOR_INTERVAL": "1h",
                "PROCESS_MONITOR_EXPORT": "jsonl:\(path)",
                "PROCESS_MONITOR_ATTRIBUTES": "job=env-test",
                "PROCESS_MONITOR_TYPO": "1",
            ],
            observers: [recorder], options: options
        )
        monitor.reportWarnings(to: { _ in })  // another suite's bad threshold is not this test's
        #expect(monitor.isRunning)
        #expect(monitor.configuration.interval == .seconds(3600))
        monitor.stop()
        #expect(warnings.messages.contains { $0.contains("PROCESS_MONITOR_TYPO") }, "\(warnings.messages)")
        #expect(recorder.heartbeats.last?.trigger == .final)
        let records = try (contents(of: path) ?? "").split(separator: "\n").map {
            try HeartbeatRecordDecoder().decode(line: String($0))
        }
        #expect(records.count == 1)
        #expect(records.first?.attributes == ["job": "env-test"])
    }

    @Test func disableCreatesAMonitorThatNeverRunsAndOpensNothing() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        let path = dir.file("never.jsonl")
        let recorder = HeartbeatRecorder()
        let monitor = try ProcessMonitor.start(
            environment: ["PROCESS_MONITOR_DISABLE": "true", "PROCESS_MONITOR_EXPORT": "jsonl:\(path)"],
            observers: [recorder]
        )
        #expect(!monitor.isRunning)
        #expect(monitor.emitNow() == nil)
        monitor.stop()
        #expect(recorder.heartbeats.isEmpty)
        #expect(!exists(path), "a disabled monitor opens no destination")
    }

    @Test func aDestinationThatCannotOpenIsAnErrorAtStart() {
        #expect {
            try ProcessMonitor.start(environment: ["PROCESS_MONITOR_EXPORT": "jsonl:/nonexistent-dir/x.jsonl"])
        } throws: { error in
            (error as? ExportError)?.message.contains("/nonexistent-dir/x.jsonl") == true
        }
    }

    @Test func theTextStyleReachesTextExporters() throws {
        let settings = try MonitorEnvironment(["PROCESS_MONITOR_TEXT_STYLE": "seed"])
        let exporters = try settings.makeExporters(defaultExport: [ExportSpecification(format: .text, destination: "stdout")])
        #expect((exporters.first?.format as? TextFormat)?.style == .seed)
        for exporter in exporters { exporter.monitorDidStop() }
    }
}
