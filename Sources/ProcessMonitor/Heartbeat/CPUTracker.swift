import Foundation

/// Turns successive CPU-time readings into cores busy over the measured window.
///
/// The baseline is taken when the monitor starts, so the first heartbeat already has a figure.
struct CPUTracker {
    private var previousCPU: Duration?
    private var previousTime: UInt64?
    private var last: CPUUsage?

    /// Records a reading and returns the usage since the previous one:
    /// `Δ(user + system CPU time) / Δ(wall time)`, with the window it covers.
    mutating func update(cpuTime: Duration?, now: UInt64, availableCores: Int?) -> CPUUsage {
        defer {
            if let cpuTime {
                previousCPU = cpuTime
                previousTime = now
            }
        }
        guard let cpuTime, let previousCPU, let previousTime else {
            return CPUUsage(coresBusy: nil, availableCores: availableCores, window: nil)
        }
        let wallMs = HeartbeatBuilder.milliseconds(from: previousTime, to: now)
        guard wallMs > 0 else {
            // Two readings in the same millisecond say nothing new; repeat the last figure.
            return last ?? CPUUsage(coresBusy: nil, availableCores: availableCores, window: nil)
        }
        let busy = max(0, (cpuTime - previousCPU).secondsAsDouble) / (Double(wallMs) / 1000)
        let usage = CPUUsage(coresBusy: busy, availableCores: availableCores, window: .milliseconds(wallMs))
        last = usage
        return usage
    }
}
