import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The settings table: one row per setting, read alike from a flag and from a variable, and the
/// `--help` that is written from it.
@Suite struct SettingsTableTests {
    static let table = MonitorEnvironment.settings(formats: ExportFormat.builtIn)

    static func read(environment: [String: String] = [:], arguments: [String] = []) throws -> MonitorEnvironment {
        var settings = MonitorEnvironment(base: MonitorConfiguration())
        let unknown = try SettingsReader.read(environment: environment, arguments: arguments, table: table, into: &settings)
        try settings.finish(unknownVariables: unknown, formats: ExportFormat.builtIn, diagnostics: testDiagnostics(CapturedWarnings()))
        return settings
    }

    /// Every row with both a flag and a variable: the same value read either way gives the same settings.
    @Test(arguments: [
        ("--interval", "PROCESS_MONITOR_INTERVAL", "250ms"), ("--stall-threshold", "PROCESS_MONITOR_STALL_THRESHOLD", "5m"),
        ("--max-phase-lines", "PROCESS_MONITOR_MAX_PHASE_LINES", "16"), ("--stall-stacks", "PROCESS_MONITOR_STALL_STACKS", "1"),
        ("--forecast-horizon", "PROCESS_MONITOR_FORECAST_HORIZON", "off"), ("--export", "PROCESS_MONITOR_EXPORT", "jsonl:stdout"),
        ("--attribute", "PROCESS_MONITOR_ATTRIBUTES", "job=a"), ("--text-style", "PROCESS_MONITOR_TEXT_STYLE", "seed"),
        ("--disable", "PROCESS_MONITOR_DISABLE", "true"),
    ])
    func aFlagAndItsVariableReadAlike(flag: String, variable: String, value: String) throws {
        #expect(Self.table.contains { $0.flag == flag && $0.variable == variable }, "the table pairs \(flag) with \(variable)")
        let fromFlag = try Self.read(arguments: [flag, value])
        let fromInlineFlag = try Self.read(arguments: ["\(flag)=\(value)"])
        let fromVariable = try Self.read(environment: [variable: value])
        let untouched = try Self.read()
        for settings in [fromInlineFlag, fromVariable] {
            #expect(settings.configuration == fromFlag.configuration)
            #expect(settings.exports == fromFlag.exports && settings.attributes == fromFlag.attributes)
            #expect(settings.textStyle == fromFlag.textStyle)
        }
        let changed = fromFlag.configuration != untouched.configuration || fromFlag.exports != untouched.exports
            || fromFlag.attributes != untouched.attributes || fromFlag.textStyle != untouched.textStyle
        #expect(changed, "\(flag) \(value) changed nothing")
    }

    @Test func everyVariableOfTheTableIsOneThatMonitorEnvironmentListsAndTheReadmeDocuments() throws {
        let readme = try String(contentsOf: RecordFieldsTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let variables = Self.table.compactMap(\.variable)
        #expect(MonitorEnvironment.variables.map(\.name) == variables)
        for variable in variables {
            let documented = readme.contains("| `\(variable)` |")
            #expect(documented, "the README's variable table lacks \(variable)")
        }
    }

    @Test func flagsWinAndAListGivenByFlagsReplacesTheEnvironmentsWhole() throws {
        let settings = try Self.read(
            environment: ["PROCESS_MONITOR_INTERVAL": "5s", "PROCESS_MONITOR_EXPORT": "jsonl:/tmp/a.jsonl,text:stderr",
                          "PROCESS_MONITOR_ATTRIBUTES": "job=env,rank=1"],
            arguments: ["--interval", "1s", "--export", "logfmt:stdout", "--export=jsonl:/tmp/b.jsonl", "--attribute", "job=flag"]
        )
        #expect(settings.configuration.interval == .seconds(1))
        #expect(settings.exports.map(\.description) == ["logfmt:stdout", "jsonl:/tmp/b.jsonl"])
        #expect(settings.attributes == ["job": "flag"])
        // Without list flags, the environment's lists stay.
        let kept = try Self.read(environment: ["PROCESS_MONITOR_ATTRIBUTES": "job=env,rank=1"], arguments: ["--interval", "1s"])
        #expect(kept.attributes == ["job": "env", "rank": "1"])
    }

    @Test(arguments: [
        (["--bogus"], "unknown option \"--bogus\""),
        (["--interval"], "--interval needs a value (D)"),
        (["--interval", "100000s"], "--interval \"100000s\": is out of range: the interval must be from 10ms to 24h"),
        (["--max-phase-lines", "+5"], "--max-phase-lines \"+5\": must be a whole number from 1 to 10000"),
        (["--max-phase-lines", " 5"], "--max-phase-lines \" 5\": must be a whole number from 1 to 10000"),
        (["--max-files", "3"], "--max-files needs --max-bytes"),
        (["--export", "jsonl:/tmp/x;max-files=2"], "--export \"jsonl:/tmp/x;max-files=2\": max-files needs max-bytes"),
        (["--export", "jsonl:/tmp/x", "--export", "logfmt:/tmp/x"], "\"/tmp/x\" is named by two exports"),
        (["--export", "jsonl:/tmp/\u{FFFD}.jsonl"], "holds U+FFFD, which stands in for bytes that were not UTF-8"),
    ])
    func aBadFlagIsNamedWithItsValue(arguments: [String], message: String) {
        #expect {
            try Self.read(arguments: arguments)
        } throws: { error in
            (error as? ExportError)?.message.contains(message) == true
        }
    }

