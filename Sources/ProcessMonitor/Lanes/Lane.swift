#if canImport(Glibc)
public import Glibc
#elseif canImport(Musl)
public import Musl
#elseif canImport(Darwin)
public import Darwin
#endif
public import Synchronization

/// One thread's or one task's stack of scopes.
///
/// Only the lane's owner (its thread, or the task it is bound to) pushes and pops; the monitor
/// reads it from another thread. That split is what keeps the hot path free of locks:
///
/// - Every frame field is a relaxed atomic in a fixed inline buffer. On x86-64 and arm64 those
///   compile to plain loads and stores, and they make the reader's racy copy well defined (and
///   clean under the thread sanitizer).
/// - One packed state word, `generation << 24 | depth`, is the seqlock: the owner publishes each
///   push and pop with a single release store; the reader copies what it needs between two
///   reads of the word and retries if it changed. Because only a push or pop changes it, a
///   reader needs about one retry against a hot writer, where a classic odd/even seqlock needed
///   dozens (measured on this project's 2-core machines: ~1 retry on average against a hot
///   writer, against 15-30 and up to 600 000 for an odd/even seqlock).
/// - Nothing a reader dereferences is ever freed by the owner: `StaticString` labels are
///   immortal, `String` labels are copied into the lane's own byte arena, and progress counters
///   live in the lane. So a torn read is at worst stale, never unsafe, and is discarded by the
///   generation check before any pointer in it is followed.
///
/// Frames deeper than ``capacity`` are counted in the depth but not stored; the heartbeat then
/// shows the deepest stored frame.
@usableFromInline
final class Lane: Sendable {
    /// Stored frames per lane; deeper frames are only counted.
    @usableFromInline static let capacity = 64
    /// Bytes of `String` labels a lane can hold at once (8-byte words).
    static let arenaWords = 512
    /// Longest prefix of one `String` label the lane keeps.
    static let maxStoredLabelBytes = 1024

    @usableFromInline static let depthBits: UInt64 = 24
    @usableFromInline static let depthMask: UInt64 = (1 << 24) - 1

    // Frame word 2 layout: low 32 bits label byte count, then kind and flags.
    @usableFromInline static let kindShift: UInt64 = 32
    @usableFromInline static let kindStaticPointer: UInt64 = 0
    @usableFromInline static let kindStaticScalar: UInt64 = 1
    @usableFromInline static let kindArena: UInt64 = 2
    @usableFromInline static let progressFlag: UInt64 = 1 << 40
    /// The frame has a stall threshold of its own in `frameThreshold`.
    @usableFromInline static let thresholdFlag: UInt64 = 1 << 41

    /// The scopes' clock (one shared instance), reached through the lane without a call,
    /// declared here to share the state word's cache line.
    @usableFromInline let clock: ScopeClock
    /// Where the owner's clock reads land: a buffer on the stack would cost the hot path a
    /// stack-protector check and a zeroing per read.
    // nonisolated(unsafe): only the lane's owner (one thread at a time) reads the clock into it.
    @usableFromInline nonisolated(unsafe) let clockScratch: UnsafeMutablePointer<timespec> = {
        let scratch = UnsafeMutablePointer<timespec>.allocate(capacity: 1)
        scratch.initialize(to: timespec())
        return scratch
    }()

    /// Thread or task. A thread lane's number and name live in the registry (they change when
    /// the lane is reused by a new thread); a task lane gets a new number each time it is taken,
    /// published here before the first push.
    @usableFromInline let kind: LaneID.Kind
    @usableFromInline let taskNumber = Atomic<UInt64>(0)

    @usableFromInline let state = Atomic<UInt64>(0)
    @usableFromInline let lastChange = Atomic<UInt64>(0)
    @usableFromInline let arenaTop = Atomic<UInt64>(0)
    /// Bumped each time a task lane goes back to the pool, so a stale task-local binding
    /// (an unstructured `Task` that inherited it) can tell the lane is no longer its own.
    @usableFromInline let binding = Atomic<UInt64>(0)

