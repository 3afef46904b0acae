/// How much of a log an ``HTMLReport`` draws before it summarises instead.
///
/// A report must stay small and quick to open whatever the log holds (a week of heartbeats,
/// a thousand lanes), so each drawing has a budget; what goes over it is summarised, never
/// silently dropped, and the report's footer states the rule with the numbers in force.
/// Values out of range are clamped to it, so no value can make rendering fail.
///
/// ```swift
/// let report = HTMLReport(title: "nightly", limits: ReportLimits(lanesPerRun: 16))
/// ```
public struct ReportLimits: Sendable, Equatable {
    /// Lanes drawn in one process's timeline, in order of first appearance (1…4096; default 64).
    /// The others are counted; their stalls still appear in the stall table.
    public let lanesPerRun: Int
    /// Points one chart line may have before it is downsampled (100…100 000; default 1500,
    /// about one and a half per pixel of the 980-pixel plot). Downsampling buckets the samples by
    /// time and keeps each bucket's minimum and maximum, so a one-sample spike survives.
    public let pointsPerSeries: Int
    /// Narrowest timeline bar, in pixels (0.5…50; default 3). Consecutive phases on a lane
    /// that fit in this width together are drawn as one "several phases" bar.
    public let minimumBarPixels: Double
    /// Bars one process's timeline may hold (1000…1 000 000; default 8000, about 2 MB of
    /// page). When the lanes would need more, the merge width doubles until they fit.
    public let barsPerTimeline: Int
    /// Processes drawn in full (1…1000; default 16); the rest appear only in the overview.
    public let runs: Int
    /// Rows in each table (stalls, lost records, active phases) before the rest are counted
    /// (10…100 000; default 500).
    public let tableRows: Int
    /// Heartbeats of one process kept in full (1000…10 000 000; default 10 000), which bounds
    /// the report's memory whatever the length of the log. Past it, one heartbeat in N is
    /// kept, plus every one showing a stall (those are thinned only if they alone fill half
    /// the budget); lost records and duplicates are still found among all. The report says
    /// when it was drawn from a sample.
    public let heartbeatsPerRun: Int

    /// Creates limits; every value is clamped to its range.
    public init(
        lanesPerRun: Int = 64,
        pointsPerSeries: Int = 1500,
        minimumBarPixels: Double = 3,
        barsPerTimeline: Int = 8000,
        runs: Int = 16,
        tableRows: Int = 500,
        heartbeatsPerRun: Int = 10_000
    ) {
        self.lanesPerRun = min(max(lanesPerRun, 1), 4096)
        self.pointsPerSeries = min(max(pointsPerSeries, 100), 100_000)
        self.minimumBarPixels = minimumBarPixels.isNaN ? 3 : min(max(minimumBarPixels, 0.5), 50)
        self.barsPerTimeline = min(max(barsPerTimeline, 1000), 1_000_000)
        self.runs = min(max(runs, 1), 1000)
        self.tableRows = min(max(tableRows, 10), 100_000)
        self.heartbeatsPerRun = min(max(heartbeatsPerRun, 1000), 10_000_000)
    }
}
