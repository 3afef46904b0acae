#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Every lane the monitor must read, and the pool of idle task lanes.
///
/// The registry lock is taken when a thread gets its first lane or exits, when a task lane
/// moves between the shared pool and use, and by the monitor for as long as it takes to copy
/// the list of lanes: never on scope enter or exit, and never while the monitor reads the lanes.
///
/// Lanes are never freed: a thread's lane goes to a pool when the thread exits and serves the
/// next new thread, and task lanes are pooled between a task's outermost scopes. So anything
/// may hold a lane unretained (a task-local binding, a stale copy of one, a `ScopeProgress`
/// that escaped its scope) without a reference count on the hot path, and the pools are as
/// large as the most threads, and tasks inside a scope, ever alive at once. Pooled lanes are
/// idle by definition, so they are taken out of the list the monitor reads: a burst of 20 000
/// tasks does not make every later heartbeat scan 20 000 empty lanes. Each thread also keeps one idle task lane at hand, so a
/// task's outermost scope in a loop (`for x in xs { await withScope(…) }`) takes and returns
/// it without the lock.
@usableFromInline
final class LaneRegistry: Sendable {
    @usableFromInline static let shared = LaneRegistry()

    private struct State {
        /// The lanes the monitor reads, with each thread lane's id (`nil` for task lanes, whose
        /// number is read from the lane).
        var lanes: [Lane] = []
        var ids: [LaneID?] = []
        var freeTaskLanes: [Lane] = []
        var freeThreadLanes: [Lane] = []
        var nextThreadNumber: UInt64 = 1
        /// Bumped whenever `lanes` or `ids` change, so a reader whose copy is current skips the copy.
        var version: UInt64 = 0

        mutating func register(_ lane: Lane, id: LaneID?) {
            version &+= 1
            lane.registryIndex.store(lanes.count, ordering: .relaxed)
            lanes.append(lane)
            ids.append(id)
        }

        mutating func unregister(_ lane: Lane) {
            let index = lane.registryIndex.load(ordering: .relaxed)
            guard index >= 0, index < lanes.count, lanes[index] === lane else { return }
            version &+= 1
            let last = lanes.removeLast()
            let lastID = ids.removeLast()
            if last !== lane {
                lanes[index] = last
                ids[index] = lastID
                last.registryIndex.store(index, ordering: .relaxed)
            }
            lane.registryIndex.store(-1, ordering: .relaxed)
        }
    }

    private let state = LockedValue(State())
    private let nextTaskNumber = Atomic<UInt64>(1)

    /// Copies the list of lanes to read (every live thread's, and the task lanes in use or at
    /// hand) with the thread lanes' ids, unless it has not changed since `version`, the version
    /// of the copy the caller holds, which is then updated. Most heartbeats copy nothing: the
    /// list changes only when a thread or task takes or gives back a lane.
    /// Unretained: lanes are never freed.
    func lanes(into buffer: inout [Unmanaged<Lane>], ids: inout [LaneID?], ifChangedSince version: inout UInt64) {
        state.withLock {
            guard $0.version != version else { return }
            version = $0.version
            buffer.removeAll(keepingCapacity: true)
            ids.removeAll(keepingCapacity: true)
            buffer.append(contentsOf: $0.lanes.lazy.map { Unmanaged.passUnretained($0) })
            ids.append(contentsOf: $0.ids)
        }
    }

    /// Copies the list of lanes to read.
    func lanes(into buffer: inout [Lane]) {
        buffer.removeAll(keepingCapacity: true)
        state.withLock { buffer.append(contentsOf: $0.lanes) }
    }

    /// The calling thread's lane name, for tests: the id the registry gave its lane.
    func currentLaneNames() -> [String] {
        let lane = currentThreadLane()
        return state.withLock { state in
            state.lanes.indices.compactMap { state.lanes[$0] === lane ? state.ids[$0]?.name : nil }
        }
    }

    /// Gives a thread lane a new name; heartbeats show it from the next one.
    func rename(_ lane: Lane, to name: String?) {
        state.withLock { state in
            let index = lane.registryIndex.load(ordering: .relaxed)
            guard index >= 0, index < state.lanes.count, state.lanes[index] === lane else { return }
            state.ids[index]?.name = name
            state.version &+= 1
        }
    }

    /// Idle thread lanes waiting for a new thread.
    var pooledThreadLaneCount: Int { state.withLock { $0.freeThreadLanes.count } }

    /// Lanes the monitor reads.
    var laneCount: Int { state.withLock { $0.lanes.count } }

    /// Idle task lanes in the shared pool.
    var pooledTaskLaneCount: Int { state.withLock { $0.freeTaskLanes.count } }

    func makeThreadLane(name: String?) -> Lane {
        state.withLock { state in
            let lane: Lane
            if let pooled = state.freeThreadLanes.popLast() {
                pooled.resetForNewOwner()
                lane = pooled
            } else {
                lane = Lane(kind: .thread)
            }
            lane.threadID.store(currentKernelThreadID(), ordering: .relaxed)
            state.register(lane, id: LaneID(kind: .thread, number: state.nextThreadNumber, name: name))
            state.nextThreadNumber += 1
            return lane
        }
    }

    /// Called as the lane's thread exits: its lane goes to the pool for the next new thread, and
    /// the task lane it kept at hand back to the shared pool.
    func retire(_ lane: Lane) {
        let cached = lane.cachedTaskLane.exchange(nil, ordering: .relaxed)?.takeUnretainedValue()
        state.withLock { state in
            state.unregister(lane)
            state.freeThreadLanes.append(lane)
            if let cached {
                state.unregister(cached)
                state.freeTaskLanes.append(cached)
            }
        }
    }

    /// A task lane for a task's outermost `async` scope: the one this thread keeps at hand, or
    /// one from the pool, or a new one.
    /// `parent` is the binding the task inherited: the lane of the task it was started from,
    /// recorded so a heartbeat can tell a parent waiting on live children from a stalled one.
    @usableFromInline
    func takeTaskLane(parent: TaskLaneBinding? = nil) -> Lane {
        let thread = currentThreadLane()
        let lane: Lane
        if let cached = thread.cachedTaskLane.exchange(nil, ordering: .relaxed) {
            lane = cached.takeUnretainedValue()
        } else {
            lane = state.withLock { state in
                let lane = state.freeTaskLanes.popLast() ?? Lane(kind: .task)
                state.register(lane, id: nil)
                return lane
            }
        }
        // Published before the first push, so a reader that sees the push sees them.
        lane.taskNumber.store(nextTaskNumber.add(1, ordering: .relaxed).oldValue, ordering: .relaxed)
        lane.parentLane.store(parent?.lane, ordering: .relaxed)
        lane.parentBinding.store(parent?.generation ?? 0, ordering: .relaxed)
        return lane
    }

    /// Gives back a task lane whose outermost scope ended: kept at hand by this thread when it
    /// has none, otherwise returned to the shared pool.
    @usableFromInline
    func returnTaskLane(_ lane: Lane) {
        // Any binding still naming this lane (a stale task-local copy, a child's parent link)
        // is now out of date.
        lane.binding.add(1, ordering: .relaxed)
        lane.parentLane.store(nil, ordering: .relaxed)
        let thread = currentThreadLane()
        if thread.cachedTaskLane.load(ordering: .relaxed) == nil {
            thread.cachedTaskLane.store(Unmanaged.passUnretained(lane), ordering: .relaxed)
            return
        }
        state.withLock { state in
            state.unregister(lane)
            state.freeTaskLanes.append(lane)
        }
    }
}