    @usableFromInline let entered: InlineArray<64, Atomic<UInt64>>
    @usableFromInline let labelWord: InlineArray<64, Atomic<UInt64>>
    @usableFromInline let labelInfo: InlineArray<64, Atomic<UInt64>>
    @usableFromInline let progressCurrent: InlineArray<64, Atomic<UInt64>>
    @usableFromInline let progressTotal: InlineArray<64, Atomic<UInt64>>
    @usableFromInline let progressEpoch: InlineArray<64, Atomic<UInt64>>
    /// A frame's own stall threshold in milliseconds (`UInt64.max`: never), read only when the
    /// frame's `labelInfo` has `thresholdFlag`, so scopes without one never write it.
    @usableFromInline let frameThreshold: InlineArray<64, Atomic<UInt64>>
    /// The lane of the task this lane's task was started from, and that lane's `binding` count
    /// then: a task tree, for telling a parent waiting on live children from a stalled one.
    /// Written when a task takes this lane, before its first push; cleared when it gives it back.
    let parentLane = Atomic<Unmanaged<Lane>?>(nil)
    let parentBinding = Atomic<UInt64>(0)
    /// The lane's place in the registry's list, changed only under the registry lock.
    let registryIndex = Atomic<Int>(-1)
    /// A thread lane's kernel thread id (`gettid()`), set by the registry when a thread takes
    /// the lane, 0 for task lanes: what the monitor reads `/proc/self/task/TID` by when the
    /// lane stalls.
    let threadID = Atomic<Int32>(0)
    /// A thread lane's idle task lane kept at hand (see ``LaneRegistry``); owner thread only.
    let cachedTaskLane = Atomic<Unmanaged<Lane>?>(nil)
    /// Allocated on the first `String` label and kept for the lane's life.
    @usableFromInline let arena = Atomic<Unmanaged<LabelArena>?>(nil)

    init(kind: LaneID.Kind, clock: ScopeClock = .shared) {
        self.kind = kind
        self.clock = clock
        entered = InlineArray { _ in Atomic(0) }
        labelWord = InlineArray { _ in Atomic(0) }
        labelInfo = InlineArray { _ in Atomic(0) }
        progressCurrent = InlineArray { _ in Atomic(0) }
        progressTotal = InlineArray { _ in Atomic(0) }
        progressEpoch = InlineArray { _ in Atomic(0) }
        frameThreshold = InlineArray { _ in Atomic(0) }
    }

    deinit {
        // Lanes are never freed (see `LaneRegistry`): anything may hold one unretained, so a
        // lane going away would leave those holders dangling.
        assertionFailure("a Lane was freed; lanes must live for the whole process")
        arena.load(ordering: .acquiring)?.release()
        clockScratch.deallocate()
    }

    // MARK: Owner side (hot path)

    /// Pushes a frame with a static label. Returns the new frame's epoch (for progress).
    @inlinable @inline(__always)
    @discardableResult
    func push(_ label: StaticString, progressTotal total: UInt64? = nil, stallThreshold: UInt64? = nil) -> UInt64 {
        let word: UInt64
        let info: UInt64
        if label.hasPointerRepresentation {
            word = UInt64(UInt(bitPattern: label.utf8Start))
            info = UInt64(label.utf8CodeUnitCount) | (Self.kindStaticPointer << Self.kindShift)
        } else {
            word = UInt64(label.unicodeScalar.value)
            info = Self.kindStaticScalar << Self.kindShift
        }
        return pushFrame(word: word, info: info, progressTotal: total, stallThreshold: stallThreshold)
    }

    /// Pushes a frame with a dynamic label, copying (a prefix of) its bytes into the arena.
    @inlinable
    @discardableResult
    func push(string label: String, progressTotal total: UInt64? = nil, stallThreshold: UInt64? = nil) -> UInt64 {
        // A frame too deep to store keeps no bytes: its pop could not give them back.
        if depth >= Self.capacity {
            return pushFrame(word: 0, info: Self.kindArena << Self.kindShift, progressTotal: total, stallThreshold: stallThreshold)
        }
        // A native string lends its bytes in place; only a bridged or other non-contiguous
        // one is copied first.
        let words = label.utf8.withContiguousStorageIfAvailable { storeInArena($0) }
        let (word, info): (UInt64, UInt64)
        if let words {
            (word, info) = words
        } else {
            var copy = label
            (word, info) = copy.withUTF8 { storeInArena($0) }
        }
        return pushFrame(word: word, info: info, progressTotal: total, stallThreshold: stallThreshold)
    }

