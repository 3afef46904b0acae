#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One reading of the process's resources, taken by a ``ProcessSampler``.
///
/// ```swift
/// let sample = ProcessSample(resources: ResourceUsage(rssBytes: 1 << 30), cpuTime: .seconds(12))
/// ```
public struct ProcessSample: Sendable, Equatable {
    /// Memory, thread and I/O figures.
    public var resources: ResourceUsage
    /// Cumulative user + system CPU time of the process, or `nil` when unknown.
    public var cpuTime: Duration?
    /// Cores the process may run on, or `nil` when unknown.
    public var availableCores: Int?

    /// Creates a sample.
    ///
    /// ```swift
    /// ProcessSample(resources: ResourceUsage(), cpuTime: nil, availableCores: nil)
    /// ```
    public init(resources: ResourceUsage = ResourceUsage(), cpuTime: Duration? = nil, availableCores: Int? = nil) {
        self.resources = resources
        self.cpuTime = cpuTime
        self.availableCores = availableCores
    }
}
