import Synchronization

/// Binds a task to its lane. A task-local, because a task may resume on any thread after an
/// `await`, so a thread's lane would be corrupted by the tasks interleaving on it.
@usableFromInline
struct TaskLaneBinding: Sendable {
    @usableFromInline let lane: Lane
    /// The lane's `binding` count when it was taken; a mismatch means the lane went back to
    /// the pool and this binding is a stale copy inherited by an unstructured task.
    @usableFromInline let generation: UInt64
    /// The task that owns the lane. Child tasks inherit task-locals, so they must compare.
    @usableFromInline let owner: UInt

    @usableFromInline
    @TaskLocal static var current: TaskLaneBinding?
}

/// The lane bound to the current task, if this very task owns it.
@inlinable
func boundTaskLane() -> Lane? {
    guard let binding = TaskLaneBinding.current,
        binding.lane.binding.load(ordering: .relaxed) == binding.generation
    else { return nil }
    let isOwner = withUnsafeCurrentTask { taskIdentity($0) == binding.owner }
    return isOwner ? binding.lane : nil
}

/// The task's address, as an identity to compare. `UnsafeCurrentTask` is deliberately not
/// `Sendable`, and hashing it costs more than the whole scope; its one stored property is the
/// task reference, so its bits are the task's address. The address is only compared, never
/// followed, and the lane's `binding` generation rules out a reused address.
@inlinable @inline(__always)
func taskIdentity(_ task: UnsafeCurrentTask?) -> UInt {
    guard let task else { return 0 }
    return unsafeBitCast(task, to: UInt.self)
}

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
        lane.push(label)
        defer { lane.pop() }
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
/// try await withScope(label: "fetch \(url.host ?? "")") {
///     try await client.get(url)
/// }
/// ```
@inlinable
public nonisolated(nonsending) func withScope<T, Failure: Error>(
    label: String,
    _ body: nonisolated(nonsending) () async throws(Failure) -> T
) async throws(Failure) -> T {
    if let lane = boundTaskLane() {
        lane.push(string: label)
        defer { lane.pop() }
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
/// try await withScope("upload", total: UInt64(files.count)) { progress in
///     for file in files {
///         try await upload(file)
///         progress.increment()
///     }
/// }
/// ```
@inlinable
public nonisolated(nonsending) func withScope<T, Failure: Error>(
    _ label: StaticString,
    total: UInt64,
    _ body: nonisolated(nonsending) (ScopeProgress) async throws(Failure) -> T
) async throws(Failure) -> T {
    if let lane = boundTaskLane() {
        let index = lane.depth
        let epoch = lane.push(label, progressTotal: total)
        defer { lane.pop() }
        return try await body(ScopeProgress(lane: lane, index: index, epoch: epoch))
    }
    return try await withNewTaskLane { lane throws(Failure) -> T in
        let epoch = lane.push(label, progressTotal: total)
        defer { lane.pop() }
        return try await body(ScopeProgress(lane: lane, index: 0, epoch: epoch))
    }
}

/// Runs `body` inside a scope with a dynamic label and a progress counter on the task's lane.
///
/// ```swift
/// try await withScope(label: "shard \(id)", total: count) { progress in
///     for try await _ in stream { progress.increment() }
/// }
/// ```
@inlinable
public nonisolated(nonsending) func withScope<T, Failure: Error>(
    label: String,
    total: UInt64,
    _ body: nonisolated(nonsending) (ScopeProgress) async throws(Failure) -> T
) async throws(Failure) -> T {
    if let lane = boundTaskLane() {
        let index = lane.depth
        let epoch = lane.push(string: label, progressTotal: total)
        defer { lane.pop() }
        return try await body(ScopeProgress(lane: lane, index: index, epoch: epoch))
    }
    return try await withNewTaskLane { lane throws(Failure) -> T in
        let epoch = lane.push(string: label, progressTotal: total)
        defer { lane.pop() }
        return try await body(ScopeProgress(lane: lane, index: 0, epoch: epoch))
    }
}

/// Takes a lane for the current task's outermost scope, binds it for `body`, and returns it
/// to the pool afterwards.
@usableFromInline
nonisolated(nonsending) func withNewTaskLane<T, Failure: Error>(
    _ body: nonisolated(nonsending) (Lane) async throws(Failure) -> T
) async throws(Failure) -> T {
    let lane = LaneRegistry.shared.takeTaskLane()
    defer { LaneRegistry.shared.returnTaskLane(lane) }
    let owner = withUnsafeCurrentTask { taskIdentity($0) }
    let binding = TaskLaneBinding(lane: lane, generation: lane.binding.load(ordering: .relaxed), owner: owner)
    let result: Result<T, Failure> = await TaskLaneBinding.$current.withValue(binding) {
        do throws(Failure) {
            return .success(try await body(lane))
        } catch {
            return .failure(error)
        }
    }
    return try result.get()
}
