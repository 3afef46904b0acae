/// A progress reading: `current` of `total` units, with the rate since the scope began.
///
/// ```swift
/// let reading = ProgressReading(current: 250, total: 1000, elapsed: .seconds(10))
/// let fraction = reading.fraction             // 0.25
/// let rate = reading.unitsPerSecond           // 25.0
/// let remaining = reading.estimatedRemaining  // 30 seconds
/// ```
public struct ProgressReading: Sendable, Equatable {
    /// Units done.
    public var current: UInt64
    /// Units in all; `0` means the total is unknown.
    public var total: UInt64
    /// Time the scope that owns the counter has been running; the rate is taken over it.
    public var elapsed: Duration
    /// How long the counter has not moved, as the monitor saw it: it compares each counter with
    /// the previous heartbeat's reading, so this is exact to one heartbeat (a counter first seen
    /// above zero counts as just moved; one still at zero, as never moved since the scope began).
    /// `nil` when unknown (a reading built by hand, or decoded from a record that lacks it).
    public var sinceLastMove: Duration?

    /// Creates a reading.
    public init(current: UInt64, total: UInt64, elapsed: Duration, sinceLastMove: Duration? = nil) {
        self.current = current
        self.total = total
        self.elapsed = elapsed
        self.sinceLastMove = sinceLastMove
    }

    /// `current / total`, or `nil` when the total is unknown.
    public var fraction: Double? {
        total == 0 ? nil : Double(current) / Double(total)
    }

    /// Average units per second since the scope began, or `nil` before any time has passed.
    public var unitsPerSecond: Double? {
        let seconds = elapsed.secondsAsDouble
        guard seconds > 0 else { return nil }
        return Double(current) / seconds
    }

    /// Estimated time left at the average rate, or `nil` when the total or the rate is unknown
    /// (or nothing is done yet). Zero once `current >= total`.
    public var estimatedRemaining: Duration? {
        guard total > 0 else { return nil }
        if current >= total { return .zero }
        guard let rate = unitsPerSecond, rate > 0 else { return nil }
        let seconds = Double(total - current) / rate
        guard seconds.isFinite, seconds < 1e12 else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }
}
