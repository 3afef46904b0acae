#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ProcessMonitor

/// When and how a ``RotatingFileSink`` rotates.
struct RotationSettings: Sendable {
    var maxBytes: Int
    var maxFiles: Int
    /// `rename(2)` returning 0 or an errno; injectable so tests can fail one step of a rotation.
    var rename: @Sendable (String, String) -> Int32
}

/// The file-writing machinery shared by ``FileSink`` and ``RotatingFileSink``.
// @unchecked Sendable: every `var` is read and written only while `lock` is held.
final class FileWriterCore: @unchecked Sendable {
    /// How often, at most, the write path asks whether the path still names the open file.
    static let pathCheckInterval: Duration = .seconds(1)

    /// The path as the caller gave it, for messages.
    let path: String
    /// The path made absolute, for every system call.
    let resolvedPath: String
    let kind: String
    let rotation: RotationSettings?
    let limiter: WarningLimiter

    let lock = PosixLock()
    var file: OpenedFile?
    /// Bytes in the open file, tracked on each write so the write path needs no `stat`.
    var size = 0
    var nextPathCheck: ContinuousClock.Instant
    /// Set after a failure so the next write looks at the path at once instead of in a second.
    var checkPathNow = false
    /// After a failed rotation, the earliest time to try again, so a stuck rename does not run
    /// on every write.
    var nextRotationAttempt: ContinuousClock.Instant?
    /// The open file ends inside a line: a write of ours failed partway, or the file was left
    /// so by an earlier writer. The next record starts with a newline.
    var lineIsTorn = false

    var isClosed = false
    var dropped: UInt64 = 0
    let buffer = RecordBuffer()

    init(path: String, kind: String, rotation: RotationSettings?, diagnostics: SinkDiagnostics) throws(ExportError) {
        self.path = path
        self.kind = kind
        self.rotation = rotation
        resolvedPath = FileDescriptorWriter.absolute(path)
        limiter = WarningLimiter(diagnostics)
        nextPathCheck = limiter.now + Self.pathCheckInterval
        switch FileDescriptorWriter.openForAppending(resolvedPath) {
        case .success(let opened):
            file = opened
            size = opened.size
            adoptTornEnd(of: opened)
        case .failure(let error):
            throw ExportError(code: .cannotOpen, message: "cannot open \(path) for appending: \(error)")
        }
    }

    deinit {
        if let file, !isClosed, FileDescriptorWriter.stillRefers(file) { FileDescriptorWriter.closeDescriptor(file.descriptor) }
    }

    var droppedRecords: UInt64 { lock.withLock { dropped } }

    func write(_ line: RenderedLine) {
        lock.lock()
        let warning = writeLocked(line.text)
        lock.unlock()
        // Outside the lock: a warning handler that logs back into this sink must not deadlock.
        if let warning { limiter.warn(warning) }
    }

    func close() {
        lock.withLock {
            guard !isClosed else { return }
            isClosed = true
            if let file, FileDescriptorWriter.stillRefers(file) { FileDescriptorWriter.closeDescriptor(file.descriptor) }
            file = nil
        }
    }

    /// The warning to emit, if any.
    private func writeLocked(_ text: String) -> String? {
        guard !isClosed else {
            dropped += 1
            return "\(prefix): write after close; line dropped (\(dropped) dropped so far)"
        }
        var warning: String?
        let now = limiter.now
        if file == nil || checkPathNow || now >= nextPathCheck {
            warning = checkPath(now: now)
        }
        let needed = text.utf8.count + 1 + (lineIsTorn ? 1 : 0)
        if let rotation, let current = file, current.isRegular, size > 0, size + needed > rotation.maxBytes,
            nextRotationAttempt.map({ now >= $0 }) ?? true
        {
            if let failure = rotate(current, policy: rotation, now: now) { warning = warning ?? failure }
        }
        if let current = file, current.isRegular, FileDescriptorWriter.isDeleted(current) {
            // Deleted (rm, a cleanup job): a line written to it would go nowhere. Checked on
            // every write (one fstat), so none does: recreate the path, or drop and count.
            FileDescriptorWriter.closeDescriptor(current.descriptor)
            file = nil
            let recreated = reopen() == nil
            warning = warning ?? "\(prefix): the file was deleted; "
                + (recreated ? "recreated it" : "cannot recreate it yet, so lines are dropped and counted until it can be")
        }
        guard let current = file else {
            dropped += 1
            return warning ?? "\(prefix): no file open; line dropped (\(dropped) dropped so far)"
        }
        // Built after any rotation or reopen, which start a fresh file with nothing torn.
        let record = buffer.record(for: text, afterTornLine: lineIsTorn)
        let outcome = FileDescriptorWriter.writeRecord(current.descriptor, record, guardingSIGPIPE: current.raisesSIGPIPE)
        size += outcome.written
        guard outcome.error == 0 else {
            if outcome.written > 0 { lineIsTorn = true }
            dropped += 1
            checkPathNow = true
            return "\(prefix): cannot write: \(SystemError(code: outcome.error)); line dropped (\(dropped) dropped so far)"
        }
        lineIsTorn = false
        return warning
    }

    var prefix: String { "[process-monitor] \(kind)(\(path))" }

    /// Makes sure the open file is still ours and still the one at the path; reopens the path
    /// when the file was moved away, deleted or replaced. Returns a warning on failure.
    ///
    /// While the path cannot be reopened, lines keep going to the old file if it is still
    /// open: a moved file is a worse place than the path, but better than nowhere.
    func checkPath(now: ContinuousClock.Instant) -> String? {
        nextPathCheck = now + Self.pathCheckInterval
        checkPathNow = false
        if let current = file {
            if !FileDescriptorWriter.stillRefers(current) {
                // Someone closed our descriptor and the number may now be another file's:
                // forget it without closing it.
                file = nil
            } else if let named = FileDescriptorWriter.identity(ofPath: resolvedPath),
                named.device == current.device, named.inode == current.inode
            {
                // Other processes may append too, or a copytruncate may have emptied the file.
                if current.isRegular, let actual = FileDescriptorWriter.size(of: current) { size = actual }
                return nil
            }
        }
        return reopen()
    }

    /// A file that ends inside a line holds a fragment of a torn record (an earlier run hit a
    /// full disk): start on a fresh line, and count the fragment as the record it was.
    func adoptTornEnd(of opened: OpenedFile) {
        guard opened.endsInsideALine else { return }
        lineIsTorn = true
        dropped += 1
    }

    /// Opens the path afresh and swaps the new file in.
    func reopen() -> String? {
        switch FileDescriptorWriter.openForAppending(resolvedPath) {
        case .success(let opened):
            if let old = file { FileDescriptorWriter.closeDescriptor(old.descriptor) }
            file = opened
            size = opened.size
            lineIsTorn = false
            adoptTornEnd(of: opened)
            return nil
        case .failure(let error):
            checkPathNow = true
            let fallback = file == nil ? "line dropped" : "writing to the moved file meanwhile"
            return "\(prefix): cannot reopen: \(error); \(fallback)"
        }
    }
}
