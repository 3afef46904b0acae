import Foundation

/// Memory, thread and I/O figures of the process. `nil` means the platform did not report it.
///
/// ```swift
/// let usage = ResourceUsage(rssBytes: 512 << 20, peakRSSBytes: 1 << 30, threads: 12)
/// ```
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

    /// Creates a usage value; every figure defaults to unknown.
    ///
    /// ```swift
    /// let unknown = ResourceUsage()
    /// ```
    public init(
        rssBytes: UInt64? = nil,
        peakRSSBytes: UInt64? = nil,
        threads: UInt64? = nil,
        readBytes: UInt64? = nil,
        writeBytes: UInt64? = nil
    ) {
        self.rssBytes = rssBytes
        self.peakRSSBytes = peakRSSBytes
        self.threads = threads
        self.readBytes = readBytes
        self.writeBytes = writeBytes
    }
}
