#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The limits a container (or a systemd slice, or a batch scheduler) puts on the process.
///
/// A job killed for memory or throttled to half a core looks healthy from `/proc/self` alone:
/// RSS and CPU time only mean something next to the ceiling they run into. `nil` means there is
/// no limit, or it could not be read (``CgroupReader/read()`` says which in its `problem`).
struct ContainerLimits: Sendable, Equatable {
    /// CPU bandwidth as cores (`quota / period`), the tightest along the cgroup's ancestry.
    var cpuQuotaCores: Double?
    /// The memory limit in bytes, the tightest along the cgroup's ancestry.
    var memoryLimitBytes: UInt64?
    /// Memory charged to the process's own cgroup, page cache included (the kernel's figure).
    var memoryUsageBytes: UInt64?
    /// Processes the kernel's OOM killer killed in the process's own cgroup.
    var oomKills: UInt64?
}

/// Reads the CPU quota and the memory limit, usage and OOM kills of the process's cgroups,
/// v1, v2 or a hybrid of both.
///
/// It exists because the limit a job runs into is not in `/proc/self`, and finding it takes two
/// files of indirection (`/proc/self/cgroup` for the path, `/proc/self/mountinfo` for where that
/// hierarchy is mounted) that differ between hosts, containers and cgroup versions. It never
/// traps on what it reads: a figure it cannot read is `nil`, and `problem` names the first
/// failure. Resolved directories are cached (it runs on every heartbeat); a cgroup that vanished
/// (the process was moved) is resolved again.
struct CgroupReader: Sendable {
    /// Prepended to every absolute path read, so tests can point the reader at a fixture tree.
    let root: String
    // Shared by copies of the reader, which all read the same tree. Resolution happens outside
    // the lock; two readers racing to fill it both store an equally valid answer.
    private let cache = LockedValue<Resolution?>(nil)

    init(root: String = "") {
        self.root = root
    }

    /// Reads every figure once. Cheap after the first call: a few small files per cgroup level.
    func read() -> (limits: ContainerLimits, problem: String?) {
        var resolution: Resolution
        if let cached = cache.withLock({ $0 }) {
            resolution = cached
        } else {
            switch resolve() {
            case .success(let fresh):
                cache.withLock { $0 = fresh }
                resolution = fresh
            case .failure(let failure):
                // Not cached: a failure such as EMFILE may pass, and retrying is one `open`.
                return (ContainerLimits(), failure.message)
            }
        }
        var reading = readFigures(resolution)
        if reading.vanished {
            // A directory disappeared: the process was probably moved to another cgroup, which
            // `/proc/self/cgroup` tells. Unchanged, the cgroup was removed under us, and the
            // problem stands without a second read of the mount table.
            switch resolve(reusing: resolution) {
            case .success(let fresh) where fresh != resolution:
                cache.withLock { $0 = fresh }
                resolution = fresh
                reading = readFigures(resolution)
            case .success:
                break
            case .failure(let failure):
                cache.withLock { $0 = nil }
                return (ContainerLimits(), failure.message)
            }
        }
        return (reading.limits, reading.problem)
    }

    // MARK: - Resolution

    enum Version: Sendable, Equatable {
        case v1, v2
    }

    /// Where one controller's files are for this process.
    struct ControllerDirectories: Sendable, Equatable {
        var version: Version
        /// The process's own cgroup first, then each parent up to the mount point: limits are
        /// read along all of them because a parent's limit binds its children.
        var directories: [String]
    }

    struct Resolution: Sendable, Equatable {
        /// The `/proc/self/cgroup` text this came from; unchanged text means unchanged paths.
        var cgroupText: String
        var cpu: ControllerDirectories?
        var memory: ControllerDirectories?
        /// Why a controller could not be located although the process belongs to a cgroup.
        var note: String?
    }

    struct Failure: Error {
        var message: String
    }

