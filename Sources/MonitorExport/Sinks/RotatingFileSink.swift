#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends each line to a file and rotates it by size, keeping a fixed number of backups.
///
/// Backups are `PATH.1` (the newest) through `PATH.maxFiles`. The sink rotates *before* a
/// write that would take the file past `maxBytes`, so a line never splits across two files and
/// no file grows past `maxBytes`, except a single line longer than `maxBytes`, which goes on
/// its own into a fresh file.
///
/// What it gets right, because each is a real bug in a popular logger:
/// - Retention is enforced at start-up too: `PATH.(maxFiles+1)` and beyond, left by a run with
///   a larger `maxFiles`, are deleted.
/// - An empty file, a FIFO, a character device (`/dev/stderr`, `/dev/null`) or a symlink at
///   the path is never rotated.
/// - Nothing is deleted before every rename of a rotation succeeded; a rename that fails undoes
///   the ones before it, so the files are as they were, the sink keeps writing to the current
///   file and warns. It tries again at most once a second.
/// - A file moved away or deleted by another tool (logrotate, `rm`) is noticed within a second
///   and the path is reopened, with the lines written into a deleted file since carried over;
///   the sink never renames a file it did not open.
/// - A record a full disk cuts short is rolled back, as in ``FileSink``: whole records only.
/// - Faults are handled as in ``FileSink``: the line is dropped and counted, one rate-limited
///   warning is emitted, and writing resumes by itself.
///
/// The write path does one `write(2)` per line and no `stat`: the sink tracks the file's size
/// itself and checks the path against its descriptor at most once a second.
///
/// ```swift
/// let sink = try RotatingFileSink(path: "/var/log/job/heartbeat.jsonl",
///                                 maxBytes: 10 << 20, maxFiles: 5)
/// let exporter = HeartbeatExporter(format: JSONLinesFormat(), sink: sink)
/// ```
public final class RotatingFileSink: HeartbeatSink {
    /// The path as given: the current file; backups are this path with `.1` … appended.
    package let path: String
    /// The size a file may reach before the next line goes to a fresh one.
    package let maxBytes: Int
    /// How many backups to keep besides the current file: at most `maxFiles + 1` files in all.
    package let maxFiles: Int
    let core: FileWriterCore

    /// The allowed range of ``maxBytes``: any positive size.
    package static let maxBytesRange: ClosedRange<Int> = 1 ... Int.max
    /// The allowed range of ``maxFiles``; every rotation looks at each backup slot once.
    package static let maxFilesRange: ClosedRange<Int> = 1 ... 1000

    /// Opens `path` for appending and deletes backups beyond `maxFiles`.
    ///
    /// Throws ``ExportError`` with `.invalidConfiguration`, naming the field, when `maxBytes` or
    /// `maxFiles` is out of range, and `.cannotOpen`, naming the path and the reason, when the
    /// file cannot be opened.
    public convenience init(
        path: String, maxBytes: Int, maxFiles: Int, diagnostics: SinkDiagnostics = .standard
    ) throws(ExportError) {
        try self.init(path: path, maxBytes: maxBytes, maxFiles: maxFiles, diagnostics: diagnostics) { from, to in
            rename(from, to) == 0 ? 0 : errno
        }
    }

    /// As the public initializer, with `rename(2)` replaced, so tests can fail a chosen step,
    /// and `write(2)`, so they can make the kernel take only part of a record.
    package init(
        path: String, maxBytes: Int, maxFiles: Int, diagnostics: SinkDiagnostics = .standard,
        rename: @escaping @Sendable (String, String) -> Int32,
        write: @escaping @Sendable (Int32, UnsafeRawPointer, Int) -> (result: Int, error: Int32) = FileDescriptorWriter.systemWrite
    ) throws(ExportError) {
        guard Self.maxBytesRange.contains(maxBytes) else {
            throw ExportError(code: .invalidConfiguration, message: "maxBytes must be at least 1 (got \(maxBytes))")
        }
        guard Self.maxFilesRange.contains(maxFiles) else {
            throw ExportError(
                code: .invalidConfiguration,
                message: "maxFiles must be between \(Self.maxFilesRange.lowerBound) and "
                    + "\(Self.maxFilesRange.upperBound) (got \(maxFiles))"
            )
        }
        self.path = path
        self.maxBytes = maxBytes
        self.maxFiles = maxFiles
        core = try FileWriterCore(
            path: path, kind: "RotatingFileSink",
            rotation: RotationSettings(maxBytes: maxBytes, maxFiles: maxFiles, rename: rename),
            diagnostics: diagnostics, write: write
        )
        core.enforceRetention()
    }

    /// Appends `line.text` and a newline with one `write`, rotating first when the line would
    /// not fit; a failure drops the line and counts it.
    public func write(_ line: RenderedLine) { core.write(line) }

    /// Closes the file. Later writes are ignored and counted in ``droppedRecords``; closing
    /// again does nothing.
    public func close() { core.close() }

    /// Lines that were not written: faults, and writes after ``close()``.
    public var droppedRecords: UInt64 { core.droppedRecords }
}

extension FileWriterCore {
    func backupPath(_ index: Int) -> String { "\(resolvedPath).\(index)" }

    /// Where the oldest backup waits during a rotation, so it is deleted only once every
    /// rename succeeded and can be put back if one failed.
    var expiredPath: String { "\(resolvedPath).expired" }