    /// A megabyte of a bad value is not echoed back: it is cut and its length given.
    @Test func aLongBadValueIsCutAndItsLengthGiven() {
        let huge = String(repeating: "x", count: 1 << 20)
        for (environment, arguments) in [(["PROCESS_MONITOR_INTERVAL": huge], [String]()), ([:], ["--interval", huge])] {
            #expect {
                try Self.read(environment: environment, arguments: arguments)
            } throws: { error in
                guard let message = (error as? ExportError)?.message else { return false }
                return message.utf8.count < 400 && message.contains("…(1048576 bytes)") && message.contains("is not a duration")
            }
        }
    }

    /// Every path that reads the environment reports a misspelt variable, with what it likely meant.
    @Test func aMisspeltVariableIsReportedWithWhatItLikelyMeant() throws {
        let warnings = CapturedWarnings()
        let settings = try MonitorEnvironment(["PROCESS_MONITOR_INTERVALL": "1s", "PROCESS_MONITOR_FOO": "x"],
                                              diagnostics: testDiagnostics(warnings))
        #expect(settings.unknownVariables == ["PROCESS_MONITOR_FOO", "PROCESS_MONITOR_INTERVALL"])
        #expect(warnings.messages.count == 1)
        #expect(warnings.messages.first?.hasPrefix(
            "[process-monitor] ignoring unknown environment variable(s) PROCESS_MONITOR_FOO, "
                + "PROCESS_MONITOR_INTERVALL (did you mean PROCESS_MONITOR_INTERVAL?); known: PROCESS_MONITOR_INTERVAL,") == true)
        let quiet = CapturedWarnings()
        _ = try MonitorEnvironment(["PROCESS_MONITOR_INTERVAL": "1s", "HOME": "/root"], diagnostics: testDiagnostics(quiet))
        #expect(quiet.messages.isEmpty)
    }

    @Test func helpListsEveryFlagVariableAndDefault() {
        var base = MonitorEnvironment(base: MonitorConfiguration())
        base.configuration.interval = .seconds(2)
        let help = SettingsReader.help(Self.table, for: base)
        for setting in Self.table {
            if let flag = setting.flag { #expect(help.contains("  \(flag) "), "help lacks \(flag)") }
            if let variable = setting.variable { #expect(help.contains("env \(variable)"), "help lacks \(variable)") }
        }
        let flowing = help.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(flowing.contains("(default 2s)"))
        #expect(flowing.contains("(default 2m)"))
        #expect(help.split(separator: "\n").allSatisfy { $0.count <= 82 }, "help lines wrap")
    }

    @Test(arguments: [
        (Duration.milliseconds(10), "10ms"), (.seconds(2), "2s"), (.milliseconds(1500), "1.5s"), (.seconds(900), "15m"),
        (.seconds(86_400), "24h"), (.milliseconds(61_250), "61.25s"), (.zero, "0ms"),
    ])
    func durationsAreWrittenAsPeopleWriteThem(duration: Duration, text: String) {
        #expect(ConfigurationValue.text(duration) == text)
        if duration > .zero { #expect(ConfigurationValue.duration(text) == duration, "\(text) reads back") }
    }

    @Test func bytesThatAreNotUTF8AreRefusedWithWhereTheyStart() throws {
        let bytes: [UInt8] = Array("jsonl:/tmp/".utf8) + [0xFF, 0xFE] + Array(".jsonl".utf8)
        let error = bytes.withUnsafeBufferPointer { buffer -> ExportError? in
            do throws(ExportError) {
                _ = try MonitorEnvironment.utf8(buffer, what: "PROCESS_MONITOR_EXPORT")
                return nil
            } catch {
                return error
            }
        }
        #expect(error?.message.hasPrefix("PROCESS_MONITOR_EXPORT holds bytes that are not UTF-8 (byte 11 of 19)") == true,
                "\(error?.message ?? "accepted")")
        #expect(try Array("ok ü".utf8).withUnsafeBufferPointer { try MonitorEnvironment.utf8($0, what: "x") } == "ok ü")
    }

    /// The process's own environment, read as the C library holds it: bytes that are not UTF-8 are refused.
    @Test func processVariablesRefuseBytesThatAreNotUTF8() throws {
        let name = "PROCESS_MONITOR_TEST_NOT_UTF8_\(getpid())"
        // "a" then 0xFF, which no UTF-8 text holds alone.
        let raw: [CChar] = Array("a".utf8CString.dropLast()) + [CChar(bitPattern: 0xFF), 0]
        raw.withUnsafeBufferPointer { _ = setenv(name, $0.baseAddress!, 1) }
        defer { unsetenv(name) }
        #expect {
            try MonitorEnvironment.processVariables()
        } throws: { error in
            (error as? ExportError)?.message.hasPrefix("\(name) holds bytes that are not UTF-8") == true
        }
    }
}
