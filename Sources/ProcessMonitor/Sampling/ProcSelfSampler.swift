#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads Linux's `/proc/self/stat`, `status`, `io` and `fd`, the process's cgroup limits, and
/// its descriptor limit.
///
/// CPU time is `utime + stime` from `stat` divided by `sysconf(_SC_CLK_TCK)` (the seed
/// hard-coded 100 Hz); RSS, peak RSS and threads come from `status`, read and write bytes from
/// `io`, open descriptors from `fd` and their soft limit from `RLIMIT_NOFILE`. The cgroup (v1 or
/// v2, found through `/proc/self/cgroup` and `/proc/self/mountinfo`, the tightest limit along its
/// path) gives the CPU quota, the memory limit and usage, and OOM kills. A file that is missing or
/// unreadable (another OS, a hardened container, a cgroup that vanished) leaves its figures
/// unknown rather than failing; the first cgroup problem is reported once on stderr. Point it at a directory of fixture files in tests.
///
/// ```swift
/// let live = ProcSelfSampler()
/// let fixture = ProcSelfSampler(directory: "Tests/Fixtures/proc", clockTicksPerSecond: 100)
/// ```
public struct ProcSelfSampler: ProcessSampler {
    /// The directory holding `stat`, `status` and `io`.
    public let directory: String
    /// Clock ticks per second of `stat`'s times.
    public let clockTicksPerSecond: Int
    /// Cores in the affinity mask, or `nil` to ask the OS at each sample.
    public let affinityCoresOverride: Int?
    /// The process's cgroup limits, when this samples the real process.
    private let cgroups: CgroupReader?
    /// Where open descriptors are counted.
    private let descriptorDirectory: String
    /// The first cgroup problem is reported once; later ones leave figures unknown quietly.
    private let problemReported = LockedValue(false)

    /// Creates a sampler for `directory` (default `/proc/self`).
    public init(directory: String = "/proc/self", clockTicksPerSecond: Int? = nil, affinityCores: Int? = nil) {
        // Container limits and descriptors belong to the real process: a fixture directory
        // gets neither (tests of those use the internal initializer).
        let isSelf = directory == "/proc/self"
        self.init(directory: directory, clockTicksPerSecond: clockTicksPerSecond, affinityCores: affinityCores,
                  cgroupRoot: isSelf ? "" : nil, descriptorDirectory: directory + "/fd")
    }

    /// A sampler reading cgroups under `cgroupRoot` (`nil`: none) and descriptors in
    /// `descriptorDirectory`, for fixture trees.
    init(directory: String, clockTicksPerSecond: Int?, affinityCores: Int?, cgroupRoot: String?, descriptorDirectory: String) {
        self.directory = directory
        self.clockTicksPerSecond = clockTicksPerSecond ?? Self.systemClockTicksPerSecond
        self.affinityCoresOverride = affinityCores
        self.cgroups = cgroupRoot.map { CgroupReader(root: $0) }
        self.descriptorDirectory = descriptorDirectory
    }

    public func sample() -> ProcessSample {
        var resources = ResourceUsage()
        var allowedCores: Int?
        if let status = readSmallFile(directory + "/status") {
            Self.parseStatus(status, into: &resources)
            allowedCores = Self.parseAllowedCores(status)
        }
        if let io = readSmallFile(directory + "/io") {
            Self.parseIO(io, into: &resources)
        }
        let cpuTime = readSmallFile(directory + "/stat").flatMap { Self.parseCPUTicks($0) }.flatMap {
            ticks -> Duration? in
            guard clockTicksPerSecond > 0 else { return nil }
            let perTick = 1_000_000_000 / UInt64(clockTicksPerSecond)
            let (nanos, overflow) = ticks.multipliedReportingOverflow(by: perTick)
            return overflow ? nil : .nanoseconds(Int64(clamping: nanos))
        }
        let descriptors = FileDescriptorUsage.sample(procFDDirectory: descriptorDirectory)
        resources.openFileDescriptors = descriptors.open
        resources.fileDescriptorLimit = descriptors.softLimit
        var quota: Double?
        if let cgroups {
            let (limits, problem) = cgroups.read()
            resources.memoryLimitBytes = limits.memoryLimitBytes
            resources.memoryUsageBytes = limits.memoryUsageBytes
            resources.oomKills = limits.oomKills
            quota = limits.cpuQuotaCores
            if let problem, problemReported.withLock({ reported in defer { reported = true }; return !reported }) {
                reportToStandardError(
                    "[process-monitor] container limits partly unknown: \(problem); the affected figures read as unknown "
                        + "(reported once)\n"
                )
            }
        }
        return ProcessSample(
            resources: resources,
            cpuTime: cpuTime,
            cpuTimeResolution: clockTicksPerSecond > 0 ? .nanoseconds(1_000_000_000 / clockTicksPerSecond) : nil,
            affinityCores: affinityCoresOverride ?? allowedCores ?? Self.onlineCores(),
            cpuQuotaCores: quota
        )
    }

