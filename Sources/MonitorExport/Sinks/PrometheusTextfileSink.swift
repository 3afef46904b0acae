#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ProcessMonitor
import Synchronization

/// Replaces `DIR/NAME.prom` with each heartbeat's lines, atomically, for node_exporter's
/// textfile collector (`--collector.textfile.directory=DIR`).
///
/// Each batch is written to a temporary file in the same directory, `.NAME.prom.tmp.PID.N`, and
/// then `rename(2)`d over `NAME.prom`, so a reader always sees either the previous complete file
/// or the new one, never half of one. The temporary name starts with a dot and does not end in
/// `.prom`, so the collector never reads it; `N` tells two sinks in one process apart so they
/// cannot truncate each other's temporary file. The sink does not `fsync`: after a power loss
/// the file may hold an older heartbeat, which the next heartbeat replaces anyway.
///
/// The path is checked in the throwing initializer: the name must end in `.prom` and the
/// directory must exist and accept a new file (the sink creates and removes its temporary file
/// to find out, which also catches a read-only mount). After that the sink never throws and
/// never traps: a heartbeat it cannot write (disk full, the directory deleted or made read-only)
/// is dropped and counted in ``droppedRecords``, one rate-limited warning naming the path and
/// the reason goes to the ``SinkDiagnostics``, and the next heartbeat is tried as usual.
///
/// ``close()`` leaves the file in place: a finished batch job's last values (with
/// `processmonitor_final_heartbeat 1` and its timestamp) stay visible to the collector, as
/// the node_exporter documentation recommends for batch jobs. Delete the file yourself when the
/// job's series should disappear. The file is created with mode 0644 less the umask; the
/// collector's user must be able to read it.
///
/// ```swift
/// let sink = try PrometheusTextfileSink(path: "/var/lib/node_exporter/textfile/etl.prom")
/// let exporter = HeartbeatExporter(format: try PrometheusFormat(), sink: sink)
/// ```
public final class PrometheusTextfileSink: HeartbeatSink {
    /// The path as given.
    package let path: String

    /// The path made absolute at start, so a later `chdir` of the host changes nothing.
    private let resolvedPath: String
    private let temporaryPath: String
    private let limiter: WarningLimiter
    /// Guards the write path, so two batches never share the temporary file at once.
    private let state = LockedValue(State())

    private struct State {
        var isClosed = false
        var dropped: UInt64 = 0
    }

    /// Distinguishes sinks in one process: see the type's documentation.
    private static let instances = Atomic<UInt64>(0)

    /// Checks `path` and prepares to replace it on every heartbeat; writes nothing yet.
    ///
    /// - Throws: ``ExportError`` naming the path and the reason: `.invalidConfiguration` when
    ///   the name does not end in `.prom` (the collector would ignore it) or the path names a
    ///   directory; `.cannotOpen` when the directory is missing or a file cannot be created in
    ///   it (permissions, a read-only file system).
    ///
    /// ```swift
    /// do {
    ///     _ = try PrometheusTextfileSink(path: "/var/lib/node_exporter/textfile/etl.txt")
    /// } catch {
    ///     print(error)  // invalid configuration: … does not end in .prom …
    /// }
    /// ```
    public init(path: String, diagnostics: SinkDiagnostics = .standard) throws(ExportError) {
        try FileDescriptorWriter.checkPath(path, for: "PrometheusTextfileSink")
        self.path = path
        let shown = MessageValue.excerpt(path)
        let resolved = FileDescriptorWriter.absolute(path)
        // Relative only when the working directory could not be read; then it is ".".
        let name: String
        let directory: String
        if let slash = resolved.lastIndex(of: "/") {
            name = String(resolved[resolved.index(after: slash)...])
            directory = slash == resolved.startIndex ? "/" : String(resolved[..<slash])
        } else {
            name = resolved
            directory = "."
        }
        guard name.hasSuffix(".prom"), name.utf8.count > ".prom".utf8.count else {
            throw ExportError(
                code: .invalidConfiguration,
                message: "Prometheus textfile path \(shown) does not end in NAME.prom; "
                    + "node_exporter's textfile collector reads only *.prom files"
            )
        }
        var info = stat()
        guard stat(directory, &info) == 0 else {
            throw ExportError(code: .cannotOpen, message: "cannot use \(shown): directory \(MessageValue.excerpt(directory)): \(SystemError.current)")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw ExportError(code: .cannotOpen, message: "cannot use \(shown): \(MessageValue.excerpt(directory)) is not a directory")
        }
        if stat(resolved, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            throw ExportError(code: .invalidConfiguration, message: "cannot use \(shown): it is a directory")
        }
        let instance = PrometheusTextfileSink.instances.add(1, ordering: .relaxed).newValue
        let temporary = "\(directory == "/" ? "" : directory)/.\(name).tmp.\(getpid()).\(instance)"
        // Creating the very file the write path creates is the only reliable test: access(2)
        // ignores read-only mounts for root and says nothing about a full inode table.
        let probe = PrometheusTextfileSink.openTemporary(temporary)
        guard probe >= 0 else {
            throw ExportError(code: .cannotOpen, message: "cannot write in the directory of \(shown): \(SystemError.current)")
        }
        FileDescriptorWriter.closeDescriptor(probe)
        unlink(temporary)
        resolvedPath = resolved
        temporaryPath = temporary
        limiter = WarningLimiter(diagnostics)
    }