    private func resolve(reusing previous: Resolution? = nil) -> Result<Resolution, Failure> {
        let cgroupPath = root + "/proc/self/cgroup"
        guard let cgroupText = readSmallFile(cgroupPath) else {
            return .failure(Failure(message: Self.cannotRead(cgroupPath, errno: errno)))
        }
        if let previous, previous.cgroupText == cgroupText {
            return .success(previous)
        }
        let mountInfoPath = root + "/proc/self/mountinfo"
        // Hosts with many containers have mount tables far beyond the usual 64 KiB cap.
        guard let mountInfo = readSmallFile(mountInfoPath, limit: 1 << 22) else {
            return .failure(Failure(message: Self.cannotRead(mountInfoPath, errno: errno)))
        }
        let mounts = Self.parseMountInfo(mountInfo)
        let memberships = Self.parseProcCgroup(cgroupText)
        var resolution = Resolution(cgroupText: cgroupText)
        if memberships.isEmpty {
            resolution.note = "no cgroup listed in \(cgroupPath)"
        }
        for controller: Substring in ["cpu", "memory"] {
            switch locate(controller, memberships: memberships, mounts: mounts) {
            case .success(let directories):
                if controller == "cpu" { resolution.cpu = directories } else { resolution.memory = directories }
            case .failure(let failure):
                resolution.note = resolution.note ?? failure.message
            }
        }
        return .success(resolution)
    }

    /// The v1 hierarchy when it carries the controller, else the v2 one: on a hybrid host the
    /// v2 `unified` mount exists but has no controllers, so it would read as "no limit".
    private func locate(
        _ controller: Substring,
        memberships: [CgroupMembership],
        mounts: [CgroupMount]
    ) -> Result<ControllerDirectories?, Failure> {
        if let v1 = memberships.first(where: { $0.hierarchy != 0 && $0.controllers.contains(controller) }) {
            let candidates = mounts.filter { $0.fileSystem == "cgroup" && $0.superOptions.contains(controller) }
            if let directories = Self.directories(for: v1.path, in: candidates, root: root) {
                return .success(ControllerDirectories(version: .v1, directories: directories))
            }
        }
        if let v2 = memberships.first(where: { $0.hierarchy == 0 && $0.controllers.isEmpty }) {
            let candidates = mounts.filter { $0.fileSystem == "cgroup2" }
            if let directories = Self.directories(for: v2.path, in: candidates, root: root) {
                return .success(ControllerDirectories(version: .v2, directories: directories))
            }
            return .failure(Failure(message: "no cgroup2 mount in /proc/self/mountinfo covers \(v2.path)"))
        }
        if let v1 = memberships.first(where: { $0.hierarchy != 0 && $0.controllers.contains(controller) }) {
            return .failure(Failure(message: "no cgroup mount in /proc/self/mountinfo covers \(controller):\(v1.path)"))
        }
        // The kernel has no such controller: there is no limit to find.
        return .success(nil)
    }

    /// The cgroup's directory and its parents up to the mount point, under the mount whose root
    /// is the longest prefix of `path` (a container sees its own cgroup as the mount's root).
    static func directories(for path: String, in mounts: [CgroupMount], root: String) -> [String]? {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        var best: (mount: CgroupMount, depth: Int)?
        for mount in mounts {
            let mountComponents = mount.root.split(separator: "/", omittingEmptySubsequences: true)
            guard mountComponents.count <= components.count,
                zip(mountComponents, components).allSatisfy({ $0 == $1 })
            else { continue }
            if best.map({ mountComponents.count > $0.depth }) ?? true {
                best = (mount, mountComponents.count)
            }
        }
        guard let best else { return nil }
        var base = root + best.mount.mountPoint
        while base.count > 1, base.hasSuffix("/") { base.removeLast() }
        let relative = components.dropFirst(best.depth)
        var directories: [String] = []
        for depth in stride(from: relative.count, through: 0, by: -1) {
            let tail = relative.prefix(depth).joined(separator: "/")
            directories.append(tail.isEmpty ? base : base + "/" + tail)
        }
        return directories
    }

    // MARK: - Parsing

    /// One line of `/proc/self/cgroup`: `4:cpu,cpuacct:/job`, or `0::/job` for v2.
    struct CgroupMembership: Sendable, Equatable {
        var hierarchy: Int
        var controllers: [Substring]
        var path: String
    }