    /// Renames the current file to `PATH.1`, shifting older backups up, then opens a fresh file.
    /// Returns a warning when the rotation failed; the current file then stays in use.
    func rotate(_ current: OpenedFile, policy: RotationSettings, now: ContinuousClock.Instant) -> String? {
        switch FileDescriptorWriter.kind(ofPath: resolvedPath) {
        case .regular(let device, let inode) where device == current.device && inode == current.inode:
            break
        case .regular, .missing:
            // The path names another file or none: ours was moved away. Never rename a file we
            // did not open; the reopened file is measured against maxBytes at the next write.
            return reopen()
        case .other:
            // A symlink, for one: renaming it would move the link and leave the target growing.
            nextRotationAttempt = now + Self.pathCheckInterval
            return "\(prefix): not rotating: the path is not a regular file"
        case .unreadable(let error):
            nextRotationAttempt = now + Self.pathCheckInterval
            return "\(prefix): not rotating: cannot inspect the path: \(error)"
        }

        var present = [Bool](repeating: false, count: policy.maxFiles + 1)
        for index in 1 ... policy.maxFiles {
            switch FileDescriptorWriter.kind(ofPath: backupPath(index)) {
            case .missing: present[index] = false
            case .regular: present[index] = true
            case .other:
                nextRotationAttempt = now + Self.pathCheckInterval
                return "\(prefix): not rotating: \(shownPath).\(index) is not a regular file; writing on to \(shownPath)"
            case .unreadable(let error):
                nextRotationAttempt = now + Self.pathCheckInterval
                return "\(prefix): not rotating: cannot inspect \(shownPath).\(index): \(error); writing on to \(shownPath)"
            }
        }

        var done: [(from: String, to: String)] = []
        var failure: (from: String, to: String, error: Int32)?
        func step(_ from: String, _ to: String) -> Bool {
            let error = policy.rename(from, to)
            guard error == 0 else {
                failure = (from, to, error)
                return false
            }
            done.append((from, to))
            return true
        }
        var succeeded = !present[policy.maxFiles] || step(backupPath(policy.maxFiles), expiredPath)
        var index = policy.maxFiles - 1
        while succeeded && index >= 1 {
            if present[index] { succeeded = step(backupPath(index), backupPath(index + 1)) }
            index -= 1
        }
        if succeeded { succeeded = step(resolvedPath, backupPath(1)) }

        guard succeeded, failure == nil else {
            for move in done.reversed() { _ = policy.rename(move.to, move.from) }
            nextRotationAttempt = now + Self.pathCheckInterval
            let reason = failure.map { "rename \($0.from) to \($0.to) failed: \(SystemError(code: $0.error))" } ?? "failed"
            return "\(prefix): cannot rotate: \(reason); renames undone, writing on to \(shownPath)"
        }
        nextRotationAttempt = nil
        var warning: String?
        if present[policy.maxFiles], unlink(expiredPath) != 0 {
            warning = "\(prefix): cannot delete the expired backup \(MessageValue.excerpt(expiredPath)): \(SystemError.current)"
        }
        switch FileDescriptorWriter.openForAppending(resolvedPath) {
        case .success(let opened):
            FileDescriptorWriter.closeDescriptor(current.descriptor)
            adopt(opened)
            return warning
        case .failure(let error):
            // Keep the renamed file open: the line goes to PATH.1 rather than nowhere, and the
            // next write tries the path again.
            checkPathNow = true
            return "\(prefix): rotated, but cannot open a new file: \(error); writing to \(shownPath).1 meanwhile"
        }
    }

    /// Deletes `PATH.(maxFiles+1)` and beyond, and an `.expired` backup a crash left behind.
    func enforceRetention() {
        guard let rotation else { return }
        let directory: String
        let base: String
        if let slash = resolvedPath.lastIndex(of: "/") {
            directory = slash == resolvedPath.startIndex ? "/" : String(resolvedPath[..<slash])
            base = String(resolvedPath[resolvedPath.index(after: slash)...])
        } else {
            // Only when the working directory could not be read at start-up.
            directory = "."
            base = resolvedPath
        }
        guard let stream = opendir(directory) else {
            limiter.warn("\(prefix): cannot list \(MessageValue.excerpt(directory)) to enforce retention: \(SystemError.current)")
            return
        }
        var stale: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            // Compared as bytes: names on disk are bytes, and Character comparison would fold
            // canonically equivalent spellings together.
            guard name.utf8.count > base.utf8.count + 1, name.utf8.starts(with: (base + ".").utf8) else { continue }
            let suffix = String(decoding: name.utf8.dropFirst(base.utf8.count + 1), as: UTF8.self)
            let isOurNumber = suffix.first != "0" && suffix.allSatisfy { $0.isASCII && $0.isNumber }
            // A number too large for Int is certainly beyond maxFiles.
            if suffix == "expired" || (isOurNumber && (Int(suffix).map { $0 > rotation.maxFiles } ?? true)) {
                stale.append(name)
            }
        }
        closedir(stream)
        for name in stale {
            let stalePath = directory == "/" ? "/" + name : directory + "/" + name
            guard case .regular = FileDescriptorWriter.kind(ofPath: stalePath) else {
                limiter.warn("\(prefix): not deleting \(MessageValue.excerpt(stalePath)) beyond retention: not a regular file")
                continue
            }
            if unlink(stalePath) != 0 {
                limiter.warn("\(prefix): cannot delete \(MessageValue.excerpt(stalePath)) beyond retention: \(SystemError.current)")
            }
        }
    }
}
