/// What one lane was doing at snapshot time.
struct LaneRecord: Equatable {
    /// A label as read from a lane, or a ready string (tests and decoders build these).
    enum Label: Equatable {
        case text(String)
        case raw(RawLabel)
    }

    var id: LaneID
    var depth: Int
    var label: Label
    /// Monotonic nanoseconds at which the innermost frame was entered.
    var entered: UInt64
    /// Monotonic nanoseconds of the lane's last push or pop.
    var lastChange: UInt64
    /// The innermost frame that has a progress counter.
    var progress: RawProgress?
}

/// Every open lane at one instant, plus the bytes of their dynamic labels.
///
/// Lanes are copied into flat, reused buffers and labels stay raw until the heartbeat picks the
/// handful of lines that show them, so a snapshot of a thousand lanes allocates almost nothing.
struct MonitorSnapshot {
    var lanes: [LaneRecord] = []
    var labelBytes: [UInt8] = []
    /// Lanes that changed under the reader on every attempt; counted, not shown.
    var busyLanes = 0

    func resolve(_ label: LaneRecord.Label) -> String {
        switch label {
        case .text(let text):
            return text
        case .raw(.staticBytes(let start, let count)):
            guard let start else { return "" }
            return String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
        case .raw(.scalar(let value)):
            return Unicode.Scalar(value).map { String(Character($0)) } ?? "\u{FFFD}"
        case .raw(.buffered(let range)):
            guard range.upperBound <= labelBytes.count else { return "" }
            return String(decoding: labelBytes[range], as: UTF8.self)
        }
    }
}

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
                        progress: state.progress
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
