/// A resource close to its limit: what a heartbeat warns about besides stalls.
///
/// Derived from ``ResourceUsage``: a warning is due when memory in use reaches
/// ``threshold`` (90 %) of the cgroup's memory limit, or open file descriptors reach 90 % of
/// their soft limit. Either makes the heartbeat's ``Heartbeat/level`` a warning, so the job
/// that the OOM killer or `EMFILE` is about to end says so first.
///
/// ```swift
/// for warning in heartbeat.resourceWarnings {
///     print(warning.resource, warning.used, "of", warning.limit)
/// }
/// ```
public struct ResourceWarning: Sendable, Equatable {
    /// Which limit is close.
    public enum Resource: String, Sendable, Equatable, CaseIterable {
        /// The cgroup memory limit.
        case memory
        /// The open file descriptor limit.
        case fileDescriptors = "fds"
    }

    /// The fraction of a limit at which a warning is due.
    public static let threshold = 0.9

    /// Which limit is close.
    public var resource: Resource
    /// What is in use (bytes, or descriptors).
    public var used: UInt64
    /// The limit.
    public var limit: UInt64

    /// Creates a warning.
    public init(resource: Resource, used: UInt64, limit: UInt64) {
        self.resource = resource
        self.used = used
        self.limit = limit
    }

    /// `used / limit`.
    public var fraction: Double { limit == 0 ? 1 : Double(used) / Double(limit) }

    /// The warnings `usage` calls for, memory first.
    public static func warnings(for usage: ResourceUsage) -> [ResourceWarning] {
        var warnings: [ResourceWarning] = []
        if let limit = usage.memoryLimitBytes, let used = usage.memoryInUseBytes, Self.isClose(used, limit) {
            warnings.append(ResourceWarning(resource: .memory, used: used, limit: limit))
        }
        if let limit = usage.fileDescriptorLimit, let used = usage.openFileDescriptors, Self.isClose(used, limit) {
            warnings.append(ResourceWarning(resource: .fileDescriptors, used: used, limit: limit))
        }
        return warnings
    }

    /// Whether `usage` calls for any warning, without building them (a heartbeat's level asks
    /// this on every render).
    package static func anyWarning(for usage: ResourceUsage) -> Bool {
        if let limit = usage.memoryLimitBytes, let used = usage.memoryInUseBytes, isClose(used, limit) { return true }
        if let limit = usage.fileDescriptorLimit, let used = usage.openFileDescriptors, isClose(used, limit) { return true }
        return false
    }

    /// `used >= 0.9 * limit` in integers, exact for every value.
    private static func isClose(_ used: UInt64, _ limit: UInt64) -> Bool {
        // used * 10 >= limit * 9 without overflow: compare in 128 bits.
        UInt128(used) * 10 >= UInt128(limit) * 9
    }
}
