import Foundation
import MonitorExport
import MonitorReport
import ProcessMonitor

#if canImport(Glibc)
import Glibc
#endif

/// `heartbeat-demo render --to text|logfmt|jsonl|html [--style seed|extended] [--title TEXT]
/// [FILE…]`: turns JSON Lines heartbeat logs (files, or stdin) into another format. Text,
/// logfmt and JSON Lines are written record by record, file after file; `html` reads every
/// file first (a rotated set in any order, several processes) and writes one report, in memory
/// bounded by the report (see `ReportLimits.heartbeatsPerRun`). A bad or oversized line is
/// reported on stderr with its file and line number (the first 100; then a count) and skipped;
/// the rest is still rendered; the exit status is 1 if any line was bad or any file could not
/// be read.
enum RenderCommand {
    static let usage = "usage: heartbeat-demo render --to text|logfmt|jsonl|otlp-json|html [--style seed|extended] [--title TEXT] [FILE...]"

    /// Bad lines named one by one on stderr before the rest are only counted.
    static let maxReportedLines = 100

    /// The formats a log can be turned into, besides `html`.
    static let formats = DemoOptions.formats.filter(\.makesLog)

    static func run(_ arguments: [String]) -> Int32 {
        var target: ExportFormat?
        var html = false
        var style = TextFormat.Style.seed
        var title: String?
        var paths: [String] = []
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--to":
                let value = rest.popFirst()
                if value == "html" {
                    html = true
                    target = nil
                    continue
                }
                guard let value, let format = formats.first(where: { $0.name == value }) else {
                    return usageError("--to takes \(formats.map(\.name).joined(separator: ", ")) or html")
                }
                target = format
                html = false
            case "--style":
                switch rest.popFirst() {
                case "seed": style = .seed
                case "extended": style = .extended
                default: return usageError("--style takes seed or extended")
                }
            case "--title":
                guard let value = rest.popFirst() else { return usageError("--title takes a text") }
                title = value
            case "--help", "-h":
                print(usage)
                return 0
            default:
                if argument.hasPrefix("-") && argument != "-" { return usageError("unknown option \"\(argument)\"") }
                paths.append(argument)
            }
        }
        guard target != nil || html else { return usageError("--to is required") }
        if paths.isEmpty { paths = ["-"] }
        guard paths.count(where: { $0 == "-" }) <= 1 else { return usageError("stdin (-) may be given only once") }

        let decoder = HeartbeatRecordDecoder()
        let sink = StandardStreamSink.standardOutput
        var htmlReport = HTMLReport(title: title ?? defaultTitle(paths))
        var bad = 0
        var badLines = 0
        var opened = 0
        // One message per bad line for the first ones; past that, a count at the end.
        func reportBadLine(_ message: String) {
            badLines += 1
            if badLines <= maxReportedLines { report(message) }
        }
        var cache: [[String: String]: any HeartbeatFormat] = [:]
        for path in paths {
            let source = path == "-" ? "stdin" : path
            let descriptor = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                bad += 1
                report("cannot open \(path): \(String(cString: strerror(errno)))")
                continue
            }
            defer { if descriptor != 0 { close(descriptor) } }
            opened += 1
            var reader = LineReader(descriptor: descriptor, maxLineBytes: HeartbeatRecordDecoder.maxLineBytes)
            while let (number, line) = reader.next() {
                guard let line else {
                    bad += 1
                    let reason = "longer than \(HeartbeatRecordDecoder.maxLineBytes) bytes; skipped"
                    reportBadLine("\(source) line \(number): \(reason)")
                    if html { htmlReport.noteSkippedLine(source: source, line: number, reason: reason) }
                    continue
                }
                if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
                do {
                    let record = try decoder.decode(line: line)
                    guard let target else {
                        htmlReport.add(record, source: source)
                        continue
                    }
                    // One format per attribute set: OTLP's resource start time stays steady.
                    let format: any HeartbeatFormat
                    if let cached = cache[record.attributes] {
                        format = cached
                    } else {
                        let options = ExportOptions(attributes: record.attributes, textStyle: style)
                        guard let made = try target.makeLogFormat(options: options) else { continue }
                        cache[record.attributes] = made
                        format = made
                    }
                    let context = FormatContext(droppedRecords: record.droppedRecords)
                    for rendered in format.render(record.heartbeat, context: context) {
                        sink.write(rendered)
                    }
                } catch {
                    bad += 1
                    reportBadLine("\(source) line \(number): \(error.message)")
                    if html { htmlReport.noteSkippedLine(source: source, line: number, reason: error.message) }
                }
            }
            if let failure = reader.failure {
                bad += 1
                report("\(source): read error: \(failure)")
            }
        }
        if badLines > maxReportedLines {
            report("\(badLines - maxReportedLines) more unreadable line(s) not shown (\(badLines) in all)")
        }
        if html, opened > 0, !writeStandardOutput(htmlReport.render()) {
            report("cannot write the report: \(String(cString: strerror(errno)))")
            return 1
        }
        return bad == 0 ? 0 : 1
    }

    /// `Heartbeat report: hb.jsonl, hb.jsonl.1`, shortened when many files are given; sorted,
    /// so the same files give the same report in any order.
    private static func defaultTitle(_ paths: [String]) -> String {
        let names = paths.map { $0 == "-" ? "stdin" : $0 }.sorted()
        let listed = names.prefix(3).joined(separator: ", ")
        return "Heartbeat report: " + listed + (names.count > 3 ? " and \(names.count - 3) more" : "")
    }

    /// Writes all of `text`, retrying short writes; a report is megabytes, more than a pipe
    /// takes in one `write`.
    private static func writeStandardOutput(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let written = write(1, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }

    private static func usageError(_ message: String) -> Int32 {
        report("\(message)\n\(usage)")
        return 2
    }

    private static func report(_ message: String) {
        FileHandle.standardError.write(Data("heartbeat-demo render: \(message)\n".utf8))
    }
}

/// Reads `\n`-separated lines from a descriptor without ever holding more than one line (plus
/// a read buffer) in memory; a line over the limit is skipped and reported as `nil`.
struct LineReader {
    let descriptor: Int32
    let maxLineBytes: Int
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var start = 0
    private var end = 0
    private var lineNumber = 0
    private var atEnd = false
    private(set) var failure: String?

    init(descriptor: Int32, maxLineBytes: Int) {
        self.descriptor = descriptor
        self.maxLineBytes = maxLineBytes
    }

    /// The next line's number and text, with `nil` text for an oversized line; `nil` at the end.
    mutating func next() -> (Int, String?)? {
        var line: [UInt8] = []
        var oversized = false
        while true {
            if start == end {
                if atEnd { break }
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    atEnd = true
                    break
                }
                if count == 0 { atEnd = true; break }
                start = 0
                end = count
            }
            if let newline = buffer[start..<end].firstIndex(of: UInt8(ascii: "\n")) {
                if !oversized { line.append(contentsOf: buffer[start..<newline]) }
                start = newline + 1
                lineNumber += 1
                return (lineNumber, oversized || line.count > maxLineBytes ? nil : String(decoding: line, as: UTF8.self))
            }
            if !oversized { line.append(contentsOf: buffer[start..<end]) }
            if line.count > maxLineBytes {
                oversized = true
                line.removeAll()
            }
            start = end
        }
        if line.isEmpty && !oversized { return nil }
        lineNumber += 1
        return (lineNumber, oversized ? nil : String(decoding: line, as: UTF8.self))
    }
}
