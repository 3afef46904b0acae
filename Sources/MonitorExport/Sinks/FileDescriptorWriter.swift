#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An `errno` value with its `strerror` text, for warnings and error messages.
struct SystemError: Error, CustomStringConvertible, Equatable {
    var code: Int32

    var description: String { "\(String(cString: strerror(code))) (errno \(code))" }

    /// The current thread's `errno`, read before anything else can overwrite it.
    static var current: SystemError { SystemError(code: errno) }
}

/// A file descriptor the sink opened, with what it learnt about the file at open time.
///
/// The device and inode are remembered because they are the only reliable way to tell, later,
/// whether the path still names this file (logrotate moved it) and whether the descriptor
/// number still refers to it (someone else closed and reused it).
struct OpenedFile {
    var descriptor: Int32
    var device: UInt64
    var inode: UInt64
    /// Only regular files have a size worth tracking and may be rotated.
    var isRegular: Bool
    /// Pipes and sockets raise SIGPIPE on a write once the reader is gone.
    var raisesSIGPIPE: Bool
    /// The size at open time, so appending to an existing file rotates at the right moment.
    var size: Int
    /// The file already held bytes after its last newline: a record torn by an earlier writer
    /// (a crash mid-write). The next record must start on a fresh line.
    var endsInsideALine: Bool = false
    /// Opened for reading too (a regular file the process may read): what was written to it can
    /// be read back, to carry records over from a deleted file to its replacement.
    var isReadable: Bool = false
}

/// What `fstat` says about an open file now.
struct FileStatus {
    /// Names linking to the file; 0 once it is deleted.
    var links: UInt64
    var size: Int
}

/// What one record's write came to.
struct WriteOutcome {
    /// Bytes that reached the file, even when the record as a whole failed.
    var written: Int
    /// Zero when the whole record was written.
    var error: Int32
}

