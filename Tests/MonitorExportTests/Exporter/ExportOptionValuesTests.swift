import Foundation
import MonitorExport
import ProcessMonitor
import Synchronization
import Testing

/// What a sink kind of one's own gets from a specification: the values of its own options. The
/// Examples package's `LastWarningsSink` relies on it (and on `SinkDiagnostics.warn`) from
/// outside the package, where only the public API is in reach.
@Suite struct ExportOptionValuesTests {
    /// An option's value reaches the `makeExporter` closure in `optionValues`, once checked; a
    /// specification without the option leaves it out; a bad value never reaches the closure.
    @Test func anOptionOfOnesOwnReachesTheExporterClosure() throws {
        let seen = Mutex<[[String: String]]>([])
        let keep = ExportFormat.Option(name: "keep", values: "a whole number from 1 to 9") { value, _ throws(ExportError) in
            guard let number = Int(value), (1 ... 9).contains(number) else {
                throw ExportError(code: .invalidConfiguration, message: "keep must be a whole number from 1 to 9 (got \(value))")
            }
        }
        let kept = ExportFormat(name: "kept", summary: "a test's", destinations: "any name", options: [keep]) { _, options in
            seen.withLock { $0.append(options.optionValues) }
            return HeartbeatExporter(format: TextFormat(), sink: InMemorySink())
        }
        let formats = ExportFormat.builtIn + [kept]
        _ = try ExportSpecification(parsing: "kept:a;keep=3", formats: formats).makeExporter()
        _ = try ExportSpecification(parsing: "kept:b", formats: formats).makeExporter()
        _ = try ExportSpecification(parsing: "text:stderr;style=extended", formats: formats).makeExporter()
        #expect(seen.withLock { $0 } == [["keep": "3"], [:]])
        #expect {
            try ExportSpecification(parsing: "kept:a;keep=10", formats: formats)
        } throws: { error in
            (error as? ExportError)?.message == #""kept:a;keep=10": keep must be a whole number from 1 to 9 (got 10)"#
        }
    }
}
