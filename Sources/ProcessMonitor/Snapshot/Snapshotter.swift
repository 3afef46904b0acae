/// Takes snapshots of the lane registry; owned by one monitor thread, buffers reused.
final class Snapshotter {
    private var laneBuffer: [Unmanaged<Lane>] = []
    private var idBuffer: [LaneID?] = []
    private var snapshot = MonitorSnapshot()
    private let registry: LaneRegistry

    init(registry: LaneRegistry = .shared) {
        self.registry = registry
    }

    /// Reads every lane. The registry lock is held only to copy the lane list, so threads and
    /// tasks creating their first lane are never blocked for the whole read, and no scope
    /// enter or exit ever waits for it.
    func take() -> MonitorSnapshot {
        registry.lanes(into: &laneBuffer, ids: &idBuffer)
        // Built in a local and handed back whole: no exclusivity checks on a class property per
        // lane, and the arrays' capacity is kept for the next beat.
        var snapshot = self.snapshot
        self.snapshot = MonitorSnapshot()
        snapshot.lanes.removeAll(keepingCapacity: true)
        snapshot.labelBytes.removeAll(keepingCapacity: true)
        snapshot.busyLanes = 0
        for index in laneBuffer.indices {
            // Lanes are never freed, so no reference count is needed to read one.
            let read = laneBuffer[index]._withUnsafeGuaranteedRef { $0.read(into: &snapshot.labelBytes) }
            switch read {
            case .idle:
                continue
            case .busy:
                snapshot.busyLanes += 1
            case .open(let state):
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
        laneBuffer.removeAll(keepingCapacity: true)
        idBuffer.removeAll(keepingCapacity: true)
        self.snapshot = snapshot
        return snapshot
    }
}
