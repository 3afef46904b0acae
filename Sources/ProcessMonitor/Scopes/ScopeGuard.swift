import Synchronization

/// A scope entered by hand; it ends when you call ``end()`` or when the guard goes away.
///
/// Prefer `withScope`: a guard must be kept alive for as long as the scope should last
/// (`let scope = enterScope(…)`, not `_ = enterScope(…)`, which ends it at once), must end on
/// the thread that entered it, and guards should end in reverse order of entry. A guard is
/// `~Copyable`, so it cannot be ended twice.
///
/// ```swift
/// let scope = enterScope("warm caches")
/// warmCaches()
/// scope.end()
/// ```
public struct ScopeGuard: ~Copyable {
    @usableFromInline let lane: Lane
    /// The scope's progress counter, or ``ScopeProgress/detached`` when it has none.
    public let progress: ScopeProgress

    @inlinable
    init(lane: Lane, progress: ScopeProgress) {
        self.lane = lane
        self.progress = progress
    }

    /// Ends the scope now.
    @inlinable
    public consuming func end() {
        // `deinit` does the work; consuming `self` runs it here.
    }

    @inlinable
    deinit {
        // Ending on another thread would race with that lane's owner: leave the lane alone and
        // let the stale scope show (and stall) rather than corrupt it.
        if let raw = threadLaneRaw(), raw == Unmanaged.passUnretained(lane).toOpaque() {
            lane.pop()
        } else {
            ScopeDiagnostics.recordForeignEnd()
        }
    }
}

/// Enters a scope by hand on the current thread's lane; see ``ScopeGuard``.
@available(*, noasync, message: "a guard held across an await ends on another thread; use await withScope")
@inlinable
public func enterScope(_ label: StaticString) -> ScopeGuard {
    let lane = currentThreadLane()
    lane.push(label)
    return ScopeGuard(lane: lane, progress: .detached)
}

/// Enters a scope with a dynamic label by hand; see ``ScopeGuard``.
@available(*, noasync, message: "a guard held across an await ends on another thread; use await withScope")
@inlinable
public func enterScope(label: String) -> ScopeGuard {
    let lane = currentThreadLane()
    lane.push(string: label)
    return ScopeGuard(lane: lane, progress: .detached)
}

/// Enters a scope with a progress counter by hand; the counter is the guard's `progress`.
///
/// ```swift
/// let scope = enterScope("download", total: expectedBytes)
/// for chunk in chunks { save(chunk); scope.progress.increment(by: chunk.count) }
/// scope.end()
/// ```
@available(*, noasync, message: "a guard held across an await ends on another thread; use await withScope")
@inlinable
public func enterScope(_ label: StaticString, total: some BinaryInteger) -> ScopeGuard {
    let total = UInt64(clamping: total)
    let lane = currentThreadLane()
    let index = lane.depth
    let epoch = lane.push(label, progressTotal: total)
    return ScopeGuard(lane: lane, progress: ScopeProgress(lane: .passUnretained(lane), index: index, epoch: epoch))
}

extension ScopeGuard {
    /// Guards ended on a thread other than the one that entered them, over the process's life.
    ///
    /// Such an end is ignored (popping another thread's lane would race with its owner), so
    /// the scope stays open, shows in heartbeats and eventually stalls; this count says why.
    public static var endedOnAnotherThread: UInt64 { foreignEnds.load(ordering: .relaxed) }
}

/// Counts misuse that the hot path must survive rather than trap on.
@usableFromInline
enum ScopeDiagnostics {
    @usableFromInline
    static func recordForeignEnd() {
        foreignEnds.add(1, ordering: .relaxed)
    }

    @usableFromInline
    static func recordRejectedThreshold() {
        rejectedThresholds.add(1, ordering: .relaxed)
    }
}

/// Guards ended on a thread other than the one that entered them (see ``ScopeGuard``).
let foreignEnds = Atomic<UInt64>(0)
