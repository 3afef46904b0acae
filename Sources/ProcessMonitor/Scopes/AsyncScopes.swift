import Synchronization

/// Runs `body` inside a scope named `label` on the current task's lane.
///
/// The scope belongs to the task, not to a thread: it stays correct when the task suspends
/// and resumes elsewhere, and every child task (`async let`, task groups) gets a lane of its
/// own, so concurrent children never share a stack.
///
/// ```swift
/// let pages = try await withScope("crawl") {
///     try await crawler.run()
/// }
/// ```
@inlinable
public nonisolated(nonsending) func withScope<T, Failure: Error>(
    _ label: StaticString,
    _ body: nonisolated(nonsending) () async throws(Failure) -> T
) async throws(Failure) -> T {
    if let lane = boundTaskLane() {
        lane._withUnsafeGuaranteedRef { _ = $0.push(label) }
        defer { lane._withUnsafeGuaranteedRef { $0.pop() } }
        return try await body()
    }
    return try await withNewTaskLane { lane throws(Failure) -> T in
        lane.push(label)
        defer { lane.pop() }
        return try await body()
    }
}

/// Runs `body` inside a scope with a dynamic label on the current task's lane.
///
/// ```swift
/// let data = try await withScope(label: "fetch \(url.host ?? "")") {
///     try await client.get(url)
/// }
/// ```
@inlinable
public nonisolated(nonsending) func withScope<T, Failure: Error>(
    label: String,
    _ body: nonisolated(nonsending) () async throws(Failure) -> T
) async throws(Failure) -> T {
    if let lane = boundTaskLane() {
        lane._withUnsafeGuaranteedRef { _ = $0.push(string: label) }
        defer { lane._withUnsafeGuaranteedRef { $0.pop() } }
        return try await body()
    }
    return try await withNewTaskLane { lane throws(Failure) -> T in
        lane.push(string: label)
        defer { lane.pop() }
        return try await body()
    }
}

/// Runs `body` inside a scope with a progress counter on the current task's lane.
///
/// ```swift
/// try await withScope("upload", total: files.count) { progress in
///     for file in files {
///         try await upload(file)
///         progress.increment()
///     }
/// }
/// ```
@inlinable
public nonisolated(nonsending) func withScope<T, Failure: Error>(
    _ label: StaticString,
    total: some BinaryInteger,
    _ body: nonisolated(nonsending) (ScopeProgress) async throws(Failure) -> T
) async throws(Failure) -> T {
    let total = UInt64(clamping: total)
    if let unmanaged = boundTaskLane() {
        let lane = unmanaged.takeUnretainedValue()
        let index = lane.depth
        let epoch = lane.push(label, progressTotal: total)
        defer { lane.pop() }
        return try await body(ScopeProgress(lane: unmanaged, index: index, epoch: epoch))
    }
    return try await withNewTaskLane { lane throws(Failure) -> T in
        let epoch = lane.push(label, progressTotal: total)
        defer { lane.pop() }
        return try await body(ScopeProgress(lane: .passUnretained(lane), index: 0, epoch: epoch))
    }
}

/// Runs `body` inside a scope with a dynamic label and a progress counter on the task's lane.
@inlinable
public nonisolated(nonsending) func withScope<T, Failure: Error>(
    label: String,
    total: some BinaryInteger,
    _ body: nonisolated(nonsending) (ScopeProgress) async throws(Failure) -> T
) async throws(Failure) -> T {
    let total = UInt64(clamping: total)
    if let unmanaged = boundTaskLane() {
        let lane = unmanaged.takeUnretainedValue()
        let index = lane.depth
        let epoch = lane.push(string: label, progressTotal: total)
        defer { lane.pop() }
        return try await body(ScopeProgress(lane: unmanaged, index: index, epoch: epoch))
    }
    return try await withNewTaskLane { lane throws(Failure) -> T in
        let epoch = lane.push(string: label, progressTotal: total)
        defer { lane.pop() }
        return try await body(ScopeProgress(lane: .passUnretained(lane), index: 0, epoch: epoch))
    }
}

/// Runs `body` inside a scope with a stall threshold of its own on the current task's lane: a
/// heartbeat reports it as a stall only once it has run `stallThreshold`, or never.
///
/// ```swift
/// try await withScope("serve", stallThreshold: .hours(2)) {
///     try await server.run()
/// }
/// ```
@inlinable
public nonisolated(nonsending) func withScope<T, Failure: Error>(
    _ label: StaticString,
    stallThreshold: StallThreshold,
    _ body: nonisolated(nonsending) () async throws(Failure) -> T
) async throws(Failure) -> T {
    let threshold = stallThreshold.laneValue
    if let lane = boundTaskLane() {
        lane._withUnsafeGuaranteedRef { _ = $0.push(label, stallThreshold: threshold) }
        defer { lane._withUnsafeGuaranteedRef { $0.pop() } }
        return try await body()
    }
    return try await withNewTaskLane { lane throws(Failure) -> T in
        lane.push(label, stallThreshold: threshold)
        defer { lane.pop() }
        return try await body()
    }
}

/// Runs `body` inside a scope with a dynamic label and a stall threshold of its own on the
/// current task's lane.
@inlinable
public nonisolated(nonsending) func withScope<T, Failure: Error>(
    label: String,
    stallThreshold: StallThreshold,
    _ body: nonisolated(nonsending) () async throws(Failure) -> T
) async throws(Failure) -> T {
    let threshold = stallThreshold.laneValue
    if let lane = boundTaskLane() {
        lane._withUnsafeGuaranteedRef { _ = $0.push(string: label, stallThreshold: threshold) }
        defer { lane._withUnsafeGuaranteedRef { $0.pop() } }
        return try await body()
    }
    return try await withNewTaskLane { lane throws(Failure) -> T in
        lane.push(string: label, stallThreshold: threshold)
        defer { lane.pop() }
        return try await body()
    }
}

/// Runs `body` inside a scope labelled by a `String` value on the current task's lane: the
/// same as `withScope(label:)`. A string literal still takes the `StaticString` overload.
@_disfavoredOverload
@inlinable
public nonisolated(nonsending) func withScope<T, Failure: Error>(
    _ label: String,
    _ body: nonisolated(nonsending) () async throws(Failure) -> T
) async throws(Failure) -> T {
    try await withScope(label: label, body)
}

/// Runs `body` inside a scope labelled by a `String` value, with a progress counter, on the
/// current task's lane: the same as `withScope(label:total:)`.
@_disfavoredOverload
@inlinable
public nonisolated(nonsending) func withScope<T, Failure: Error>(
    _ label: String,
    total: some BinaryInteger,
    _ body: nonisolated(nonsending) (ScopeProgress) async throws(Failure) -> T
) async throws(Failure) -> T {
    try await withScope(label: label, total: total, body)
}