    /// Replaces the file with this one line: a batch of one. The exporter calls
    /// ``write(_:)-([RenderedLine])`` instead, with the whole heartbeat.
    public func write(_ line: RenderedLine) { write([line]) }

    /// Replaces the file with `lines`, each followed by a newline, through a temporary file and
    /// `rename(2)`. A failure leaves the previous file as it was, drops this batch and counts it.
    public func write(_ lines: [RenderedLine]) {
        let warning: String? = state.withLock { state in
            guard !state.isClosed else {
                state.dropped += 1
                return "\(prefix): write after close; heartbeat dropped (\(state.dropped) dropped so far)"
            }
            guard let failure = replace(with: lines) else { return nil }
            state.dropped += 1
            return "\(prefix): cannot replace the file: \(failure); heartbeat dropped (\(state.dropped) dropped so far)"
        }
        // Outside the lock: a warning handler that writes back into this sink must not deadlock.
        if let warning { limiter.warn(warning) }
    }

    /// Stops writing; the file stays with the last heartbeat's values for the collector. Later
    /// writes are dropped and counted in ``droppedRecords``; closing again does nothing.
    public func close() {
        state.withLock { $0.isClosed = true }
    }

    /// Heartbeats that were not written: faults, and writes after ``close()``.
    public var droppedRecords: UInt64 { state.withLock { $0.dropped } }

    private var prefix: String { "[process-monitor] PrometheusTextfileSink(\(MessageValue.excerpt(path)))" }

    /// Writes the temporary file and renames it over the path; the failure, if any. Called with
    /// the state lock held, so no other batch touches the temporary file meanwhile.
    private func replace(with lines: [RenderedLine]) -> SystemError? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines.reduce(0) { $0 + $1.text.utf8.count + 1 })
        for line in lines {
            bytes.append(contentsOf: line.text.utf8)
            bytes.append(UInt8(ascii: "\n"))
        }
        let descriptor = Self.openTemporary(temporaryPath)
        guard descriptor >= 0 else { return .current }
        let outcome = bytes.withUnsafeBytes { FileDescriptorWriter.writeRecord(descriptor, $0, guardingSIGPIPE: false) }
        // Unlike the append sinks, close's error counts here: NFS reports a failed write at
        // close, and renaming that file into place would publish a short one.
        let closed = closeReportingError(descriptor)
        let failure = outcome.error != 0 ? outcome.error : closed
        if failure == 0 {
            if rename(temporaryPath, resolvedPath) == 0 { return nil }
            let renameError = SystemError.current
            unlink(temporaryPath)
            return renameError
        }
        unlink(temporaryPath)
        return SystemError(code: failure)
    }

    /// Creates or truncates the temporary file. `O_NOFOLLOW` refuses a symlink planted under its
    /// name, so the sink never writes through one into another file.
    private static func openTemporary(_ path: String) -> Int32 {
        var descriptor: Int32
        repeat {
            descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0o644)
        } while descriptor < 0 && errno == EINTR
        return descriptor
    }
}

/// `close(2)`'s errno, or 0; outside the class, whose own `close()` would shadow the system call.
private func closeReportingError(_ descriptor: Int32) -> Int32 {
    close(descriptor) == 0 ? 0 : errno
}
