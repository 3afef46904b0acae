/// How busy the process kept the cores it may use.
///
/// `coresBusy` is `Δ(user + system CPU time) / Δ(wall time)` over ``window``: `1.9` on a
/// two-core machine means both cores were nearly saturated. ``availableCores`` is what the
/// process may use: the smaller of its CPU affinity and its cgroup's CPU quota, which may be
/// fractional (`0.5` under a half-core quota), so `cpu=0.5/0.5 cores` reads as "at its quota".
///
/// ```swift
/// if let busy = heartbeat.cpu.coresBusy, busy < 0.1 { print("idle?") }
/// ```
public struct CPUUsage: Sendable, Equatable {
    /// Average number of cores busy over ``window``; `nil` while warming up (a window shorter
    /// than two clock ticks says nothing) or when unsupported. Never above ``availableCores``.
    public var coresBusy: Double?
    /// Cores this process may use: `min(affinityCores, quotaCores)`, or `nil` when unknown.
    public var availableCores: Double?
    /// Cores in the process's CPU affinity mask.
    public var affinityCores: Int?
    /// The cgroup's CPU quota in cores (`quota / period`); `nil` when there is none.
    public var quotaCores: Double?
    /// The measured wall-clock window the average covers.
    public var window: Duration?
    /// User plus system CPU time the process has used since it began (a counter, for
    /// Prometheus and OpenTelemetry, which compute rates themselves).
    public var totalTime: Duration?

    /// Creates a CPU usage value; every figure defaults to unknown.
    public init(
        coresBusy: Double? = nil,
        availableCores: Double? = nil,
        affinityCores: Int? = nil,
        quotaCores: Double? = nil,
        window: Duration? = nil,
        totalTime: Duration? = nil
    ) {
        self.coresBusy = coresBusy
        self.availableCores = availableCores
        self.affinityCores = affinityCores
        self.quotaCores = quotaCores
        self.window = window
        self.totalTime = totalTime
    }
}
