#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ProcessMonitor

/// Appends each line to a file with one `write(2)`.
///
/// The file is opened in the throwing initializer, so a bad path fails at start-up rather
/// than at the first heartbeat. After that the sink never throws and never traps: a line it
/// cannot write (disk full, I/O error, the descriptor gone) is dropped and counted in
/// ``droppedRecords``, one rate-limited warning naming the path and the reason goes to the
/// ``SinkDiagnostics``, and the next line is tried as usual, so writing resumes by itself once
/// the fault clears.
///
/// When the file is moved away or deleted (logrotate without `copytruncate`, `rm`), the sink
/// notices within a second, or at the next write after a failure, and reopens the path; the
/// lines written into a deleted file since the previous check are copied into the new one.
/// The write path makes no system call but the `write` itself.
///
/// A record the disk has room for only in part (the kernel takes some of its bytes, then
/// refuses the rest) is rolled back with `ftruncate`, so the file holds whole records only and
/// `jq` or DuckDB never meet a fragment; only a crash mid-write can leave one, and the next
/// sink to open the file then starts on a fresh line and counts the fragment as dropped.
///
/// ```swift
/// let sink = try FileSink(path: "/var/log/job/heartbeat.jsonl")
/// let exporter = HeartbeatExporter(format: JSONLinesFormat(), sink: sink)
/// ```
public final class FileSink: HeartbeatSink {
    /// The path as given; the sink reopens it after the file is moved away.
    package let path: String
    let core: FileWriterCore

    /// Opens `path` for appending, creating it when missing.
    ///
    /// Throws ``ExportError`` with code `.cannotOpen`, naming the path and the system's reason,
    /// when the file cannot be opened: a missing directory, no permission, a directory path,
    /// a FIFO without a reader (opening it would otherwise block until one appears); and with
    /// `.invalidConfiguration` for an empty path or one holding a NUL byte. A path longer than
    /// 200 bytes is cut in the message, which says its length.
    ///
    /// ```swift
    /// do {
    ///     let sink = try FileSink(path: "heartbeat.log")
    ///     sink.close()
    /// } catch {
    ///     print(error)  // cannot open: cannot open heartbeat.log for appending: Permission denied (errno 13)
    /// }
    /// ```
    public convenience init(path: String, diagnostics: SinkDiagnostics = .standard) throws(ExportError) {
        try self.init(path: path, diagnostics: diagnostics, write: FileDescriptorWriter.systemWrite)
    }

    /// As the public initializer, with `write(2)` replaced, so tests can make the kernel take
    /// only part of a record.
    package init(
        path: String, diagnostics: SinkDiagnostics = .standard,
        write: @escaping @Sendable (Int32, UnsafeRawPointer, Int) -> (result: Int, error: Int32)
    ) throws(ExportError) {
        self.path = path
        core = try FileWriterCore(path: path, kind: "FileSink", rotation: nil, diagnostics: diagnostics, write: write)
    }

    /// Appends `line.text` and a newline with one `write`; a failure drops the line and counts it.
    public func write(_ line: RenderedLine) { core.write(line) }

    /// Closes the file. Later writes are ignored and counted in ``droppedRecords``; closing
    /// again does nothing.
    public func close() { core.close() }

    /// Lines that were not written: faults, and writes after ``close()``.
    public var droppedRecords: UInt64 { core.droppedRecords }
}
