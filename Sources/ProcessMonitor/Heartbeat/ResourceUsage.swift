/// Memory, thread, file-descriptor and I/O figures of the process, and the container limits it
/// runs under. `nil` means the platform did not report it, or (for a limit) that there is none.
public struct ResourceUsage: Sendable, Equatable {
    /// Resident set size (`VmRSS`).
    public var rssBytes: UInt64?
    /// Peak resident set size (`VmHWM`).
    public var peakRSSBytes: UInt64?
    /// Threads in the process.
    public var threads: UInt64?
    /// Bytes the process caused to be read from storage (`/proc/self/io` `read_bytes`).
    public var readBytes: UInt64?
    /// Bytes the process caused to be written to storage (`write_bytes`).
    public var writeBytes: UInt64?
    /// The memory limit of the process's cgroup (v2 `memory.max`, v1 `memory.limit_in_bytes`),
    /// the tightest along its path; `nil` when there is none or it is unknown.
    public var memoryLimitBytes: UInt64?
    /// Memory charged to the process's cgroup (`memory.current`, `memory.usage_in_bytes`): what
    /// the OOM killer compares with the limit. It includes page cache, so it can exceed RSS.
    public var memoryUsageBytes: UInt64?
    /// Processes of the cgroup the OOM killer ended (`memory.events` `oom_kill`).
    public var oomKills: UInt64?
    /// Open file descriptors (entries of `/proc/self/fd`).
    public var openFileDescriptors: UInt64?
    /// The soft limit on open file descriptors (`RLIMIT_NOFILE`); `nil` when unlimited.
    public var fileDescriptorLimit: UInt64?

    /// Creates a usage value; every figure defaults to unknown.
    ///
    /// ```swift
    /// let unknown = ResourceUsage()
    /// let contained = ResourceUsage(rssBytes: 200 << 20, memoryLimitBytes: 256 << 20,
    ///                               memoryUsageBytes: 240 << 20)
    /// ```
    public init(
        rssBytes: UInt64? = nil,
        peakRSSBytes: UInt64? = nil,
        threads: UInt64? = nil,
        readBytes: UInt64? = nil,
        writeBytes: UInt64? = nil,
        memoryLimitBytes: UInt64? = nil,
        memoryUsageBytes: UInt64? = nil,
        oomKills: UInt64? = nil,
        openFileDescriptors: UInt64? = nil,
        fileDescriptorLimit: UInt64? = nil
    ) {
        self.rssBytes = rssBytes
        self.peakRSSBytes = peakRSSBytes
        self.threads = threads
        self.readBytes = readBytes
        self.writeBytes = writeBytes
        self.memoryLimitBytes = memoryLimitBytes
        self.memoryUsageBytes = memoryUsageBytes
        self.oomKills = oomKills
        self.openFileDescriptors = openFileDescriptors
        self.fileDescriptorLimit = fileDescriptorLimit
    }

    /// What counts against ``memoryLimitBytes``: the cgroup's own usage when known, else RSS.
    ///
    /// `ResourceUsage(rssBytes: 100, memoryUsageBytes: 150)` has 150 bytes in use.
    public var memoryInUseBytes: UInt64? { memoryUsageBytes ?? rssBytes }

    /// Bytes left before the memory limit, `0` at or past it; `nil` without a limit.
    public var memoryHeadroomBytes: UInt64? {
        guard let limit = memoryLimitBytes, let used = memoryInUseBytes else { return nil }
        return used >= limit ? 0 : limit - used
    }
}