/// The system calls every sink shares: how to open, write one record, and tell files apart.
enum FileDescriptorWriter {
    /// One `write(2)`: bytes written, or -1 and the errno. The file sinks take it as a
    /// parameter so a test can make the kernel accept only part of a record, as a full disk does.
    typealias WriteCall = @Sendable (_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> (result: Int, error: Int32)

    /// The real `write(2)`.
    static let systemWrite: WriteCall = { descriptor, bytes, count in
        let result = write(descriptor, bytes, count)
        return (result, result < 0 ? errno : 0)
    }

    /// Opens `path` for appending, creating it with mode 0644 (less the umask).
    ///
    /// `O_APPEND` makes every `write` land at the current end even when another process (or a
    /// `logrotate copytruncate`) changes the file; `O_CLOEXEC` keeps the descriptor out of child
    /// processes, which would otherwise hold a rotated file open; `O_NOCTTY` stops a terminal
    /// path from becoming the controlling terminal. `O_NONBLOCK` only guards the open itself,
    /// which on a FIFO without a reader would block the host forever; it is cleared afterwards
    /// so a full pipe applies back-pressure instead of dropping records.
    static func openForAppending(_ path: String) -> Result<OpenedFile, SystemError> {
        var descriptor: Int32
        switch openAboveStandardStreams(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) {
        case .success(let opened): descriptor = opened
        case .failure(let error): return .failure(error)
        }
        let flags = fcntl(descriptor, F_GETFL)
        if flags >= 0 { _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let error = SystemError.current
            close(descriptor)
            return .failure(error)
        }
        let type = info.st_mode & S_IFMT
        var isReadable = false
        if type == S_IFREG {
            // A regular file is reopened for reading and writing when the process may read it
            // (never a FIFO: its own reader end would keep it from ever reporting a lost
            // reader). Opened by path, so it is kept only if the path still names the same file.
            if case .success(let both) = openAboveStandardStreams(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY) {
                var again = stat()
                if fstat(both, &again) == 0, again.st_dev == info.st_dev, again.st_ino == info.st_ino {
                    close(descriptor)
                    descriptor = both
                    info = again
                    isReadable = true
                } else {
                    close(both)
                }
            }
        }
        var lastByte: UInt8 = 0
        let endsInsideALine = isReadable && info.st_size > 0
            && pread(descriptor, &lastByte, 1, info.st_size - 1) == 1 && lastByte != UInt8(ascii: "\n")
        return .success(OpenedFile(
            descriptor: descriptor,
            device: UInt64(info.st_dev),
            inode: UInt64(info.st_ino),
            isRegular: type == S_IFREG,
            raisesSIGPIPE: type == S_IFIFO || type == S_IFSOCK,
            size: type == S_IFREG ? Int(info.st_size) : 0,
            endsInsideALine: endsInsideALine,
            isReadable: isReadable
        ))
    }

    /// `open(path, flags, 0644)`, retried on EINTR, with the descriptor moved above 2: with
    /// stdin, stdout or stderr closed, open() hands out 0, 1 or 2, and whatever later writes
    /// "to stdout" would land in this file.
    private static func openAboveStandardStreams(_ path: String, _ flags: Int32) -> Result<Int32, SystemError> {
        var descriptor: Int32
        repeat {
            descriptor = open(path, flags, 0o644)
        } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { return .failure(.current) }
        if descriptor <= 2 {
            let moved = fcntl(descriptor, F_DUPFD_CLOEXEC, 3)
            let error = SystemError.current
            close(descriptor)
            guard moved >= 0 else { return .failure(error) }
            descriptor = moved
        }
        return .success(descriptor)
    }

    /// Writes one record with a single `write(2)`.
    ///
    /// A record is one call so that concurrent writers (threads, or other processes appending
    /// to the same file) never interleave inside a line. Only when the kernel accepts part of it
    /// (a signal, a nearly full pipe) do follow-up writes finish that same record.
    static func writeRecord(
        _ descriptor: Int32, _ record: UnsafeRawBufferPointer, guardingSIGPIPE: Bool, using call: WriteCall = systemWrite
    ) -> WriteOutcome {
        guard guardingSIGPIPE else { return writeAll(descriptor, record, using: call) }
        return withSIGPIPESuppressed { writeAll(descriptor, record, using: call) }
    }

    private static func writeAll(_ descriptor: Int32, _ record: UnsafeRawBufferPointer, using call: WriteCall) -> WriteOutcome {
        guard let base = record.baseAddress else { return WriteOutcome(written: 0, error: 0) }
        var offset = 0
        while offset < record.count {
            let (result, error) = call(descriptor, base + offset, record.count - offset)
            if result > 0 {
                offset += result
            } else if result < 0 && error == EINTR {
                continue
            } else {
                // A zero return for a non-empty write makes no progress; retrying would spin.
                return WriteOutcome(written: offset, error: result == 0 ? EIO : error)
            }
        }
        return WriteOutcome(written: offset, error: 0)
    }

    /// Takes back the `written` bytes a failed record left at the end of a regular file, so the
    /// file ends on a record boundary again. Declines (returns false) when the file does not end
    /// where that write stopped: another process appended after it, and cutting would take its
    /// bytes too.
    static func rollBack(_ file: OpenedFile, written: Int) -> Bool {
        guard file.isRegular, written > 0 else { return false }
        let position = lseek(file.descriptor, 0, SEEK_CUR)
        var info = stat()
        guard position >= off_t(written), fstat(file.descriptor, &info) == 0, info.st_size == position else { return false }
        var result: Int32
        repeat {
            result = ftruncate(file.descriptor, position - off_t(written))
        } while result != 0 && errno == EINTR
        return result == 0
    }

    /// Copies bytes `range` of `source` (which must be readable) to the end of `target`, in
    /// 64 KiB pieces, each written whole. On a failure the bytes already copied are rolled back
    /// so `target` still ends on a record boundary; returns the bytes copied, or the error.
    static func copy(_ range: Range<Int>, of source: OpenedFile, to target: OpenedFile, using call: WriteCall) -> Result<Int, SystemError> {
        guard source.isReadable else { return .failure(SystemError(code: EBADF)) }
        let chunk = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 1)
        defer { buffer.deallocate() }
        var offset = range.lowerBound
        while offset < range.upperBound {
            let count = pread(source.descriptor, buffer.baseAddress, min(chunk, range.upperBound - offset), off_t(offset))
            if count < 0 && errno == EINTR { continue }
            let failure: SystemError? = count < 0 ? .current : count == 0 ? SystemError(code: EIO) : nil
            if failure == nil {
                let outcome = writeRecord(target.descriptor, UnsafeRawBufferPointer(rebasing: buffer[..<count]), guardingSIGPIPE: false, using: call)
                if outcome.error == 0 {
                    offset += count
                    continue
                }
                _ = rollBack(target, written: offset - range.lowerBound + outcome.written)
                return .failure(SystemError(code: outcome.error))
            }
            _ = rollBack(target, written: offset - range.lowerBound)
            return .failure(failure ?? SystemError(code: EIO))
        }
        return .success(range.count)
    }

    /// Runs `body` with SIGPIPE blocked for this thread only, and discards the SIGPIPE that a
    /// write to a pipe without a reader raises, so the write fails with EPIPE instead of killing
    /// the process. Nothing process-wide changes: the host's own SIGPIPE disposition and the
    /// other threads' masks stay as they were. A SIGPIPE that was already pending before the
    /// write is left alone for the host.
    private static func withSIGPIPESuppressed(_ body: () -> WriteOutcome) -> WriteOutcome {
        var pipeOnly = sigset_t()
        sigemptyset(&pipeOnly)
        sigaddset(&pipeOnly, SIGPIPE)
        var pending = sigset_t()
        sigemptyset(&pending)
        sigpending(&pending)
        let wasPending = sigismember(&pending, SIGPIPE) == 1
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeOnly, &previous)
        let outcome = body()
        if outcome.error == EPIPE && !wasPending {
            var immediately = timespec(tv_sec: 0, tv_nsec: 0)
            while sigtimedwait(&pipeOnly, nil, &immediately) < 0 && errno == EINTR {}
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        return outcome
    }