    @inlinable @inline(__always)
    func pushFrame(word: UInt64, info: UInt64, progressTotal total: UInt64?, stallThreshold: UInt64?) -> UInt64 {
        let s = state.load(ordering: .relaxed)
        let depth = Int(truncatingIfNeeded: s & Self.depthMask)
        let epoch = (s >> Self.depthBits) &+ 1
        let now = clock.now(into: clockScratch)
        if depth < Self.capacity {
            // Orders these frame writes after the pop that last published this slot as free,
            // so a reader that sees them also sees the generation change (Boehm's seqlock).
            atomicMemoryFence(ordering: .releasing)
            entered[depth].store(now, ordering: .relaxed)
            labelWord[depth].store(word, ordering: .relaxed)
            var info = info
            if let stallThreshold {
                frameThreshold[depth].store(stallThreshold, ordering: .relaxed)
                info |= Self.thresholdFlag
            }
            if let total {
                progressCurrent[depth].store(0, ordering: .relaxed)
                progressTotal[depth].store(total, ordering: .relaxed)
                progressEpoch[depth].store(epoch, ordering: .relaxed)
                labelInfo[depth].store(info | Self.progressFlag, ordering: .relaxed)
            } else {
                labelInfo[depth].store(info, ordering: .relaxed)
            }
        }
        state.store((epoch << Self.depthBits) | UInt64(depth + 1), ordering: .releasing)
        lastChange.store(now, ordering: .relaxed)
        return epoch
    }

    /// Pops the innermost frame. A pop with nothing pushed is ignored.
    ///
    /// Reads the clock only for a scope a monitor may have seen open (see ``ScopeClock``): a
    /// scope that began after the latest snapshot ends untimed, and the lane's last change
    /// stays the time of its last entry.
    @inlinable @inline(__always)
    func pop() {
        let s = state.load(ordering: .relaxed)
        let depth = s & Self.depthMask
        guard depth > 0 else { return }
        let index = Int(truncatingIfNeeded: depth - 1)
        // A frame too deep to store has no entry time: its end is always timed.
        var enteredAt: UInt64 = 0
        if index < Self.capacity {
            let info = labelInfo[index].load(ordering: .relaxed)
            if info & Self.progressFlag != 0 {
                // Epochs start at 1: a copy of the counter that outlives its scope goes dead.
                progressEpoch[index].store(0, ordering: .relaxed)
            }
            if info & Self.arenaBit != 0 { releaseArenaLabel(at: index) }
            enteredAt = entered[index].load(ordering: .relaxed)
        }
        state.store((((s >> Self.depthBits) &+ 1) << Self.depthBits) | (depth - 1), ordering: .releasing)
        if enteredAt <= clock.exitWatermark.load(ordering: .relaxed) {
            lastChange.store(clock.now(into: clockScratch), ordering: .relaxed)
        }
    }

    /// The label-info bit of a frame whose label is in the arena (`kindArena` is the only kind
    /// with it set).
    @usableFromInline static let arenaBit: UInt64 = Lane.kindArena << Lane.kindShift

    /// Gives the frame's arena bytes back; out of line, so the common pop stays small enough
    /// for the compiler to inline.
    @usableFromInline @inline(never)
    func releaseArenaLabel(at index: Int) {
        arenaTop.store(labelWord[index].load(ordering: .relaxed), ordering: .relaxed)
    }

    /// Current depth, as the owner sees it.
    @inlinable
    var depth: Int { Int(truncatingIfNeeded: state.load(ordering: .relaxed) & Self.depthMask) }