    /// `utime + stime` in clock ticks from the text of `/proc/<pid>/stat`.
    ///
    /// The command name (field 2) is parenthesised and may hold spaces and `)`, so fields are
    /// counted after the last `)`: `utime` and `stime` are the 12th and 13th there.
    ///
    /// `1 (a b) S 0 0 0 0 0 0 0 0 0 0 250 50 0 0` gives 300 ticks.
    static func parseCPUTicks(_ stat: String) -> UInt64? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count > 12, let utime = UInt64(fields[11]), let stime = UInt64(fields[12]) else { return nil }
        let (sum, overflow) = utime.addingReportingOverflow(stime)
        return overflow ? nil : sum
    }

    /// Fills RSS, peak RSS and threads from the text of `/proc/<pid>/status` (kB values).
    ///
    /// `VmRSS:\t  2048 kB\nThreads:\t4\n` sets `rssBytes` to 2_097_152 and `threads` to 4.
    static func parseStatus(_ status: String, into usage: inout ResourceUsage) {
        for line in status.split(separator: "\n") {
            if let kb = value(of: "VmRSS:", in: line) {
                usage.rssBytes = kilobytes(kb)
            } else if let kb = value(of: "VmHWM:", in: line) {
                usage.peakRSSBytes = kilobytes(kb)
            } else if let count = value(of: "Threads:", in: line) {
                usage.threads = count
            }
        }
    }

    /// Fills read and write bytes from the text of `/proc/<pid>/io`.
    static func parseIO(_ io: String, into usage: inout ResourceUsage) {
        for line in io.split(separator: "\n") {
            if let bytes = value(of: "read_bytes:", in: line) {
                usage.readBytes = bytes
            } else if let bytes = value(of: "write_bytes:", in: line) {
                usage.writeBytes = bytes
            }
        }
    }

    private static func value(of key: String, in line: Substring) -> UInt64? {
        guard line.hasPrefix(key) else { return nil }
        return line.dropFirst(key.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { UInt64($0) }
    }

    private static func kilobytes(_ kb: UInt64) -> UInt64? {
        let (bytes, overflow) = kb.multipliedReportingOverflow(by: 1024)
        return overflow ? nil : bytes
    }

    static let systemClockTicksPerSecond: Int = {
        #if os(Linux)
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? ticks : 100
        #else
        return 0
        #endif
    }()

    /// Cores this process may run on, from the `Cpus_allowed` mask of `/proc/<pid>/status`:
    /// its CPU affinity, which is what Rust's `available_parallelism` reports too.
    ///
    /// `Cpus_allowed:\t00000000,0000000f\n` gives 4.
    static func parseAllowedCores(_ status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix("Cpus_allowed:") {
            var count = 0
            for character in line.dropFirst("Cpus_allowed:".count) {
                guard let nibble = character.hexDigitValue else { continue }
                count += nibble.nonzeroBitCount
            }
            return count > 0 ? count : nil
        }
        return nil
    }

    static func onlineCores() -> Int? {
        let online = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return online > 0 ? online : nil
    }
}
