import Synchronization

/// Runs `body` inside a scope named `label` on the current thread's lane.
///
/// Heartbeats show the innermost scope of every lane and how long it has been running. This is
/// the cheap form: a `StaticString` label costs no allocation, and entering plus leaving costs a
/// few nanoseconds with no lock and no write to memory shared with other threads. Scopes are
/// tracked whether or not a monitor is running.
///
/// The scope ends when `body` returns or throws. Use it for synchronous code; `async` code
/// should use the `async` overload, which follows the task across threads.
///
/// ```swift
/// let model = withScope("load model") {
///     try loadModel(from: url)
/// }
/// ```
@inlinable
public func withScope<T, Failure: Error>(
    _ label: StaticString,
    _ body: () throws(Failure) -> T
) throws(Failure) -> T {
    let lane = currentThreadLaneUnmanaged()
    lane._withUnsafeGuaranteedRef { _ = $0.push(label) }
    defer { lane._withUnsafeGuaranteedRef { $0.pop() } }
    return try body()
}

/// Runs `body` inside a scope with a dynamic label on the current thread's lane.
///
/// The label's bytes are copied into the lane (at most 1 KiB of them), so building the label
/// is the only allocation; build it once outside a hot loop. Prefer the `StaticString` form
/// where the label is a literal.
///
/// ```swift
/// for shard in shards {
///     withScope(label: "shard \(shard.id)") { process(shard) }
/// }
/// ```
@inlinable
public func withScope<T, Failure: Error>(
    label: String,
    _ body: () throws(Failure) -> T
) throws(Failure) -> T {
    let lane = currentThreadLaneUnmanaged()
    lane._withUnsafeGuaranteedRef { _ = $0.push(string: label) }
    defer { lane._withUnsafeGuaranteedRef { $0.pop() } }
    return try body()
}

/// Runs `body` inside a scope that exposes a progress counter to the heartbeat.
///
/// Heartbeats show `progress=current/total (P%)` for the innermost scope with a counter on the
/// longest-running lane, and, in the extended text style and machine formats, its rate and ETA.
/// A `total` of `0` means unknown.
///
/// ```swift
/// withScope("index documents", total: UInt64(docs.count)) { progress in
///     for doc in docs {
///         index(doc)
///         progress.increment()
///     }
/// }
/// ```
@inlinable
public func withScope<T, Failure: Error>(
    _ label: StaticString,
    total: UInt64,
    _ body: (ScopeProgress) throws(Failure) -> T
) throws(Failure) -> T {
    let unmanaged = currentThreadLaneUnmanaged()
    let (index, epoch) = unmanaged._withUnsafeGuaranteedRef { lane in (lane.depth, lane.push(label, progressTotal: total)) }
    defer { unmanaged._withUnsafeGuaranteedRef { $0.pop() } }
    return try body(ScopeProgress(lane: unmanaged, index: index, epoch: epoch))
}

/// Runs `body` inside a scope with a dynamic label and a progress counter.
///
/// ```swift
/// withScope(label: "epoch \(n)", total: batches) { progress in
///     for batch in loader { train(batch); progress.increment() }
/// }
/// ```
@inlinable
public func withScope<T, Failure: Error>(
    label: String,
    total: UInt64,
    _ body: (ScopeProgress) throws(Failure) -> T
) throws(Failure) -> T {
    let unmanaged = currentThreadLaneUnmanaged()
    let (index, epoch) = unmanaged._withUnsafeGuaranteedRef { lane in (lane.depth, lane.push(string: label, progressTotal: total)) }
    defer { unmanaged._withUnsafeGuaranteedRef { $0.pop() } }
    return try body(ScopeProgress(lane: unmanaged, index: index, epoch: epoch))
}

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
    ///
    /// ```swift
    /// let scope = enterScope("flush")
    /// defer { scope.end() }
    /// ```
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
///
/// ```swift
/// let scope = enterScope("compact")
/// compact()
/// scope.end()
/// ```
@available(*, noasync, message: "a guard held across an await ends on another thread; use await withScope")
@inlinable
public func enterScope(_ label: StaticString) -> ScopeGuard {
    let lane = currentThreadLane()
    lane.push(label)
    return ScopeGuard(lane: lane, progress: .detached)
}

/// Enters a scope with a dynamic label by hand; see ``ScopeGuard``.
///
/// ```swift
/// let scope = enterScope(label: "file \(name)")
/// defer { scope.end() }
/// ```
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
/// let scope = enterScope("download", total: bytes)
/// for chunk in chunks { write(chunk); scope.progress.increment(by: UInt64(chunk.count)) }
/// scope.end()
/// ```
@available(*, noasync, message: "a guard held across an await ends on another thread; use await withScope")
@inlinable
public func enterScope(_ label: StaticString, total: UInt64) -> ScopeGuard {
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
    ///
    /// ```swift
    /// assert(ScopeGuard.endedOnAnotherThread == 0)
    /// ```
    public static var endedOnAnotherThread: UInt64 { foreignEnds.load(ordering: .relaxed) }
}

/// Counts misuse that the hot path must survive rather than trap on.
@usableFromInline
enum ScopeDiagnostics {
    @usableFromInline
    static func recordForeignEnd() {
        foreignEnds.add(1, ordering: .relaxed)
    }
}

/// Guards ended on a thread other than the one that entered them (see ``ScopeGuard``).
let foreignEnds = Atomic<UInt64>(0)
