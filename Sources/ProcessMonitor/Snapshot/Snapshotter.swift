/// Takes snapshots of the lane registry; owned by one monitor thread, buffers reused.
final class Snapshotter {
    /// The registry's list as of `listVersion`, kept between snapshots.
    private var laneBuffer: [Unmanaged<Lane>] = []
    private var idBuffer: [LaneID?] = []
    private var listVersion = UInt64.max
    private var snapshot = MonitorSnapshot()
    private let registry: LaneRegistry

    init(registry: LaneRegistry = .shared) {
        self.registry = registry
    }

    /// Reads every lane. The registry lock is held only to copy the lane list, so threads and
    /// tasks creating their first lane are never blocked for the whole read, and no scope
    /// enter or exit ever waits for it.
    func take() -> MonitorSnapshot {
        // Before the read: every scope this snapshot can show then ends with a timed exit.
        ScopeClock.shared.monitorWillSnapshot()
        registry.lanes(into: &laneBuffer, ids: &idBuffer, ifChangedSince: &listVersion)
        // Built in a local and handed back whole: no exclusivity checks on a class property per
        // lane, and the arrays' capacity is kept for the next beat.
        var snapshot = self.snapshot
        self.snapshot = MonitorSnapshot()
        snapshot.lanes.removeAll(keepingCapacity: true)
        snapshot.labelBytes.removeAll(keepingCapacity: true)
        snapshot.busyLanes = 0
        var state = RawLaneState()
        for index in laneBuffer.indices {
            // Lanes are never freed, so no reference count is needed to read one.
            let read = laneBuffer[index]._withUnsafeGuaranteedRef { $0.read(into: &snapshot.labelBytes, state: &state) }
            switch read {
            case .idle:
                continue
            case .busy:
                snapshot.busyLanes += 1
            case .open:
                snapshot.lanes.append(
                    LaneRecord(
                        id: idBuffer[index] ?? LaneID(kind: .task, number: state.taskNumber),
                        depth: state.depth,
                        label: .raw(state.label),
                        entered: state.entered,
                        lastChange: state.lastChange,
                        progress: state.progress,
                        key: UInt(bitPattern: laneBuffer[index].toOpaque()),
                        parentKey: state.parentKey,
                        stallThresholdMilliseconds: state.stallThresholdMilliseconds,
                        generation: state.generation,
                        threadID: state.threadID
                    )
                )
            }
        }
        // Handed over whole: the heartbeat marks its counters in it (``ProgressWatch``), and a
        // copy kept here would make that write copy every lane. ``recycle(_:)`` gives it back.
        return snapshot
    }

    /// Takes back a snapshot the heartbeat is done with, so the next ``take()`` reuses its
    /// buffers' capacity.
    func recycle(_ snapshot: consuming MonitorSnapshot) {
        self.snapshot = snapshot
    }
}