    /// Closes a descriptor the sink owns; close's error is ignored because on Linux the
    /// descriptor is released even when it reports one, and retrying could close another's.
    static func closeDescriptor(_ descriptor: Int32) {
        _ = close(descriptor)
    }

    /// The device and inode `path` names now (following symlinks), or nil when it names nothing.
    static func identity(ofPath path: String) -> (device: UInt64, inode: UInt64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// Whether `descriptor` still refers to the file that was opened, so it is ours to close.
    static func stillRefers(_ file: OpenedFile) -> Bool {
        var info = stat()
        guard fstat(file.descriptor, &info) == 0 else { return false }
        return UInt64(info.st_dev) == file.device && UInt64(info.st_ino) == file.inode
    }

    /// The open file's link count and size now, in one `fstat`; `nil` when the descriptor no
    /// longer refers to the file that was opened (someone closed it and the number was reused).
    /// A link count of 0 means deleted: what is written to it is gone once it is closed (a
    /// moved file keeps a link, and its records).
    static func status(of file: OpenedFile) -> FileStatus? {
        var info = stat()
        guard fstat(file.descriptor, &info) == 0, UInt64(info.st_dev) == file.device, UInt64(info.st_ino) == file.inode
        else { return nil }
        return FileStatus(links: UInt64(info.st_nlink), size: Int(info.st_size))
    }

    /// What `path` itself is, without following a final symlink.
    enum PathKind: Equatable {
        case missing
        case regular(device: UInt64, inode: UInt64)
        case other
        case unreadable(SystemError)
    }

    static func kind(ofPath path: String) -> PathKind {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            return errno == ENOENT ? .missing : .unreadable(.current)
        }
        guard info.st_mode & S_IFMT == S_IFREG else { return .other }
        return .regular(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Refuses a path no file can have, before the system is asked: an empty one (made
    /// absolute it would name the working directory, and the error would say "Is a directory")
    /// and one with a NUL byte (the system would see only the part before it, another file).
    static func checkPath(_ path: String, for sink: String) throws(ExportError) {
        if path.isEmpty {
            throw ExportError(code: .invalidConfiguration, message: "\(sink): the path is empty (\"\"); give a file path such as heartbeat.jsonl")
        }
        if let nul = path.utf8.firstIndex(of: 0) {
            let offset = path.utf8.distance(from: path.utf8.startIndex, to: nul)
            throw ExportError(
                code: .invalidConfiguration,
                message: "\(sink): the path \(MessageValue.quoted(path)) has a NUL byte at byte \(offset); a file name cannot hold one"
            )
        }
    }

    /// `path` made absolute against the working directory at start, so a host that later calls
    /// `chdir` does not make the sink reopen or rotate somewhere else.
    static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        guard let cwd = getcwd(nil, 0) else { return path }
        defer { free(cwd) }
        let directory = String(cString: cwd)
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }
}

/// A reusable buffer holding one record: the line's UTF-8 and its newline.
///
/// Reused across writes (it lives inside the sink's lock) so the write path copies bytes but
/// allocates nothing once it has grown to the longest line.
final class RecordBuffer {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
        storage = .allocate(byteCount: capacity, alignment: 1)
    }

    deinit { storage.deallocate() }

    /// The record for `text`; valid until the next call.
    ///
    /// `afterTornLine` puts a newline first: when a write failed halfway (the disk filled up
    /// mid-record), the fragment it left has no newline, and without one the next record
    /// would be glued to it and be unreadable too.
    func record(for text: String, afterTornLine: Bool = false) -> UnsafeRawBufferPointer {
        let start = afterTornLine ? 1 : 0
        let count = text.utf8.count
        let total = start + count + 1
        if total > capacity {
            storage.deallocate()
            capacity = max(total, capacity * 2)
            storage = .allocate(byteCount: capacity, alignment: 1)
        }
        if afterTornLine { storage.storeBytes(of: UInt8(ascii: "\n"), as: UInt8.self) }
        let target = storage + start
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { source in
            if let base = source.baseAddress { target.copyMemory(from: base, byteCount: source.count) }
        }
        if copied == nil {
            var offset = 0
            for byte in text.utf8 {
                target.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
                offset += 1
            }
        }
        target.storeBytes(of: UInt8(ascii: "\n"), toByteOffset: count, as: UInt8.self)
        return UnsafeRawBufferPointer(start: storage, count: total)
    }
}
