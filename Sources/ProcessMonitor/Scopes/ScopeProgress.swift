public import Synchronization

/// A live progress counter owned by one scope, read by every heartbeat.
///
/// Get one from `withScope(_:total:_:)`; bump it from the loop as work completes, from any
/// thread. It is a small `Sendable` value, cheap to capture in
/// `DispatchQueue.concurrentPerform` workers: increments are relaxed atomic adds on a counter
/// that lives in the scope's lane, so no allocation happens per scope.
///
/// A total of `0` means "unknown" and renders as `progress=17/?`. Once the scope has ended,
/// updates through a copy that escaped it are ignored (best effort: one racing with the end of
/// the scope may still land).
///
/// ```swift
/// withScope("score rows", total: UInt64(rows.count)) { progress in
///     DispatchQueue.concurrentPerform(iterations: rows.count) { i in
///         score(rows[i])
///         progress.increment()
///     }
/// }
/// ```
public struct ScopeProgress: Sendable {
    /// Unretained: lanes are never freed (see `LaneRegistry`), so a copy that escapes its scope,
    /// or outlives its thread, still points at a live lane, where the epoch check finds it dead.
    @usableFromInline let lane: Unmanaged<Lane>?
    @usableFromInline let index: Int
    @usableFromInline let epoch: UInt64

    @inlinable
    init(lane: Unmanaged<Lane>?, index: Int, epoch: UInt64) {
        self.lane = lane
        self.index = index
        self.epoch = epoch
    }

    /// A counter attached to no scope: every update is ignored. Useful as a default argument.
    ///
    /// ```swift
    /// func work(progress: ScopeProgress = .detached) { progress.increment() }
    /// ```
    public static let detached = ScopeProgress(lane: nil, index: 0, epoch: 0)

    /// Runs `body` on the counter's lane while its scope is open; `nil` once it has ended (or
    /// for a frame too deep to store).
    @inlinable @inline(__always)
    func withLiveLane<T>(_ body: (Lane) -> T) -> T? {
        guard let lane, index < Lane.capacity else { return nil }
        return lane._withUnsafeGuaranteedRef { lane in
            lane.progressEpoch[index].load(ordering: .relaxed) == epoch ? body(lane) : nil
        }
    }

    /// Records `current` units done out of `total` (`0` = unknown total).
    @inlinable
    public func set(current: some BinaryInteger, total: some BinaryInteger) {
        let current = UInt64(clamping: current)
        let total = UInt64(clamping: total)
        _ = withLiveLane { lane in
            lane.progressTotal[index].store(total, ordering: .relaxed)
            lane.progressCurrent[index].store(current, ordering: .relaxed)
        }
    }

    /// Adds one unit done, leaving the total unchanged.
    @inlinable @inline(__always)
    public func increment() {
        _ = withLiveLane { lane in
            lane.progressCurrent[index].add(1, ordering: .relaxed)
        }
    }

    /// Adds `count` units done (a negative count adds nothing), leaving the total unchanged.
    @inlinable @inline(__always)
    public func increment(by count: some BinaryInteger) {
        let count = UInt64(clamping: count)
        _ = withLiveLane { lane in
            lane.progressCurrent[index].add(count, ordering: .relaxed)
        }
    }

    /// Units done so far (0 once the scope has ended).
    public var current: UInt64 {
        withLiveLane { $0.progressCurrent[index].load(ordering: .relaxed) } ?? 0
    }

    /// The total (0 = unknown, and once the scope has ended).
    public var total: UInt64 {
        withLiveLane { $0.progressTotal[index].load(ordering: .relaxed) } ?? 0
    }
}
