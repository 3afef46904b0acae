import Foundation
import MonitorExport
import ProcessMonitor

#if canImport(Glibc)
import Glibc
#endif

/// `heartbeat-demo render --to text|logfmt|jsonl|otlp-json [--style seed|extended] [FILE]`: turns a JSON
/// Lines heartbeat log into another format. A bad or oversized line is reported on stderr with
/// its line number and skipped; the rest is still rendered; the exit status is 1 if any line
/// was bad.
enum RenderCommand {
    static let usage = "usage: heartbeat-demo render --to text|logfmt|jsonl|otlp-json [--style seed|extended] [FILE]"

    static func run(_ arguments: [String]) -> Int32 {
        var target: ExportSpecification.Format?
        var style = TextFormat.Style.seed
        var path: String?
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--to":
                guard let value = rest.popFirst(), let format = ExportSpecification.Format(rawValue: value) else {
                    return usageError("--to takes text, logfmt, jsonl or otlp-json")
                }
                target = format
            case "--style":
                switch rest.popFirst() {
                case "seed": style = .seed
                case "extended": style = .extended
                default: return usageError("--style takes seed or extended")
                }
            case "--help", "-h":
                print(usage)
                return 0
            default:
                if argument.hasPrefix("-") && argument != "-" { return usageError("unknown option \"\(argument)\"") }
                guard path == nil else { return usageError("only one FILE may be given") }
                path = argument
            }
        }
        guard let target else { return usageError("--to is required") }

        let descriptor: Int32
        if let path, path != "-" {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                report("cannot open \(path): \(String(cString: strerror(errno)))")
                return 1
            }
        } else {
            descriptor = 0
        }
        defer { if descriptor != 0 { close(descriptor) } }

        let decoder = HeartbeatRecordDecoder()
        // One OTLP format per attribute set, so its cumulative sums keep one start time.
        var otlpFormats: [[String: String]: OTLPJSONFormat] = [:]
        let sink = StandardStreamSink.standardOutput
        var bad = 0
        var reader = LineReader(descriptor: descriptor, maxLineBytes: HeartbeatRecordDecoder.maxLineBytes)
        while let (number, line) = reader.next() {
            guard let line else {
                bad += 1
                report("line \(number): longer than \(HeartbeatRecordDecoder.maxLineBytes) bytes; skipped")
                continue
            }
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            do {
                let record = try decoder.decode(line: line)
                let format: any HeartbeatFormat
                switch target {
                case .text: format = TextFormat(style: style)
                case .logfmt: format = try LogfmtFormat(attributes: record.attributes)
                case .jsonl: format = try JSONLinesFormat(attributes: record.attributes)
                case .prometheus:
                    throw ExportError(code: .invalidConfiguration, message: "a Prometheus textfile holds one heartbeat, not a log")
                case .otlpJSON:
                    if let cached = otlpFormats[record.attributes] {
                        format = cached
                    } else {
                        let otlp = try OTLPJSONFormat(attributes: record.attributes)
                        otlpFormats[record.attributes] = otlp
                        format = otlp
                    }
                }
                let context = FormatContext(droppedRecords: record.droppedRecords)
                for rendered in format.render(record.heartbeat, context: context) {
                    sink.write(rendered)
                }
            } catch {
                bad += 1
                report("line \(number): \((error as? ExportError)?.message ?? "\(error)")")
            }
        }
        if let failure = reader.failure {
            report("read error: \(failure)")
            return 1
        }
        return bad == 0 ? 0 : 1
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
