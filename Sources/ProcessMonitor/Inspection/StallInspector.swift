/// Fills in the *why* of each stall a heartbeat reports: the lane's whole scope stack, what its
/// thread is doing (``Heartbeat/ThreadActivity``), and, when asked for, the thread's native backtrace,
/// once per stall. Monitor-thread state, kept between heartbeats: the CPU readings of threads
/// under stalled or nearly stalled scopes, and which stalls already have a backtrace.
///
/// The builder stays a pure function of the snapshot; this runs after it, on the few lanes it
/// reported, and is the only part of a heartbeat that reads `/proc/self/task`.
struct StallInspector {
    /// At most this many stalled threads per heartbeat get a thread reading (oldest first); the
    /// rest carry their stack only. Bounds a heartbeat's cost when thousands of lanes stall at
    /// once. Stalled tasks do not count: they are not read.
    static let maxInspectedThreads = 64

    /// ``maxInspectedThreads`` unless a test widens it: a test's own probe must not lose its
    /// reading to the stalled threads of tests running beside it in the same process.
    var threadBudget = Self.maxInspectedThreads

    var inspector: ThreadInspector
    /// Captures a thread's native stack (innermost first), or `nil`; set only when stacks are
    /// captured (``MonitorConfiguration/captureStacks``).
    var captureBacktrace: ((Int32) -> [String]?)?

    private struct StallKey: Hashable {
        var lane: UInt
        var depth: Int
        var entered: UInt64
    }

    private var cpuReadings: [Int32: (ticks: UInt64, at: UInt64)] = [:]
    private var backtraced: Set<StallKey> = []

    init(inspector: ThreadInspector = ThreadInspector(), captureBacktrace: ((Int32) -> [String]?)? = nil) {
        self.inspector = inspector
        self.captureBacktrace = captureBacktrace
    }

    /// Adds stacks, thread activity and backtraces to `built`'s stalls. `lane` finds a live lane
    /// by its key (`nil` for records built by hand).
    mutating func inspect(
        _ built: inout BuiltHeartbeat, snapshot: MonitorSnapshot, now: UInt64, lane: (UInt) -> Lane?
    ) {
        var readings: [Int32: (ticks: UInt64, at: UInt64)] = [:]
        var stallKeys: Set<StallKey> = []
        var inspectedThreads = 0
        for (position, index) in built.stalledRecords.enumerated() {
            let record = snapshot.lanes[index]
            if record.key != 0, let live = lane(record.key),
               let frames = live.readStack(generation: record.generation) {
                built.heartbeat.stalls[position].stack = frames.map {
                    Heartbeat.ScopeFrame(label: $0.label, age: .milliseconds(HeartbeatBuilder.milliseconds(from: $0.entered, to: now)))
                }
            }
            if record.id.kind == .task {
                built.heartbeat.stalls[position].thread = .suspended
                continue
            }
            guard record.threadID != 0, inspectedThreads < threadBudget else { continue }
            inspectedThreads += 1
            guard let reading = inspector.read(threadID: record.threadID) else { continue }
            built.heartbeat.stalls[position].thread = inspector.activity(
                threadID: record.threadID, reading: reading, previous: cpuReadings[record.threadID], now: now
            )
            if let ticks = reading.cpuTicks { readings[record.threadID] = (ticks, now) }
            let key = StallKey(lane: record.key, depth: record.depth, entered: record.entered)
            stallKeys.insert(key)
            if let captureBacktrace, !backtraced.contains(key) {
                backtraced.insert(key)
                built.heartbeat.stalls[position].backtrace = captureBacktrace(record.threadID)
            }
        }
        // Threads that may stall by the next heartbeat: a reading now gives that stall a CPU
        // figure over a whole window.
        for index in built.nearStallRecords.prefix(threadBudget) {
            let threadID = snapshot.lanes[index].threadID
            if let ticks = inspector.cpuTicks(threadID: threadID) { readings[threadID] = (ticks, now) }
        }
        cpuReadings = readings
        // A stall that ended (or moved out of the inspected set) may stall again later: that is
        // a new stall, with a new entry time, and gets a backtrace of its own.
        backtraced.formIntersection(stallKeys)
    }
}
