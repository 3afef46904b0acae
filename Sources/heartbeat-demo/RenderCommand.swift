import Foundation
import MonitorExport
import MonitorReport
import ProcessMonitor

/// `heartbeat-demo render --to text|logfmt|jsonl|otlp-json|html [--style seed|extended]
/// [--title TEXT] [FILE…]`: wiring for the library's log reader and converter
/// (`HeartbeatLogReader`, `HeartbeatLogConverter`), or for `HTMLReport`, whose memory is bounded
/// by the report (`ReportLimits.heartbeatsPerRun`), not the log. A bad line is reported with its
/// file and line number (the first 100; then a count) and skipped; the exit status is 1 if any
/// line was bad or any file could not be read.
enum RenderCommand {
    struct Options {
        var target: ExportFormat?
        var html = false
        var style = TextFormat.Style.seed
        var title: String?
        var paths: [String] = []
    }

    static let usage = "usage: heartbeat-demo render --to text|logfmt|jsonl|otlp-json|html [--style seed|extended] [--title TEXT] [FILE...]"

    /// Bad lines named one by one on stderr before the rest are only counted.
    static let maxReportedLines = 100

    /// The formats a log can be turned into, besides `html`.
    static let formats = DemoOptions.formats.filter(\.makesLog)

    static let settings: [Setting<Options>] = [
        Setting(flag: "--to", variable: nil, placeholder: "FORMAT", help: "the format to write") { text, options throws(SettingProblem) in
            options.html = text == "html"
            options.target = formats.first { $0.name == text }
            guard options.html || options.target != nil else {
                throw SettingProblem("must be \(formats.map(\.name).joined(separator: ", ")) or html")
            }
        },
        Setting(flag: "--style", variable: nil, placeholder: "seed|extended", help: "the text style") { text, options throws(SettingProblem) in
            guard let style = [TextFormat.Style.seed, .extended].first(where: { $0.name == text }) else {
                throw SettingProblem("must be seed or extended")
            }
            options.style = style
        },
        Setting(flag: "--title", variable: nil, placeholder: "TEXT", help: "the report's title") { text, options in options.title = text },
    ]

    static func run(_ arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
            return 0
        }
        var options = Options()
        do {
            _ = try SettingsReader.read(environment: [:], arguments: arguments, table: settings, into: &options) { path, options in
                options.paths.append(path)
            }
        } catch {
            return usageError(error.message)
        }
        guard options.html || options.target != nil else { return usageError("--to is required") }
        let paths = options.paths.isEmpty ? ["-"] : options.paths
        guard paths.count(where: { $0 == "-" }) <= 1 else { return usageError("stdin (-) may be given only once") }

        // One message per bad line for the first ones; past that, a count at the end.
        var badLines = 0
        func complain(_ problem: HeartbeatLogReader.Problem) {
            if problem.line != nil { badLines += 1 }
            if problem.line == nil || badLines <= maxReportedLines { Self.complain(problem.message) }
        }
        defer {
            if badLines > maxReportedLines {
                Self.complain("\(badLines - maxReportedLines) more unreadable line(s) not shown (\(badLines) in all)")
            }
        }
        if let target = options.target {
            var converter = HeartbeatLogConverter(to: target, textStyle: options.style)
            let read = HeartbeatLogReader.read(paths, record: { record, _ throws(ExportError) in
                StandardStreamSink.standardOutput.write(try converter.lines(for: record))
            }, problem: complain)
            return read.problems == 0 ? 0 : 1
        }
        let names = paths.map { $0 == "-" ? "stdin" : $0 }.sorted()
        var report = HTMLReport(title: options.title
            ?? "Heartbeat report: " + names.prefix(3).joined(separator: ", ") + (names.count > 3 ? " and \(names.count - 3) more" : ""))
        let read = HeartbeatLogReader.read(paths, record: { record, source in report.add(record, source: source) }) { problem in
            complain(problem)
            if let line = problem.line { report.noteSkippedLine(source: problem.source, line: line, reason: problem.reason) }
        }
        if read.opened > 0 {
            do {
                try FileHandle.standardOutput.write(contentsOf: Data(report.render().utf8))
            } catch {
                Self.complain("cannot write the report: \(error)")
                return 1
            }
        }
        return read.problems == 0 ? 0 : 1
    }

    private static func usageError(_ message: String) -> Int32 {
        complain("\(message)\n\(usage)")
        return 2
    }

    private static func complain(_ message: String) {
        FileHandle.standardError.write(Data("heartbeat-demo render: \(message)\n".utf8))
    }
}
