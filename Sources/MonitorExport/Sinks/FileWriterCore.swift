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
    /// How often, at most, the write path asks whether the path still names the open file (and
    /// whether that file was deleted): a clock read per record, a `stat` and an `fstat` per
    /// interval, instead of a system call per record.
    static let pathCheckInterval: Duration = .seconds(1)

    /// The path as the caller gave it, for messages.
    let path: String
    /// The path made absolute, for every system call.
    let resolvedPath: String
    let kind: String
    let rotation: RotationSettings?
    let limiter: WarningLimiter
    /// `write(2)`, or a test's stand-in that accepts part of a record.
    let writeCall: FileDescriptorWriter.WriteCall

    let lock = PosixLock()
    var file: OpenedFile?
    /// Bytes in the open file, tracked on each write so the write path needs no `stat`.
    var size = 0
    /// The file's size at the last check that found it still at the path. Whatever lies beyond
    /// was written since, and is carried over to a new file if this one turns out deleted.
    var checkedSize = 0
    /// Records written since that check: the count lost if they cannot be carried over.
    var recordsSinceCheck: UInt64 = 0
    var nextPathCheck: ContinuousClock.Instant
    /// Set after a failure so the next write looks at the path at once instead of in a second.
    var checkPathNow = false
    /// After a failed rotation, the earliest time to try again, so a stuck rename does not run
    /// on every write.
    var nextRotationAttempt: ContinuousClock.Instant?
    /// The open file ends inside a line: a write of ours failed partway and could not be rolled
    /// back (not a regular file), or the file was left so by an earlier writer that crashed.
    /// The next record starts with a newline.
    var lineIsTorn = false

    var isClosed = false
    var dropped: UInt64 = 0
    let buffer = RecordBuffer()

    init(
        path: String, kind: String, rotation: RotationSettings?, diagnostics: SinkDiagnostics,
        write: @escaping FileDescriptorWriter.WriteCall = FileDescriptorWriter.systemWrite
    ) throws(ExportError) {
        try FileDescriptorWriter.checkPath(path, for: kind)
        self.path = path
        self.kind = kind
        self.rotation = rotation
        writeCall = write
        resolvedPath = FileDescriptorWriter.absolute(path)
        limiter = WarningLimiter(diagnostics)
        nextPathCheck = limiter.now + Self.pathCheckInterval
        switch FileDescriptorWriter.openForAppending(resolvedPath) {
        case .success(let opened):
            adopt(opened)
        case .failure(let error):
            throw ExportError(code: .cannotOpen, message: "cannot open \(MessageValue.excerpt(path)) for appending: \(error)")
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
        let checking = file == nil || checkPathNow || now >= nextPathCheck
        if checking {
            warning = checkPath(now: now)
        }
        let needed = text.utf8.count + 1 + (lineIsTorn ? 1 : 0)
        if let rotation, let current = file, current.isRegular, size > 0, size + needed > rotation.maxBytes,
            nextRotationAttempt.map({ now >= $0 }) ?? true
        {
            if let failure = rotate(current, policy: rotation, now: now) { warning = warning ?? failure }
        }
        guard let current = file else {
            dropped += 1
            return warning ?? "\(prefix): no file open; line dropped (\(dropped) dropped so far)"
        }
        // Built after any rotation or reopen, which start a fresh file with nothing torn.
        let record = buffer.record(for: text, afterTornLine: lineIsTorn)
        let outcome = FileDescriptorWriter.writeRecord(
            current.descriptor, record, guardingSIGPIPE: current.raisesSIGPIPE, using: writeCall
        )
        size += outcome.written
        guard outcome.error == 0 else {
            var undone = ""
            if outcome.written > 0 {
                // The kernel took part of the record (a disk filling up): take it back, so the
                // file holds whole records only and jq or DuckDB never meet a fragment.
                if FileDescriptorWriter.rollBack(current, written: outcome.written) {
                    size -= outcome.written
                    undone = "; the \(outcome.written) bytes of it that were written were rolled back"
                } else {
                    lineIsTorn = true
                }
            }
            dropped += 1
            checkPathNow = true
            return "\(prefix): cannot write: \(SystemError(code: outcome.error)); line dropped\(undone) (\(dropped) dropped so far)"
        }
        lineIsTorn = false
        if checking, current.isRegular, let status = FileDescriptorWriter.status(of: current), status.links > 0 {
            // A check ran in this call (a write at most once a second): confirm this record too,
            // so at that pace a later deletion never leaves it in doubt (see reopen()).
            checkedSize = size
            recordsSinceCheck = 0
        } else {
            recordsSinceCheck &+= 1
        }
        return warning
    }

    var prefix: String { "[process-monitor] \(kind)(\(shownPath))" }

    /// The path as messages show it: cut, with its length, when it is long.
    var shownPath: String { MessageValue.excerpt(path) }

    /// Makes sure the open file is still ours and still the one at the path; reopens the path
    /// when the file was moved away, deleted or replaced. Returns a warning on failure, or
    /// when a deleted file is replaced.
    ///
    /// While the path cannot be reopened, lines keep going to a moved file if it is still
    /// open: a moved file is a worse place than the path, but better than nowhere. A deleted
    /// file is never kept: lines are dropped and counted until the path can be recreated.
    func checkPath(now: ContinuousClock.Instant) -> String? {
        nextPathCheck = now + Self.pathCheckInterval
        checkPathNow = false
        if let current = file {
            if let status = FileDescriptorWriter.status(of: current) {
                if status.links > 0, let named = FileDescriptorWriter.identity(ofPath: resolvedPath),
                    named.device == current.device, named.inode == current.inode
                {
                    // Other processes may append too, or a copytruncate may have emptied the file.
                    if current.isRegular { size = status.size }
                    checkedSize = size
                    recordsSinceCheck = 0
                    return nil
                }
            } else {
                // Someone closed our descriptor and the number may now be another file's:
                // forget it without closing it.
                file = nil
            }
        }
        return reopen()
    }

    /// Makes `opened` the open file, measured afresh.
    func adopt(_ opened: OpenedFile) {
        file = opened
        size = opened.size
        checkedSize = opened.size
        recordsSinceCheck = 0
        lineIsTorn = false
        adoptTornEnd(of: opened)
    }

    /// A file that ends inside a line holds a fragment of a torn record (an earlier writer
    /// crashed mid-write): start on a fresh line, and count the fragment as the record it was.
    func adoptTornEnd(of opened: OpenedFile) {
        guard opened.endsInsideALine else { return }
        lineIsTorn = true
        dropped += 1
    }

    /// Opens the path afresh and swaps the new file in. When the old file was deleted (`rm`, a
    /// cleanup job), what was written to it since the last check is copied into the new one,
    /// so nothing written between two checks goes nowhere; if that cannot be done, those
    /// records are counted as dropped. A writer at most one record a second has each record
    /// confirmed right after it is written, so only what follows the deletion is copied; a
    /// faster one may see up to a second of records written just before the `rm` again at the
    /// top of the new file, the price of not asking the system about every record.
    func reopen() -> String? {
        let old = file
        // nil when the descriptor is no longer ours: then it is never closed or read.
        let oldStatus = old.flatMap(FileDescriptorWriter.status(of:))
        let deleted = old?.isRegular == true && oldStatus?.links == 0
        let since = (size: checkedSize, records: recordsSinceCheck)
        switch FileDescriptorWriter.openForAppending(resolvedPath) {
        case .success(let opened):
            adopt(opened)
            guard let old, let oldStatus else { return nil }
            defer { FileDescriptorWriter.closeDescriptor(old.descriptor) }
            guard deleted else { return nil }
            return carryOver(since.size ..< max(since.size, oldStatus.size), of: old, records: since.records)
        case .failure(let error):
            checkPathNow = true
            if deleted, let old {
                FileDescriptorWriter.closeDescriptor(old.descriptor)
                file = nil
                dropped += since.records
                recordsSinceCheck = 0
                return "\(prefix): the file was deleted and cannot be recreated: \(error); "
                    + (since.records > 0 ? "the \(since.records) line(s) written to it since the last check are lost, and " : "")
                    + "lines are dropped and counted until it can be"
            }
            let fallback = file == nil ? "line dropped" : "writing to the moved file meanwhile"
            return "\(prefix): cannot reopen: \(error); \(fallback)"
        }
    }

    /// After a deleted file was replaced by the open `file`: copies `range` of the deleted one
    /// (the `records` written to it since the last check) to the new one.
    private func carryOver(_ range: Range<Int>, of old: OpenedFile, records: UInt64) -> String {
        let recreated = "\(prefix): the file was deleted; recreated it"
        guard !range.isEmpty, records > 0, let current = file else { return recreated }
        if lineIsTorn {
            // The new file (someone else's) ends inside a line: the first record carried over
            // must not be glued to that fragment.
            var newline = UInt8(ascii: "\n")
            let outcome = withUnsafeBytes(of: &newline) {
                FileDescriptorWriter.writeRecord(current.descriptor, $0, guardingSIGPIPE: false, using: writeCall)
            }
            if outcome.error == 0 {
                size += 1
                lineIsTorn = false
            }
        }
        if !lineIsTorn, case .success(let copied) = FileDescriptorWriter.copy(range, of: old, to: current, using: writeCall) {
            size += copied
            // Not yet checked in their new home either.
            recordsSinceCheck = records
            return "\(recreated), carrying over the \(records) line(s) written to it since the last check"
        }
        dropped += records
        return "\(recreated); the \(records) line(s) written to it since the last check could not be carried over and are lost"
    }
}
