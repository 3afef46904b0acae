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
/// let model = try withScope("load model") {
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
/// A `total` of `0` (or a negative count) means unknown.
///
/// ```swift
/// withScope("index documents", total: docs.count) { progress in
///     for doc in docs {
///         index(doc)
///         progress.increment()
///     }
/// }
/// ```
@inlinable
public func withScope<T, Failure: Error>(
    _ label: StaticString,
    total: some BinaryInteger,
    _ body: (ScopeProgress) throws(Failure) -> T
) throws(Failure) -> T {
    let total = UInt64(clamping: total)
    let unmanaged = currentThreadLaneUnmanaged()
    let (index, epoch) = unmanaged._withUnsafeGuaranteedRef { lane in (lane.depth, lane.push(label, progressTotal: total)) }
    defer { unmanaged._withUnsafeGuaranteedRef { $0.pop() } }
    return try body(ScopeProgress(lane: unmanaged, index: index, epoch: epoch))
}

/// Runs `body` inside a scope with a dynamic label and a progress counter.
@inlinable
public func withScope<T, Failure: Error>(
    label: String,
    total: some BinaryInteger,
    _ body: (ScopeProgress) throws(Failure) -> T
) throws(Failure) -> T {
    let total = UInt64(clamping: total)
    let unmanaged = currentThreadLaneUnmanaged()
    let (index, epoch) = unmanaged._withUnsafeGuaranteedRef { lane in (lane.depth, lane.push(string: label, progressTotal: total)) }
    defer { unmanaged._withUnsafeGuaranteedRef { $0.pop() } }
    return try body(ScopeProgress(lane: unmanaged, index: index, epoch: epoch))
}

/// Runs `body` inside a scope with a stall threshold of its own: a heartbeat reports it as a
/// stall only once it has run `stallThreshold` (or never, with ``StallThreshold/never``),
/// whatever the monitor's threshold. For scopes that are long by design.
@inlinable
public func withScope<T, Failure: Error>(
    _ label: StaticString,
    stallThreshold: StallThreshold,
    _ body: () throws(Failure) -> T
) throws(Failure) -> T {
    let lane = currentThreadLaneUnmanaged()
    let threshold = stallThreshold.laneValue
    lane._withUnsafeGuaranteedRef { _ = $0.push(label, stallThreshold: threshold) }
    defer { lane._withUnsafeGuaranteedRef { $0.pop() } }
    return try body()
}

/// Runs `body` inside a scope with a dynamic label and a stall threshold of its own.
@inlinable
public func withScope<T, Failure: Error>(
    label: String,
    stallThreshold: StallThreshold,
    _ body: () throws(Failure) -> T
) throws(Failure) -> T {
    let lane = currentThreadLaneUnmanaged()
    let threshold = stallThreshold.laneValue
    lane._withUnsafeGuaranteedRef { _ = $0.push(string: label, stallThreshold: threshold) }
    defer { lane._withUnsafeGuaranteedRef { $0.pop() } }
    return try body()
}

/// Runs `body` inside a scope labelled by a `String` value, such as `"shard \(i)"` or a
/// variable: the same as `withScope(label:)`.
///
/// A string literal still takes the `StaticString` overload, which copies nothing: this one is
/// disfavoured, so only a `String` *value* reaches it.
@_disfavoredOverload
@inlinable
public func withScope<T, Failure: Error>(
    _ label: String,
    _ body: () throws(Failure) -> T
) throws(Failure) -> T {
    try withScope(label: label, body)
}

/// Runs `body` inside a scope labelled by a `String` value, with a progress counter: the same
/// as `withScope(label:total:)`.
@_disfavoredOverload
@inlinable
public func withScope<T, Failure: Error>(
    _ label: String,
    total: some BinaryInteger,
    _ body: (ScopeProgress) throws(Failure) -> T
) throws(Failure) -> T {
    try withScope(label: label, total: total, body)
}
