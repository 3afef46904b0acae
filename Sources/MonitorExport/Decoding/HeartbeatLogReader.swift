#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ProcessMonitor

/// Reads JSON Lines heartbeat logs (files, or standard input for `-`) record by record: what
/// `heartbeat-demo render` and any other reader of a heartbeat log needs. Memory stays bounded
/// by one line (at most ``HeartbeatRecordDecoder/maxLineBytes``) plus a read buffer, however
/// long the log.
///
/// Blank lines are skipped. A line that is not a record (too long, not JSON, a field out of
/// range) is reported with its source and line number and skipped; the rest is still read.
package struct HeartbeatLogReader {
    /// What the reader found on one line.
    package enum Entry {
        /// A record, decoded.
        case record(DecodedRecord, line: Int)
        /// A line that is not a record, and why (worded to follow `line N: `).
        case skipped(line: Int, reason: String)
    }

    /// `stdin` for `-`, else the path.
    package let source: String
    private var lines: LogLineReader
    private let decoder = HeartbeatRecordDecoder()
    private let ownsDescriptor: Bool

    /// Opens `path` (`-` is standard input).
    ///
    /// - Throws: ``ExportError`` (`cannotOpen`) naming the path and the reason.
    package init(path: String) throws(ExportError) {
        if path == "-" {
            self.init(descriptor: 0, source: "stdin", ownsDescriptor: false)
            return
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ExportError(code: .cannotOpen, message: "cannot open \(MessageValue.excerpt(path)): \(String(cString: strerror(errno)))")
        }
        self.init(descriptor: descriptor, source: path, ownsDescriptor: true)
    }

    /// Reads from `descriptor`, which the reader closes in ``close()`` when it owns it.
    package init(descriptor: Int32, source: String, ownsDescriptor: Bool, bufferBytes: Int = 64 * 1024) {
        self.source = source
        self.lines = LogLineReader(descriptor: descriptor, maxLineBytes: HeartbeatRecordDecoder.maxLineBytes, bufferBytes: bufferBytes)
        self.ownsDescriptor = ownsDescriptor
    }

    /// The next record or skipped line; `nil` at the end (or after a read error, see ``failure``).
    package mutating func next() -> Entry? {
        while let (number, line) = lines.next() {
            guard let line else {
                return .skipped(line: number, reason: "longer than \(HeartbeatRecordDecoder.maxLineBytes) bytes; skipped")
            }
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            do throws(ExportError) {
                return .record(try decoder.decode(line: line), line: number)
            } catch {
                return .skipped(line: number, reason: error.message)
            }
        }
        return nil
    }

    /// Why reading stopped early, when a read failed (`Is a directory`, `Input/output error`).
    package var failure: String? { lines.failure }

    /// Closes the file (never standard input).
    package func close() {
        if ownsDescriptor { closeDescriptor(lines.descriptor) }
    }
}

/// `close(2)`, out of reach of the reader's own `close()`.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}

/// Reads `\n`-separated lines from a descriptor without ever holding more than one line (plus
/// a read buffer) in memory; a line over the limit is skipped and reported as `nil`.
package struct LogLineReader {
    let descriptor: Int32
    let maxLineBytes: Int
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var lineNumber = 0
    private var atEnd = false
    private(set) var failure: String?

    package init(descriptor: Int32, maxLineBytes: Int, bufferBytes: Int = 64 * 1024) {
        self.descriptor = descriptor
        self.maxLineBytes = maxLineBytes
        self.buffer = [UInt8](repeating: 0, count: max(1, bufferBytes))
    }

    /// The next line's number (from 1) and text, with `nil` text for an oversized line; `nil`
    /// at the end. A last line without a final newline still counts.
    package mutating func next() -> (Int, String?)? {
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
                if count == 0 {
                    atEnd = true
                    break
                }
                start = 0
                end = count
            }
            if let newline = buffer[start ..< end].firstIndex(of: UInt8(ascii: "\n")) {
                if !oversized { line.append(contentsOf: buffer[start ..< newline]) }
                start = newline + 1
                lineNumber += 1
                return (lineNumber, oversized || line.count > maxLineBytes ? nil : String(decoding: line, as: UTF8.self))
            }
            if !oversized { line.append(contentsOf: buffer[start ..< end]) }
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

/// Turns decoded records into another format's lines, with one format per attribute set (so a
/// log of several processes keeps each one's attributes, and OTLP's start time stays steady per
/// process).
package struct HeartbeatLogConverter {
    private let target: ExportFormat
    private let textStyle: TextFormat.Style
    private var formats: [[String: String]: any HeartbeatFormat] = [:]

    /// Converts to `target`, which must make a log (``ExportFormat/makesLog``); `textStyle`
    /// applies to text.
    package init(to target: ExportFormat, textStyle: TextFormat.Style) {
        self.target = target
        self.textStyle = textStyle
    }

    /// The record's lines in the target format, carrying the record's dropped-record count.
    ///
    /// - Throws: ``ExportError`` when the record's attributes do not suit the target format.
    package mutating func lines(for record: DecodedRecord) throws(ExportError) -> [RenderedLine] {
        let format: any HeartbeatFormat
        if let known = formats[record.attributes] {
            format = known
        } else {
            let options = ExportOptions(attributes: record.attributes, textStyle: textStyle)
            guard let made = try target.makeLogFormat(options: options) else { return [] }
            formats[record.attributes] = made
            format = made
        }
        return format.render(record.heartbeat, context: FormatContext(droppedRecords: record.droppedRecords))
    }
}

extension HeartbeatLogReader {
    /// What went wrong while reading logs: a file that would not open or read (`line` is
    /// `nil`), or a line that is not a record.
    package struct Problem: Equatable {
        package let source: String
        package let line: Int?
        package let reason: String

        /// `hb.jsonl line 3: missing field 'seq'`, `hb.jsonl: read error: Is a directory`, or
        /// the open error alone (it names the path).
        package var message: String {
            if let line { return "\(source) line \(line): \(reason)" }
            return reason
        }
    }

    /// Reads every path in turn (`-` is standard input), handing each record to `record` with
    /// its source and line number and each problem to `problem`; a record `record` refuses (by
    /// throwing) is a problem too. Returns how many files opened and how many problems there
    /// were.
    package static func read(
        _ paths: [String],
        record: (DecodedRecord, _ source: String) throws(ExportError) -> Void,
        problem: (Problem) -> Void
    ) -> (opened: Int, problems: Int) {
        var opened = 0
        var problems = 0
        func note(_ found: Problem) {
            problems += 1
            problem(found)
        }
        for path in paths {
            var reader: HeartbeatLogReader
            do throws(ExportError) {
                reader = try HeartbeatLogReader(path: path)
            } catch {
                note(Problem(source: path == "-" ? "stdin" : path, line: nil, reason: error.message))
                continue
            }
            opened += 1
            while let entry = reader.next() {
                switch entry {
                case .record(let decoded, let line):
                    do throws(ExportError) {
                        try record(decoded, reader.source)
                    } catch {
                        note(Problem(source: reader.source, line: line, reason: error.message))
                    }
                case .skipped(let line, let reason):
                    note(Problem(source: reader.source, line: line, reason: reason))
                }
            }
            if let failure = reader.failure {
                note(Problem(source: reader.source, line: nil, reason: "\(reader.source): read error: \(failure)"))
            }
            reader.close()
        }
        return (opened, problems)
    }
}
