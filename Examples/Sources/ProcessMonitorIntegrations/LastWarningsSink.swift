#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MonitorExport
import ProcessMonitor
import Synchronization

/// Keeps the last warning lines of a job's heartbeats and, when the monitor stops, writes a
/// summary: how many heartbeats, lines and warnings went by, then the last `keep` warnings
/// themselves. For a batch job's artefacts: what was stuck most recently, in a few lines,
/// without keeping every heartbeat.
///
/// A sink of one's own, written against the public API only, as `MonitorExport`'s guide
/// "Writing a sink" describes:
/// - it opens its destination in its throwing initializer, so a bad path fails at start with an
///   `ExportError` naming it, not at the end of a twelve-hour job;
/// - it never throws or blocks on the write path: a heartbeat's lines arrive as one batch from
///   the exporter's delivery thread, and it only counts and keeps them;
/// - it reads each line's level, not its text, so it works with any line format (with the text
///   format, its warnings are the `[STALL]` lines and the `[WARN]` lines of a resource near
///   its limit);
/// - what it cannot keep or write is counted in `droppedRecords`, and a summary it cannot write
///   is reported once on the diagnostics it was given (nothing is lost silently).
///
/// `ExportFormat.lastWarnings` registers it as the export kind `last-warnings:DEST[;keep=N]`;
/// `CustomSinkExample` runs it.
public final class LastWarningsSink: HeartbeatSink {
    /// The warnings kept when a specification does not say `keep=N`.
    public static let defaultKeep = 5
    /// The `keep` values allowed: one warning at least, and no more than a summary can show.
    public static let keepRange = 1 ... 1000

    /// How many of the last warnings the summary lists.
    public let keep: Int
    /// `stdout` or the file path the summary goes to, as given.
    public let destination: String
    private let output: FileHandle
    private let closesOutput: Bool
    private let diagnostics: SinkDiagnostics
    private let state = Mutex(State())

    private struct State {
        var heartbeats = 0
        var lines = 0
        var warnings = 0
        /// The last `keep` warning lines, oldest first.
        var last: [String] = []
        var closed = false
        var dropped: UInt64 = 0
    }

    /// Opens `destination` (`stdout`, or a file path, created or emptied now) for a summary of
    /// the last `keep` warnings.
    ///
    /// - Throws: `ExportError` (`invalidConfiguration`) when `keep` is outside ``keepRange``;
    ///   (`cannotOpen`) naming the path and the reason when the file cannot be opened.
    public init(destination: String, keep: Int = defaultKeep, diagnostics: SinkDiagnostics = .standard) throws(ExportError) {
        guard Self.keepRange.contains(keep) else {
            throw ExportError(code: .invalidConfiguration, message: "keep must be a whole number from 1 to 1000 (got \(keep))")
        }
        if destination == "stdout" {
            output = .standardOutput
            closesOutput = false
        } else {
            let descriptor = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                let reason = String(cString: strerror(errno))
                throw ExportError(code: .cannotOpen, message: "last-warnings: cannot open \(Self.shown(destination)) for writing: \(reason)")
            }
            output = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            closesOutput = true
        }
        self.destination = destination
        self.keep = keep
        self.diagnostics = diagnostics
    }

    /// One heartbeat's lines: counted, and its warnings kept (only the last `keep` of them).
    public func write(_ lines: [RenderedLine]) {
        record(lines, heartbeats: 1)
    }

    /// One line on its own, outside a heartbeat's batch: counted and kept like the others.
    public func write(_ line: RenderedLine) {
        record([line], heartbeats: 0)
    }

    /// Writes the summary and closes the file; safe to call more than once. A summary that
    /// cannot be written is reported on the diagnostics, with the reason, and its warnings are
    /// counted as dropped.
    public func close() {
        let summary: String? = state.withLock { state in
            guard !state.closed else { return nil }
            state.closed = true
            return Self.summary(of: state)
        }
        guard let summary else { return }
        do {
            try output.write(contentsOf: Data(summary.utf8))
            if closesOutput { try output.close() }
        } catch {
            let lost = state.withLock { state in
                state.dropped += UInt64(state.last.count)
                return state.last.count
            }
            diagnostics.warn("[process-monitor] last-warnings: cannot write the summary to \(Self.shown(destination)) "
                + "(\(lost) warning line(s) lost): \(error)")
        }
    }

    /// Lines written after ``close()``, and the warnings of a summary that could not be written.
    public var droppedRecords: UInt64 { state.withLock { $0.dropped } }

    private func record(_ lines: [RenderedLine], heartbeats: Int) {
        let keep = keep
        state.withLock { state in
            guard !state.closed else {
                state.dropped += UInt64(lines.count)
                return
            }
            state.heartbeats += heartbeats
            state.lines += lines.count
            for line in lines where line.level == .warning {
                state.warnings += 1
                state.last.append(line.text)
            }
            if state.last.count > keep { state.last.removeFirst(state.last.count - keep) }
        }
    }

    /// `last-warnings: 7 heartbeats, 23 lines, 4 warnings; the last 3:` and those lines.
    private static func summary(of state: State) -> String {
        var text = "last-warnings: \(state.heartbeats) heartbeats, \(state.lines) lines, "
        guard state.warnings > 0 else { return text + "no warnings\n" }
        text += "\(state.warnings) warnings; the last \(state.last.count):\n"
        for line in state.last { text += line + "\n" }
        return text
    }

    /// A path for a message: quoted, and cut with its length said when it is long.
    static func shown(_ value: String) -> String {
        value.utf8.count <= 200 ? value.debugDescription : String(value.prefix(100)).debugDescription + "… (\(value.utf8.count) bytes)"
    }
}

extension ExportFormat {
    /// `last-warnings:DEST[;keep=N]`: the extended text lines, with time and level, into a
    /// ``LastWarningsSink`` on `stdout` or a file. One value is the whole registration: pass
    /// `ExportFormat.builtIn + [.lastWarnings]` wherever exports are parsed
    /// (`ProcessMonitor.start(environment:formats:)`, `MonitorEnvironment`,
    /// `ExportSpecification(parsing:formats:)`), and `PROCESS_MONITOR_EXPORT` (or a command
    /// line's `--export`) accepts it, its error messages list it, and its option is checked at start.
    public static let lastWarnings = ExportFormat(
        name: "last-warnings",
        summary: "the last warning lines, summarised when the monitor stops",
        destinations: "stdout or a file path",
        options: [keepOption]
    ) { destination, options throws(ExportError) in
        // The option's check ran when the specification was parsed; its value is here.
        let keep = options.optionValues["keep"].flatMap { Int($0) } ?? LastWarningsSink.defaultKeep
        return HeartbeatExporter(
            format: TextFormat(style: .extended, prefix: .timestampAndLevel, limits: options.limits),
            sink: try LastWarningsSink(destination: destination, keep: keep, diagnostics: options.diagnostics),
            queueCapacity: options.queueCapacity
        )
    }

    /// `keep=N`: how many warnings the summary lists, 1 through 1000.
    static let keepOption = Option(name: "keep", values: "a whole number from 1 to 1000") { value, _ throws(ExportError) in
        guard let keep = Int(value), LastWarningsSink.keepRange.contains(keep) else {
            throw ExportError(code: .invalidConfiguration,
                              message: "keep must be a whole number from 1 to 1000 (got \(LastWarningsSink.shown(value)))")
        }
    }
}
