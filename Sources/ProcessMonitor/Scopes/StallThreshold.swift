import Synchronization

/// How long one scope may run before a heartbeat calls it a stall, overriding the monitor's
/// ``MonitorConfiguration/stallThreshold`` for that scope: for scopes that are long by design
/// (`serve`, `train epoch`), and for threads fanned out with `DispatchQueue.concurrentPerform`,
/// which have no task tree to show they are waiting.
///
/// Allowed: 1 ms through 365 days, or ``never``. A value outside that range (zero, negative,
/// absurd) is rejected as ``MonitorConfiguration`` rejects one: the throwing
/// ``init(_:)`` throws a ``MonitorError`` naming it, and the static forms (which cannot
/// throw) make a threshold the scope ignores, keeping the monitor's, counted in
/// ``rejectedCount`` and reported once per process, by the first monitor heartbeat after it,
/// on stderr.
///
/// ```swift
/// try await withScope("serve", stallThreshold: .hours(2)) { try await server.run() }
/// withScope("wait for operator", stallThreshold: .never) { waitForApproval() }
/// let custom = try StallThreshold(.seconds(configuredSeconds))
/// ```
public struct StallThreshold: Sendable, Hashable, CustomStringConvertible {
    /// Milliseconds; `UInt64.max` is never, 0 a rejected value.
    @usableFromInline let milliseconds: UInt64

    @usableFromInline init(milliseconds: UInt64) {
        self.milliseconds = milliseconds
    }

    /// The scope is never reported as a stall, however long it runs.
    public static let never = StallThreshold(milliseconds: .max)

    /// A threshold of `duration`, whole milliseconds.
    ///
    /// - Throws: ``MonitorError`` (``MonitorError/Code/invalidConfiguration``, field
    ///   `stallThreshold`) when it is not 1 ms through 365 days.
    public init(_ duration: Duration) throws(MonitorError) {
        let milliseconds = Self.validMilliseconds(duration)
        guard milliseconds != 0 else {
            let range = MonitorConfiguration.stallThresholdRange
            throw MonitorError(
                code: .invalidConfiguration, field: "stallThreshold",
                message: "stallThreshold must be between \(range.lowerBound) and \(range.upperBound) (got \(duration))"
            )
        }
        self.init(milliseconds: milliseconds)
    }

    /// A threshold of `duration`; out of range, the scope keeps the monitor's (see above).
    public static func after(_ duration: Duration) -> StallThreshold {
        StallThreshold(milliseconds: validMilliseconds(duration))
    }

    /// `count` milliseconds.
    public static func milliseconds(_ count: Int) -> StallThreshold { after(.milliseconds(count)) }
    /// `count` seconds.
    public static func seconds(_ count: Int) -> StallThreshold { after(.seconds(count)) }
    /// `count` minutes.
    public static func minutes(_ count: Int) -> StallThreshold {
        count > Int.max / 60 ? after(.seconds(Int64.max)) : after(.seconds(count * 60))
    }
    /// `count` hours.
    public static func hours(_ count: Int) -> StallThreshold {
        count > Int.max / 3600 ? after(.seconds(Int64.max)) : after(.seconds(count * 3600))
    }

    /// The threshold, or `nil` for ``never`` and for a rejected value.
    public var duration: Duration? {
        milliseconds == 0 || milliseconds == .max ? nil : .milliseconds(Int64(milliseconds))
    }

    /// Whether the value was in range (``never`` is).
    public var isValid: Bool { milliseconds != 0 }

    /// `never`, the duration, or `invalid`.
    public var description: String {
        milliseconds == .max ? "never" : (duration.map { "\($0)" } ?? "invalid")
    }

    /// Scopes entered with a threshold out of range, over the process's life.
    public static var rejectedCount: UInt64 { rejectedThresholds.load(ordering: .relaxed) }

    /// What the lane stores for this threshold: `nil` (keep the monitor's) for a rejected one,
    /// which is counted.
    @inlinable
    var laneValue: UInt64? {
        guard milliseconds != 0 else {
            ScopeDiagnostics.recordRejectedThreshold()
            return nil
        }
        return milliseconds
    }

    private static func validMilliseconds(_ duration: Duration) -> UInt64 {
        guard MonitorConfiguration.stallThresholdRange.contains(duration) else { return 0 }
        return UInt64(max(1, duration.wholeMilliseconds))
    }
}

/// Scopes entered with a stall threshold out of range (see ``StallThreshold``).
let rejectedThresholds = Atomic<UInt64>(0)

/// Whether a monitor has said so on stderr: the count is the process's, so the warning is
/// too, once, however many monitors start and stop over the process's life.
let rejectedThresholdsReported = Atomic<Bool>(false)

extension StallThreshold {
    /// The warning about rejected thresholds, for the first caller after one was rejected;
    /// `nil` before any was, and for every later caller.
    static func takeRejectionWarning() -> String? {
        let count = rejectedThresholds.load(ordering: .relaxed)
        guard count > 0,
              rejectedThresholdsReported.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged
        else { return nil }
        return "[process-monitor] \(count) scope(s) gave a stall threshold out of range "
            + "(zero, negative or over 365 days); they use the monitor's (reported once)\n"
    }
}
