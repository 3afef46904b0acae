import Synchronization

/// Hands each line to a closure: the bridge into swift-log, OSLog or anything else, without
/// this package depending on them.
///
/// The closure runs on the thread that writes (the monitor's), may be called from several
/// threads at once, and must not block for long. After ``close()`` it is no longer called:
/// later lines are dropped and counted, so a logger torn down with the monitor is never
/// called again.
///
/// ```swift
/// let logger = Logger(label: "process-monitor")
/// let sink = ClosureSink { line in
///     logger.log(level: line.level == .warning ? .warning : .info, "\(line.text)")
/// }
/// ```
public final class ClosureSink: HeartbeatSink {
    private let body: @Sendable (RenderedLine) -> Void
    private let closed = Atomic<Bool>(false)
    private let dropped = Atomic<UInt64>(0)

    /// Creates a sink that calls `body` with every line.
    public init(_ body: @escaping @Sendable (RenderedLine) -> Void) {
        self.body = body
    }

    /// Calls the closure with `line`, unless the sink is closed.
    public func write(_ line: RenderedLine) {
        guard !closed.load(ordering: .acquiring) else {
            dropped.add(1, ordering: .relaxed)
            return
        }
        body(line)
    }

    /// Stops calling the closure; safe to call more than once.
    public func close() {
        closed.store(true, ordering: .releasing)
    }

    /// Lines written after ``close()``.
    public var droppedRecords: UInt64 { dropped.load(ordering: .relaxed) }
}
