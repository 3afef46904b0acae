#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ProcessMonitor
import Synchronization

/// Writes each line to standard output or standard error with one `write(2)`.
///
/// Lines go straight to the file descriptor, not through stdio's `FILE` buffer: a line is in
/// the kernel before ``write(_:)`` returns, so it survives a crash a moment later, and lines
/// from several threads never interleave. Output still sitting in the process's own stdio
/// buffer (`print`) may therefore appear after a heartbeat written later.
///
/// **SIGPIPE.** A write to a pipe whose reader has gone raises SIGPIPE, whose default action
/// ends the process. The sink changes no process-wide setting: it blocks SIGPIPE for the
/// writing thread only, for the length of the write, and discards the signal that write
/// raised. The write then fails with EPIPE, and the line is dropped and counted. Whatever the
/// host chose for SIGPIPE (default, ignore, a handler) stays in force everywhere else.
///
/// **A closed stream.** When the descriptor was closed as the sink was made (a job started
/// with `>&-`), every line is dropped and counted: a file opened later may get the number 1 or
/// 2, and its contents must not fill with heartbeats. (File sinks keep their own descriptors
/// above 2 for the same reason.)
///
/// **Closing.** The process owns its standard streams and ``standardError`` is shared, so
/// ``close()`` neither closes the descriptor nor silences the sink: a monitor that stops must
/// not mute the next one.
///
/// ```swift
/// let exporter = HeartbeatExporter(format: TextFormat(), sink: StandardStreamSink.standardError)
/// ```
// @unchecked Sendable: `buffer`, the only non-Sendable state, is used only while `lock` is held.
public final class StandardStreamSink: HeartbeatSink, @unchecked Sendable {
    /// Which standard stream a sink writes to.
    package enum Stream: Sendable, Equatable {
        /// File descriptor 1.
        case standardOutput
        /// File descriptor 2.
        case standardError
    }

    /// The shared sink for standard error.
    public static let standardError = StandardStreamSink(
        descriptor: STDERR_FILENO, name: "stderr", lock: StandardStreamSink.standardErrorLock,
        diagnostics: SinkDiagnostics(warn: { _ in })  // a failing stderr cannot report its own failure
    )

    /// The shared sink for standard output.
    public static let standardOutput = StandardStreamSink(.standardOutput)

    // One lock per descriptor, shared by every sink on it, so two sinks on stderr (or a sink and
    // a diagnostics warning) still never write into each other's line when fd 2 is a file
    // opened without O_APPEND.
    private static let standardOutputLock = PosixLock()
    private static let standardErrorLock = PosixLock()

    private let descriptor: Int32
    private let name: String
    let lock: PosixLock
    private let buffer = RecordBuffer(capacity: 1024)
    private let limiter: WarningLimiter
    private let dropped = Atomic<UInt64>(0)
    /// The descriptor was closed when this sink was made (`prog >&-`): whatever later takes its
    /// number is not the stream, so nothing is written there.
    private let closedAtCreation: Bool

    /// Creates a sink on `stream` whose own faults are reported through `diagnostics`.
    package convenience init(_ stream: Stream, diagnostics: SinkDiagnostics = .standard) {
        switch stream {
        case .standardOutput:
            self.init(descriptor: STDOUT_FILENO, name: "stdout", lock: Self.standardOutputLock, diagnostics: diagnostics)
        case .standardError:
            self.init(descriptor: STDERR_FILENO, name: "stderr", lock: Self.standardErrorLock, diagnostics: diagnostics)
        }
    }

    /// A sink on a descriptor the caller owns and keeps open, for tests (a pipe) and tools.
    package convenience init(fileDescriptor: Int32, name: String, diagnostics: SinkDiagnostics = .standard) {
        self.init(descriptor: fileDescriptor, name: name, lock: PosixLock(), diagnostics: diagnostics)
    }

    private init(descriptor: Int32, name: String, lock: PosixLock, diagnostics: SinkDiagnostics) {
        self.descriptor = descriptor
        self.name = name
        self.lock = lock
        self.limiter = WarningLimiter(diagnostics)
        self.closedAtCreation = fcntl(descriptor, F_GETFD) < 0
    }

    /// Writes `line.text` and a newline in one `write`; a failed write drops the line.
    public func write(_ line: RenderedLine) {
        let outcome = writeLocked(line.text)
        guard outcome.error != 0 else { return }
        let total = dropped.add(1, ordering: .relaxed).newValue
        limiter.warn(
            "[process-monitor] StandardStreamSink(\(name)): cannot write: \(SystemError(code: outcome.error)); "
                + "line dropped (\(total) dropped so far)"
        )
    }

    /// Writes without counting a failure: the diagnostics path has nowhere left to report to.
    func writeUncounted(_ text: String) {
        _ = writeLocked(text)
    }

    private func writeLocked(_ text: String) -> WriteOutcome {
        if closedAtCreation { return WriteOutcome(written: 0, error: EBADF) }
        lock.lock()
        defer { lock.unlock() }
        let record = buffer.record(for: text)
        // Always guarded: the host can point fd 1 or 2 at a pipe at any time (dup2).
        return FileDescriptorWriter.writeRecord(descriptor, record, guardingSIGPIPE: true)
    }

    /// Lines that could not be written (a closed descriptor, a pipe without a reader, a full disk).
    public var droppedRecords: UInt64 { dropped.load(ordering: .relaxed) }
}
