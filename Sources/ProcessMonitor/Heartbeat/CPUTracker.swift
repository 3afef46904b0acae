/// Turns successive CPU-time readings into cores busy over the measured window.
///
/// The baseline is taken when the monitor starts, so the first heartbeat already has a figure.
///
/// CPU time advances in clock ticks (10 ms at the usual 100 Hz), so over a window of a tick or
/// two one thread's time reads 0 % or 200 %: noise, not a figure (the final heartbeat of a
/// short run once read `cpu=2.5/2 cores`). A window shorter than two ticks is therefore
/// measured from the baseline before the last one instead, which spans a whole interval; when
/// there is none yet the figure is unknown. A figure is never above the cores available.
struct CPUTracker {
    private struct Reading {
        var cpu: Duration
        var time: UInt64
    }

    private var baseline: Reading?
    private var olderBaseline: Reading?

    /// Records a reading and returns the usage since the baseline:
    /// `Δ(user + system CPU time) / Δ(wall time)`, with the window it covers.
    mutating func update(_ sample: ProcessSample, now: UInt64) -> CPUUsage {
        var usage = CPUUsage(
            coresBusy: nil,
            availableCores: sample.availableCores,
            affinityCores: sample.affinityCores,
            quotaCores: sample.cpuQuotaCores,
            window: nil,
            totalTime: sample.cpuTime.map { .milliseconds($0.wholeMilliseconds) }
        )
        guard let cpuTime = sample.cpuTime else { return usage }
        let reading = Reading(cpu: cpuTime, time: now)
        let minimumNanoseconds = UInt64(clamping: (sample.cpuTimeResolution ?? .zero).wholeNanoseconds) &* 2
        for candidate in [baseline, olderBaseline] {
            guard let start = candidate, now > start.time, now - start.time >= max(minimumNanoseconds, 1_000_000) else { continue }
            let wallMs = HeartbeatBuilder.milliseconds(from: start.time, to: now)
            var busy = max(0, (cpuTime - start.cpu).secondsAsDouble) / (Double(wallMs) / 1000)
            if let available = usage.availableCores { busy = min(busy, available) }
            usage.coresBusy = busy
            usage.window = .milliseconds(wallMs)
            if candidate?.time == baseline?.time {
                olderBaseline = baseline
                baseline = reading
            }
            return usage
        }
        if baseline == nil { baseline = reading }
        return usage
    }
}
