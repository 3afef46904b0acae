public import Synchronization

/// Binds a task to its lane. A task-local, because a task may resume on any thread after an
/// `await`, so a thread's lane would be corrupted by the tasks interleaving on it.
///
/// A trivial value (no reference counting): task lanes are never freed (the registry keeps
/// every task lane, busy or pooled, for the life of the process), so the binding holds its lane
/// unmanaged. Reading the task-local then copies three words instead of retaining and releasing
/// the lane on every async scope.
@usableFromInline
struct TaskLaneBinding: Sendable {
    @usableFromInline let lane: Unmanaged<Lane>
    /// The lane's `binding` count when it was taken; a mismatch means the lane went back to
    /// the pool and this binding is a stale copy inherited by an unstructured task.
    @usableFromInline let generation: UInt64
    /// The task that owns the lane. Child tasks inherit task-locals, so they must compare.
    @usableFromInline let owner: UInt

    @usableFromInline
    init(lane: Unmanaged<Lane>, generation: UInt64, owner: UInt) {
        self.lane = lane
        self.generation = generation
        self.owner = owner
    }

    /// The task-local itself, spelled out (not `@TaskLocal`) so inlinable code can bind it.
    @usableFromInline
    static let local = TaskLocal<TaskLaneBinding?>(wrappedValue: nil)

    @inlinable
    static var current: TaskLaneBinding? { local.get() }
}

/// The lane bound to the current task, if this very task owns it.
@inlinable
func boundTaskLane() -> Unmanaged<Lane>? {
    guard let binding = TaskLaneBinding.current,
        binding.lane._withUnsafeGuaranteedRef({ $0.binding.load(ordering: .relaxed) }) == binding.generation
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

/// Takes a lane for the current task's outermost scope, binds it for `body`, and returns it
/// to the pool afterwards.
///
/// Inlinable so it is specialized for each caller's `T` and `Failure`: unspecialized, every
/// first scope of a task instantiated `Result<T, Failure>` metadata at run time.
@inlinable
nonisolated(nonsending) func withNewTaskLane<T, Failure: Error>(
    _ body: nonisolated(nonsending) (Lane) async throws(Failure) -> T
) async throws(Failure) -> T {
    // A child task inherits its parent's binding: that is the parent lane of the new one.
    let lane = LaneRegistry.shared.takeTaskLane(parent: TaskLaneBinding.current)
    defer { LaneRegistry.shared.returnTaskLane(lane) }
    let owner = withUnsafeCurrentTask { taskIdentity($0) }
    let binding = TaskLaneBinding(lane: Unmanaged.passUnretained(lane), generation: lane.binding.load(ordering: .relaxed), owner: owner)
    let result: Result<T, Failure> = await TaskLaneBinding.local.withValue(binding) {
        do throws(Failure) {
            return .success(try await body(lane))
        } catch {
            return .failure(error)
        }
    }
    return try result.get()
}