    static func parseProcCgroup(_ text: String) -> [CgroupMembership] {
        text.split(separator: "\n").compactMap { line in
            // The path is last and may itself hold colons.
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, let hierarchy = Int(fields[0]), fields[2].hasPrefix("/") else { return nil }
            // Named hierarchies (`name=systemd`) are kept, with no controllers, so that a file
            // listing only them still counts as understood.
            let controllers = fields[1].split(separator: ",").filter { !$0.hasPrefix("name=") }
            return CgroupMembership(hierarchy: hierarchy, controllers: controllers, path: String(fields[2]))
        }
    }

    /// A cgroup or cgroup2 mount from `/proc/self/mountinfo`.
    struct CgroupMount: Sendable, Equatable {
        /// The cgroup shown at the mount point, relative to the hierarchy's root.
        var root: String
        var mountPoint: String
        var fileSystem: String
        var superOptions: [Substring]
    }

    /// `36 25 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory`:
    /// a variable number of optional fields come before the lone `-`.
    static func parseMountInfo(_ text: String) -> [CgroupMount] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count >= dash + 4 else { return nil }
            let fileSystem = fields[dash + 1]
            guard fileSystem == "cgroup" || fileSystem == "cgroup2" else { return nil }
            return CgroupMount(
                root: unescapeOctal(fields[3]),
                mountPoint: unescapeOctal(fields[4]),
                fileSystem: String(fileSystem),
                superOptions: fields[dash + 3].split(separator: ",")
            )
        }
    }

    /// The kernel writes space, tab, newline and backslash in mountinfo paths as `\ooo`.
    static func unescapeOctal(_ field: Substring) -> String {
        let bytes = Array(field.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\"), index + 3 < bytes.count,
                let value = octalByte(bytes[(index + 1)..<(index + 4)])
            {
                out.append(value)
                index += 4
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func octalByte(_ digits: ArraySlice<UInt8>) -> UInt8? {
        var value: UInt16 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + UInt16(digit - UInt8(ascii: "0"))
        }
        return value <= 0xFF ? UInt8(value) : nil
    }

    // MARK: - Reading the figures

    /// What one pass over the files found, and the first thing that went wrong.
    private struct Reading {
        var limits = ContainerLimits()
        var problem: String?
        /// A cgroup directory is gone, so the cached resolution is stale.
        var vanished = false

        mutating func report(_ message: String) {
            if problem == nil { problem = message }
        }
    }

    private enum FileOutcome {
        case text(Substring)
        /// v2 only: the controller is not enabled at this level (or it is the root cgroup).
        case absent
        case failed
    }

    private func readFigures(_ resolution: Resolution) -> Reading {
        var reading = Reading()
        if let note = resolution.note { reading.report(note) }
        if let cpu = resolution.cpu {
            reading.limits.cpuQuotaCores = tightest(cpu, &reading) { version, directory, reading in
                cpuQuota(version, in: directory, &reading)
            }
        }
        guard let memory = resolution.memory, let own = memory.directories.first else { return reading }
        let v1 = memory.version == .v1
        reading.limits.memoryLimitBytes = tightest(memory, &reading) { version, directory, reading in
            switch readFile(directory, v1 ? "memory.limit_in_bytes" : "memory.max", version, &reading) {
            case .text(let text):
                if text == "max" || text == "-1" { return .unlimited }
                guard let bytes = UInt64(text) else {
                    reading.report(Self.malformed(directory, v1 ? "memory.limit_in_bytes" : "memory.max", text))
                    return .failed
                }
                // v1 reports "no limit" as the largest page-aligned Int64; nothing real is near 2^62.
                return bytes >= 1 << 62 ? .unlimited : .limit(bytes)
            case .absent: return .unlimited
            case .failed: return .failed
            }
        }
        if case .text(let text) = readFile(own, v1 ? "memory.usage_in_bytes" : "memory.current", memory.version, &reading) {
            reading.limits.memoryUsageBytes = UInt64(text)
            if reading.limits.memoryUsageBytes == nil {
                reading.report(Self.malformed(own, v1 ? "memory.usage_in_bytes" : "memory.current", text))
            }
        }
        let eventsFile = v1 ? "memory.oom_control" : "memory.events"
        if case .text(let text) = readFile(own, eventsFile, memory.version, &reading) {
            // Kernels before 4.13 have no `oom_kill` line: unknown, but nothing is wrong.
            for line in text.split(separator: "\n") where line.hasPrefix("oom_kill ") {
                reading.limits.oomKills = UInt64(line.dropFirst("oom_kill ".count).trimmingSpaces)
                if reading.limits.oomKills == nil { reading.report(Self.malformed(own, eventsFile, line)) }
            }
        }
        return reading
    }

    private enum LevelLimit<Value: Comparable> {
        case unlimited
        case limit(Value)
        case failed
    }

    /// The smallest limit along the ancestry; unknown if any level could not be read, since the
    /// unread one may be the binding one.
    private func tightest<Value: Comparable>(
        _ controller: ControllerDirectories,
        _ reading: inout Reading,
        level: (Version, String, inout Reading) -> LevelLimit<Value>
    ) -> Value? {
        var tightest: Value?
        var failed = false
        for directory in controller.directories {
            switch level(controller.version, directory, &reading) {
            case .unlimited: break
            case .limit(let value): tightest = min(tightest ?? value, value)
            case .failed: failed = true
            }
            // No point reading the parents of a cgroup that is gone; the caller re-resolves.
            if reading.vanished { break }
        }
        return failed ? nil : tightest
    }

    private func cpuQuota(_ version: Version, in directory: String, _ reading: inout Reading) -> LevelLimit<Double> {
        switch version {
        case .v1:
            guard case .text(let quotaText) = readFile(directory, "cpu.cfs_quota_us", version, &reading) else {
                return .failed
            }
            if quotaText == "-1" { return .unlimited }
            guard let quota = Int64(quotaText), quota > 0 else {
                reading.report(Self.malformed(directory, "cpu.cfs_quota_us", quotaText))
                return .failed
            }
            guard case .text(let periodText) = readFile(directory, "cpu.cfs_period_us", version, &reading) else {
                return .failed
            }
            guard let period = Int64(periodText), period > 0 else {
                reading.report(Self.malformed(directory, "cpu.cfs_period_us", periodText))
                return .failed
            }
            return .limit(Double(quota) / Double(period))
        case .v2:
            switch readFile(directory, "cpu.max", version, &reading) {
            case .absent: return .unlimited
            case .failed: return .failed
            case .text(let text):
                let fields = text.split(separator: " ")
                if fields.first == "max" { return .unlimited }
                guard fields.count == 2, let quota = Int64(fields[0]), let period = Int64(fields[1]), quota > 0, period > 0
                else {
                    reading.report(Self.malformed(directory, "cpu.max", text))
                    return .failed
                }
                return .limit(Double(quota) / Double(period))
            }
        }
    }

    private func readFile(_ directory: String, _ name: String, _ version: Version, _ reading: inout Reading) -> FileOutcome {
        let path = directory + "/" + name
        guard let text = readSmallFile(path) else {
            // Taken right away: `readSmallFile` returns straight after the failed `open` or `read`
            // (only `close` and `free`, which keep errno, run in between).
            let error = errno
            if error == ENOENT {
                var info = stat()
                if stat(directory, &info) != 0 {
                    reading.vanished = true
                } else if version == .v2 {
                    return .absent
                }
            }
            reading.report(Self.cannotRead(path, errno: error))
            return .failed
        }
        let trimmed = text.trimmingSpaces
        if trimmed.isEmpty {
            reading.report("\(path) is empty")
            return .failed
        }
        return .text(trimmed)
    }

    static func cannotRead(_ path: String, errno error: Int32) -> String {
        "cannot read \(path): \(String(cString: strerror(error)))"
    }

    static func malformed(_ directory: String, _ name: String, _ text: some StringProtocol) -> String {
        "unexpected content in \(directory)/\(name): \"\(text.prefix(40))\""
    }
}

extension StringProtocol {
    /// Without the surrounding spaces, tabs and newlines that kernel files end with.
    fileprivate var trimmingSpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" }
        let text = self[...]
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) })
        else { return Substring() }
        return Substring(text[first...last])
    }
}
