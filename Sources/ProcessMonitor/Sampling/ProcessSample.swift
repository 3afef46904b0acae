/// One reading of the process's resources, taken by a ``ProcessSampler``.
public struct ProcessSample: Sendable, Equatable {
    /// Memory, thread, descriptor and I/O figures, with the container's limits.
    public var resources: ResourceUsage
    /// Cumulative user + system CPU time of the process, or `nil` when unknown.
    public var cpuTime: Duration?
    /// The granularity of ``cpuTime`` (one clock tick, 10 ms on most Linux systems), or `nil`
    /// when exact. A CPU figure over a window shorter than two ticks is noise, so none is given.
    public var cpuTimeResolution: Duration?
    /// Cores in the process's CPU affinity mask, or `nil` when unknown.
    public var affinityCores: Int?
    /// The cgroup's CPU quota in cores (`quota / period`), or `nil` when there is none.
    public var cpuQuotaCores: Double?

    /// Creates a sample.
    public init(
        resources: ResourceUsage = ResourceUsage(),
        cpuTime: Duration? = nil,
        cpuTimeResolution: Duration? = nil,
        affinityCores: Int? = nil,
        cpuQuotaCores: Double? = nil
    ) {
        self.resources = resources
        self.cpuTime = cpuTime
        self.cpuTimeResolution = cpuTimeResolution
        self.affinityCores = affinityCores
        self.cpuQuotaCores = cpuQuotaCores
    }

    /// Cores the process may use: the smaller of its affinity and its quota, either when only
    /// one is known, `nil` when neither is.
    ///
    /// Two cores of affinity and a quota of half a core give 0.5.
    public var availableCores: Double? {
        switch (affinityCores, cpuQuotaCores) {
        case let (affinity?, quota?): min(Double(affinity), quota)
        case let (affinity?, nil): Double(affinity)
        case let (nil, quota?): quota
        case (nil, nil): nil
        }
    }
}