    /// Copies `bytes` (at most ``maxStoredLabelBytes``, cut at a scalar boundary) into the arena
    /// above the frames below, and returns the frame's label words.
    @usableFromInline
    func storeInArena(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        let arena = arenaStorage()
        // As in `pushFrame`: these writes reuse bytes a pop published as free.
        atomicMemoryFence(ordering: .releasing)
        let top = Int(truncatingIfNeeded: arenaTop.load(ordering: .relaxed))
        let room = Self.arenaWords * 8 - top
        var count = min(bytes.count, Self.maxStoredLabelBytes, room)
        // Never keep half a scalar: back off over UTF-8 continuation bytes.
        if count < bytes.count {
            while count > 0 && bytes[count] & 0xC0 == 0x80 { count -= 1 }
        }
        var wordIndex = top / 8
        var offset = 0
        // Whole words with one unaligned load each (little-endian, as the reader unpacks them),
        // then the tail byte by byte.
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while offset + 8 <= count {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                arena.words[wordIndex].store(word, ordering: .relaxed)
                wordIndex += 1
                offset += 8
            }
        }
        if offset < count {
            var word: UInt64 = 0
            for shift in 0..<(count - offset) {
                word |= UInt64(bytes[offset + shift]) << (UInt64(shift) * 8)
            }
            arena.words[wordIndex].store(word, ordering: .relaxed)
        }
        arenaTop.store(UInt64(top + (count + 7) / 8 * 8), ordering: .relaxed)
        return (UInt64(top), UInt64(count) | (Self.kindArena << Self.kindShift))
    }

    private func arenaStorage() -> LabelArena {
        if let existing = arena.load(ordering: .relaxed) {
            return existing.takeUnretainedValue()
        }
        let created = LabelArena()
        // Only the owner writes this slot, once; readers see it through the seqlock's ordering.
        arena.store(Unmanaged.passRetained(created), ordering: .releasing)
        return created
    }

    // MARK: Reader side (monitor thread)

    /// Copies what a heartbeat needs from this lane, or `nil` when it has no open scope.
    ///
    /// Retries while the owner changes the stack under it; after `maxAttempts` changes it gives
    /// up and returns ``LaneRead/busy`` rather than spin against a hot writer.
    func read(into labelBytes: inout [UInt8], maxAttempts: Int = 64) -> LaneRead {
        var copy = RawLaneState()
        switch read(into: &labelBytes, state: &copy, maxAttempts: maxAttempts) {
        case .idle: return .idle
        case .busy: return .busy
        case .open: return .open(copy)
        }
    }

    /// What ``read(into:state:maxAttempts:)`` found: on `.open` the state was written.
    enum ReadOutcome { case idle, busy, open }

    /// The form of ``read(into:maxAttempts:)`` the snapshotter uses: the state goes into
    /// `copy`, one reused value, instead of an enum's payload. The state has grown past what
    /// Swift copies inline, and returning it inside an enum cost two `memcpy` calls per lane.
    func read(into labelBytes: inout [UInt8], state copy: inout RawLaneState, maxAttempts: Int = 64) -> ReadOutcome {
        for _ in 0..<maxAttempts {
            let s1 = state.load(ordering: .acquiring)
            let depth = Int(truncatingIfNeeded: s1 & Self.depthMask)
            if depth == 0 { return .idle }
            let deepest = min(depth, Self.capacity) - 1
            let enteredAt = entered[deepest].load(ordering: .relaxed)
            let word = labelWord[deepest].load(ordering: .relaxed)
            let info = labelInfo[deepest].load(ordering: .relaxed)
            var progress: RawProgress?
            var index = deepest
            while index >= 0 {
                if labelInfo[index].load(ordering: .relaxed) & Self.progressFlag != 0 {
                    progress = RawProgress(
                        current: progressCurrent[index].load(ordering: .relaxed),
                        total: progressTotal[index].load(ordering: .relaxed),
                        entered: entered[index].load(ordering: .relaxed),
                        epoch: progressEpoch[index].load(ordering: .relaxed)
                    )
                    break
                }
                index -= 1
            }
            let changed = lastChange.load(ordering: .relaxed)
            let task = taskNumber.load(ordering: .relaxed)
            let threshold = info & Self.thresholdFlag != 0 ? frameThreshold[deepest].load(ordering: .relaxed) : nil
            let parent = parentLane.load(ordering: .relaxed)
            let parentGeneration = parentBinding.load(ordering: .relaxed)
            let kind = (info >> Self.kindShift) & 0xFF
            let count = Int(truncatingIfNeeded: info & 0xFFFF_FFFF)
            let bytesStart = labelBytes.count
            if kind == Self.kindArena, count > 0, let storage = self.arena.load(ordering: .acquiring) {
                // Bounded by the arena's size whatever a torn read says, so always memory-safe.
                let arenaObject = storage.takeUnretainedValue()
                let first = Int(truncatingIfNeeded: word) / 8
                let wordCount = min((count + 7) / 8, Self.arenaWords - min(first, Self.arenaWords))
                var remaining = count
                for w in 0..<wordCount {
                    let value = arenaObject.words[first + w].load(ordering: .relaxed)
                    for shift in 0..<min(8, remaining) {
                        labelBytes.append(UInt8(truncatingIfNeeded: value >> (UInt64(shift) * 8)))
                    }
                    remaining -= 8
                }
            }
            atomicMemoryFence(ordering: .acquiring)
            let s2 = state.load(ordering: .relaxed)
            guard s1 == s2 else {
                labelBytes.removeSubrange(bytesStart...)
                continue
            }
            let label: RawLabel
            switch kind {
            case Self.kindStaticPointer:
                label = .staticBytes(
                    UnsafePointer(bitPattern: UInt(truncatingIfNeeded: word)), count
                )
            case Self.kindStaticScalar:
                label = .scalar(UInt32(truncatingIfNeeded: word))
            default:
                label = .buffered(bytesStart..<labelBytes.count)
            }
            // The parent link holds only while the parent lane is still bound to the task that
            // started this one: once that task's outermost scope ended, the lane went back to
            // the pool and its binding count moved on.
            let parentKey = parent.flatMap { lane in
                lane._withUnsafeGuaranteedRef { $0.binding.load(ordering: .relaxed) } == parentGeneration
                    ? UInt(bitPattern: lane.toOpaque()) : nil
            }
            copy.depth = depth
            copy.label = label
            copy.entered = enteredAt
            copy.lastChange = changed
            copy.progress = progress
            copy.taskNumber = task
            copy.stallThresholdMilliseconds = threshold
            copy.parentKey = parentKey
            copy.generation = s1
            copy.threadID = threadID.load(ordering: .relaxed)
            return .open
        }
        return .busy
    }

    /// Every stored frame, outermost first, as long as the lane has not pushed or popped since
    /// `generation` was read (``RawLaneState/generation``); `nil` once it has, or when the owner
    /// keeps changing it. For the few lanes a heartbeat reports as stalled: it allocates.
    func readStack(generation: UInt64, maxAttempts: Int = 16) -> [(label: String, entered: UInt64)]? {
        var bytes: [UInt8] = []
        var raw: [(RawLabel, UInt64)] = []
        for _ in 0..<maxAttempts {
            let s1 = state.load(ordering: .acquiring)
            guard s1 == generation else { return nil }
            let stored = min(Int(truncatingIfNeeded: s1 & Self.depthMask), Self.capacity)
            bytes.removeAll(keepingCapacity: true)
            raw.removeAll(keepingCapacity: true)
            let storage = arena.load(ordering: .acquiring)
            for index in 0..<stored {
                let word = labelWord[index].load(ordering: .relaxed)
                let info = labelInfo[index].load(ordering: .relaxed)
                let kind = (info >> Self.kindShift) & 0xFF
                let count = Int(truncatingIfNeeded: info & 0xFFFF_FFFF)
                let label: RawLabel
                switch kind {
                case Self.kindStaticPointer:
                    label = .staticBytes(UnsafePointer(bitPattern: UInt(truncatingIfNeeded: word)), count)
                case Self.kindStaticScalar:
                    label = .scalar(UInt32(truncatingIfNeeded: word))
                default:
                    let start = bytes.count
                    if count > 0, let storage {
                        // Bounded by the arena's size whatever a torn read says.
                        let arenaObject = storage.takeUnretainedValue()
                        let first = min(Int(truncatingIfNeeded: word) / 8, Self.arenaWords)
                        let wordCount = min((count + 7) / 8, Self.arenaWords - first)
                        var remaining = count
                        for w in 0..<wordCount {
                            let value = arenaObject.words[first + w].load(ordering: .relaxed)
                            for shift in 0..<min(8, remaining) {
                                bytes.append(UInt8(truncatingIfNeeded: value >> (UInt64(shift) * 8)))
                            }
                            remaining -= 8
                        }
                    }
                    label = .buffered(start..<bytes.count)
                }
                raw.append((label, entered[index].load(ordering: .relaxed)))
            }
            atomicMemoryFence(ordering: .acquiring)
            guard state.load(ordering: .relaxed) == s1 else { continue }
            // Only now, with the copy known to be whole, are static label pointers followed.
            let snapshot = MonitorSnapshot(labelBytes: bytes)
            return raw.map { (snapshot.resolve(.raw($0.0)), $0.1) }
        }
        return nil
    }

    /// The time the frame at `depth` (1-based) was entered, if the lane is at least that deep
    /// and the frame is stored; `nil` otherwise. For telling whether a scope reported as
    /// stalled is still open under newer frames.
    func enteredTime(ofFrameAt depth: Int) -> UInt64? {
        guard depth >= 1, depth <= Self.capacity else { return nil }
        for _ in 0 ..< 64 {
            let s1 = state.load(ordering: .acquiring)
            guard Int(truncatingIfNeeded: s1 & Self.depthMask) >= depth else { return nil }
            let time = entered[depth - 1].load(ordering: .relaxed)
            atomicMemoryFence(ordering: .acquiring)
            if state.load(ordering: .relaxed) == s1 { return time }
        }
        return nil
    }

    /// Makes an idle lane ready for a new owner (a new thread, after its last one exited with
    /// scopes still open, say). Only called by the registry before the new owner sees the lane.
    func resetForNewOwner() {
        let s = state.load(ordering: .relaxed)
        arenaTop.store(0, ordering: .relaxed)
        // Counters of frames the old owner never closed die with it.
        for index in 0..<Self.capacity { progressEpoch[index].store(0, ordering: .relaxed) }
        state.store((((s >> Self.depthBits) &+ 1) << Self.depthBits), ordering: .releasing)
    }
}

