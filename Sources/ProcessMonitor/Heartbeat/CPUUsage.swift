import Foundation

/// How busy the process kept the machine's cores.
///
/// `coresBusy` is `Δ(user + system CPU time) / Δ(wall time)` over ``window``: `1.9` on a
/// two-core machine means both cores were nearly saturated.
///
/// ```swift
/// if let busy = heartbeat.cpu.coresBusy, busy < 0.1 { print("idle?") }
/// ```
public struct CPUUsage: Sendable, Equatable {
    /// Average number of cores busy over ``window``; `nil` while warming up or unsupported.
    public var coresBusy: Double?
    /// Cores this process may run on, or `nil` when unknown.
    public var availableCores: Int?
    /// The measured wall-clock window the average covers.
    public var window: Duration?

    /// Creates a CPU usage value; every figure defaults to unknown.
    ///
    /// ```swift
    /// let cpu = CPUUsage(coresBusy: 1.9, availableCores: 2, window: .seconds(60))
    /// ```
    public init(coresBusy: Double? = nil, availableCores: Int? = nil, window: Duration? = nil) {
        self.coresBusy = coresBusy
        self.availableCores = availableCores
        self.window = window
    }
}