/// A lane's `String`-label bytes, written by the owner and read by the monitor.
@usableFromInline
final class LabelArena: Sendable {
    @usableFromInline let words: InlineArray<512, Atomic<UInt64>>
    init() { words = InlineArray { _ in Atomic(0) } }
}

/// A label as read from a lane, resolved to a `String` only for the lines that show it.
enum RawLabel: Equatable {
    case staticBytes(UnsafePointer<UInt8>?, Int)
    case scalar(UInt32)
    case buffered(Range<Int>)
}

struct RawProgress: Equatable {
    var current: UInt64
    var total: UInt64
    var entered: UInt64
    /// The counted frame's epoch: with the lane, it names this counter across heartbeats (a
    /// new scope at the same depth gets a new one), so the monitor can tell it moved.
    var epoch: UInt64 = 0
}

struct RawLaneState: Equatable {
    var depth: Int = 0
    var label: RawLabel = .scalar(0)
    var entered: UInt64 = 0
    var lastChange: UInt64 = 0
    var progress: RawProgress?
    var taskNumber: UInt64 = 0
    /// The innermost frame's own stall threshold, when it has one (`UInt64.max`: never).
    var stallThresholdMilliseconds: UInt64?
    /// The parent lane's identity (its address), while the link holds.
    var parentKey: UInt?
    /// The state word the copy was taken at: ``Lane/readStack(generation:maxAttempts:)`` reads the
    /// same stack later only if it has not changed since.
    var generation: UInt64 = 0
    /// The kernel thread id of a thread lane; 0 for task lanes.
    var threadID: Int32 = 0
}

enum LaneRead: Equatable {
    case idle
    case busy
    case open(RawLaneState)
}
