import Foundation

/// One heartbeat: what the process is doing right now, as a plain value.
///
/// A `Heartbeat` is built by the monitor from a snapshot of every live scope lane, a sample of
/// the process's resources and the monitor's clock. It knows nothing about output formats:
/// exporters in `MonitorExport` turn it into text, JSON Lines or logfmt.
///
/// ```swift
/// let monitor = try ProcessMonitor.start(observers: [
///     ClosureObserver { heartbeat in
///         if !heartbeat.stalls.isEmpty { alertOnCall(heartbeat.stalls) }
///     },
/// ])
/// ```
public struct Heartbeat: Sendable, Equatable {
    /// Why a heartbeat was produced.
    public enum Trigger: String, Sendable, Equatable, CaseIterable {
        /// The configured interval elapsed.
        case scheduled
        /// Someone called ``ProcessMonitor/emitNow()``.
        case requested
        /// The last heartbeat, produced by ``ProcessMonitor/stop()``.
        case final
    }

    /// Position of this heartbeat in the monitor's sequence, from 1; a gap means a lost record.
    public var sequence: UInt64
    /// Wall-clock time at which the heartbeat was taken.
    public var timestamp: Date
    /// Why this heartbeat was produced.
    public var trigger: Trigger
    /// The process id of the monitored process.
    public var processID: Int32
    /// Time since the monitor started.
    public var elapsed: Duration
    /// Memory, thread and I/O figures; each is `nil` where the platform does not report it.
    public var resources: ResourceUsage
    /// CPU cores kept busy over the measured window.
    public var cpu: CPUUsage
    /// Number of lanes (threads or tasks) that are inside at least one scope.
    public var instrumentedLanes: Int
    /// The phase whose innermost scope has been running longest, or `nil` when idle.
    public var active: ActivePhase?
    /// Phases whose innermost scope has run for at least ``stallThreshold``, oldest first.
    /// Stalls are never capped.
    public var stalls: [Stall]
    /// Per-lane phases, oldest innermost scope first, capped at the configured maximum.
    public var phases: [Phase]
    /// How many phases were left out of ``phases`` by the cap.
    public var omittedPhases: Int
    /// The stall threshold that was in force for this heartbeat.
    public var stallThreshold: Duration

    /// Creates a heartbeat value; the monitor builds these, tests and decoders may too.
    ///
    /// ```swift
    /// let idle = Heartbeat(sequence: 1, timestamp: Date(), trigger: .requested, processID: 42,
    ///                      elapsed: .seconds(5), resources: ResourceUsage(), cpu: CPUUsage(),
    ///                      instrumentedLanes: 0, active: nil, stalls: [], phases: [],
    ///                      omittedPhases: 0, stallThreshold: .seconds(120))
    /// ```
    public init(
        sequence: UInt64,
        timestamp: Date,
        trigger: Trigger,
        processID: Int32,
        elapsed: Duration,
        resources: ResourceUsage,
        cpu: CPUUsage,
        instrumentedLanes: Int,
        active: ActivePhase?,
        stalls: [Stall],
        phases: [Phase],
        omittedPhases: Int,
        stallThreshold: Duration
    ) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.trigger = trigger
        self.processID = processID
        self.elapsed = elapsed
        self.resources = resources
        self.cpu = cpu
        self.instrumentedLanes = instrumentedLanes
        self.active = active
        self.stalls = stalls
        self.phases = phases
        self.omittedPhases = omittedPhases
        self.stallThreshold = stallThreshold
    }

    /// `.warning` when the heartbeat carries stalls, `.info` otherwise.
    ///
    /// ```swift
    /// if heartbeat.level == .warning { pageSomeone() }
    /// ```
    public var level: HeartbeatLevel { stalls.isEmpty ? .info : .warning }
}

/// Severity of a heartbeat or of one rendered line of it.
///
/// ```swift
/// let level: HeartbeatLevel = heartbeat.stalls.isEmpty ? .info : .warning
/// ```
public enum HeartbeatLevel: String, Sendable, Equatable, Comparable, CaseIterable {
    /// Routine progress.
    case info
    /// Something looks stuck: a stall.
    case warning = "warn"

    public static func < (lhs: HeartbeatLevel, rhs: HeartbeatLevel) -> Bool {
        lhs == .info && rhs == .warning
    }
}

/// Memory, thread and I/O figures of the process. `nil` means the platform did not report it.
///
/// ```swift
/// let usage = ResourceUsage(rssBytes: 512 << 20, peakRSSBytes: 1 << 30, threads: 12)
/// ```
public struct ResourceUsage: Sendable, Equatable {
    /// Resident set size (`VmRSS`).
    public var rssBytes: UInt64?
    /// Peak resident set size (`VmHWM`).
    public var peakRSSBytes: UInt64?
    /// Threads in the process.
    public var threads: UInt64?
    /// Bytes the process caused to be read from storage (`/proc/self/io` `read_bytes`).
    public var readBytes: UInt64?
    /// Bytes the process caused to be written to storage (`write_bytes`).
    public var writeBytes: UInt64?

    /// Creates a usage value; every figure defaults to unknown.
    ///
    /// ```swift
    /// let unknown = ResourceUsage()
    /// ```
    public init(
        rssBytes: UInt64? = nil,
        peakRSSBytes: UInt64? = nil,
        threads: UInt64? = nil,
        readBytes: UInt64? = nil,
        writeBytes: UInt64? = nil
    ) {
        self.rssBytes = rssBytes
        self.peakRSSBytes = peakRSSBytes
        self.threads = threads
        self.readBytes = readBytes
        self.writeBytes = writeBytes
    }
}

/// How busy the process kept the machine's cores.
///
/// `coresBusy` is `Δ(user + system CPU time) / Δ(wall time)` over ``window``: `1.9` on a
/// two-core machine means both cores were nearly saturated.
///
/// ```swift
/// if let busy = heartbeat.cpu.coresBusy, busy < 0.1 { print("idle?") }
/// ```
public struct CPUUsage: Sendable, Equatable {
    /// Average number of cores busy over ``window``; `nil` while warming up or unsupported.
    public var coresBusy: Double?
    /// Cores this process may run on, or `nil` when unknown.
    public var availableCores: Int?
    /// The measured wall-clock window the average covers.
    public var window: Duration?

    /// Creates a CPU usage value; every figure defaults to unknown.
    ///
    /// ```swift
    /// let cpu = CPUUsage(coresBusy: 1.9, availableCores: 2, window: .seconds(60))
    /// ```
    public init(coresBusy: Double? = nil, availableCores: Int? = nil, window: Duration? = nil) {
        self.coresBusy = coresBusy
        self.availableCores = availableCores
        self.window = window
    }
}

/// A progress reading: `current` of `total` units, with the rate since the scope began.
///
/// ```swift
/// let p = ProgressReading(current: 250, total: 1000, elapsed: .seconds(10))
/// p.fraction            // 0.25
/// p.unitsPerSecond      // 25
/// p.estimatedRemaining  // 30 seconds
/// ```
public struct ProgressReading: Sendable, Equatable {
    /// Units done.
    public var current: UInt64
    /// Units in all; `0` means the total is unknown.
    public var total: UInt64
    /// Time the scope that owns the counter has been running; the rate is taken over it.
    public var elapsed: Duration

    /// Creates a reading.
    ///
    /// ```swift
    /// let unknownTotal = ProgressReading(current: 17, total: 0, elapsed: .seconds(3))
    /// ```
    public init(current: UInt64, total: UInt64, elapsed: Duration) {
        self.current = current
        self.total = total
        self.elapsed = elapsed
    }

    /// `current / total`, or `nil` when the total is unknown.
    public var fraction: Double? {
        total == 0 ? nil : Double(current) / Double(total)
    }

    /// Average units per second since the scope began, or `nil` before any time has passed.
    public var unitsPerSecond: Double? {
        let seconds = elapsed.secondsAsDouble
        guard seconds > 0 else { return nil }
        return Double(current) / seconds
    }

    /// Estimated time left at the average rate, or `nil` when the total or the rate is unknown
    /// (or nothing is done yet). Zero once `current >= total`.
    public var estimatedRemaining: Duration? {
        guard total > 0 else { return nil }
        if current >= total { return .zero }
        guard let rate = unitsPerSecond, rate > 0 else { return nil }
        let seconds = Double(total - current) / rate
        guard seconds.isFinite, seconds < 1e12 else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }
}

/// The phase a heartbeat puts front and centre: the lane whose innermost scope is oldest.
///
/// ```swift
/// if let active = heartbeat.active { print(active.label, active.age) }
/// ```
public struct ActivePhase: Sendable, Equatable {
    /// The lane the phase runs on.
    public var lane: LaneID
    /// Label of the lane's innermost scope.
    public var label: String
    /// How long the innermost scope has been running.
    public var age: Duration
    /// Progress of the innermost scope on that lane that has a counter, if any.
    public var progress: ProgressReading?

    /// Creates an active-phase value.
    ///
    /// ```swift
    /// let a = ActivePhase(lane: .thread(1, name: "main"), label: "load", age: .seconds(3))
    /// ```
    public init(lane: LaneID, label: String, age: Duration, progress: ProgressReading? = nil) {
        self.lane = lane
        self.label = label
        self.age = age
        self.progress = progress
    }
}

/// A lane whose innermost scope has been running for at least the stall threshold.
///
/// ```swift
/// for stall in heartbeat.stalls { print("\(stall.lane) stuck in \(stall.label)") }
/// ```
public struct Stall: Sendable, Equatable {
    /// The stuck lane.
    public var lane: LaneID
    /// Label of its innermost scope.
    public var label: String
    /// How long that scope has been running.
    public var age: Duration

    /// Creates a stall value.
    ///
    /// ```swift
    /// let s = Stall(lane: .task(7), label: "fetch", age: .seconds(300))
    /// ```
    public init(lane: LaneID, label: String, age: Duration) {
        self.lane = lane
        self.label = label
        self.age = age
    }
}

/// What one lane is doing: its innermost scope and how long it has been there.
///
/// ```swift
/// for phase in heartbeat.phases { print(phase.lane, phase.depth, phase.label) }
/// ```
public struct Phase: Sendable, Equatable {
    /// The lane.
    public var lane: LaneID
    /// Number of scopes open on the lane.
    public var depth: Int
    /// Label of the innermost scope.
    public var label: String
    /// How long the innermost scope has been running.
    public var age: Duration
    /// Time since the lane's stack last changed (a scope entered or left).
    public var sinceLastChange: Duration
    /// Progress of the innermost scope on the lane that has a counter, if any.
    public var progress: ProgressReading?

    /// Creates a phase value.
    ///
    /// ```swift
    /// let p = Phase(lane: .thread(2), depth: 3, label: "merge", age: .seconds(40),
    ///               sinceLastChange: .seconds(40))
    /// ```
    public init(
        lane: LaneID,
        depth: Int,
        label: String,
        age: Duration,
        sinceLastChange: Duration,
        progress: ProgressReading? = nil
    ) {
        self.lane = lane
        self.depth = depth
        self.label = label
        self.age = age
        self.sinceLastChange = sinceLastChange
        self.progress = progress
    }
}

/// Names a lane: one thread's or one task's stack of scopes.
///
/// Threads read like Rust's `ThreadId(N)`, with `/name` when the thread has a name; tasks read
/// `TaskId(N)`, with `/name` for a named task. `N` counts from 1 in order of first use.
/// Lanes order by kind (threads first), then numerically by `N`.
///
/// ```swift
/// LaneID.thread(1, name: "main").description  // "ThreadId(1)/main"
/// LaneID.task(12).description                 // "TaskId(12)"
/// ```
public struct LaneID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Whether the lane is a thread's or a task's.
    public enum Kind: String, Sendable, Hashable, Comparable {
        /// Synchronous scopes on one OS thread.
        case thread
        /// `async` scopes on one Swift task.
        case task

        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs == .thread && rhs == .task }
    }

    /// Thread or task.
    public var kind: Kind
    /// Process-wide number, from 1, in order of first use (per kind).
    public var number: UInt64
    /// The thread's or task's name, if it has one.
    public var name: String?

    /// Creates a lane id.
    ///
    /// ```swift
    /// let id = LaneID(kind: .thread, number: 3, name: "io")
    /// ```
    public init(kind: Kind, number: UInt64, name: String? = nil) {
        self.kind = kind
        self.number = number
        self.name = name
    }

    /// A thread lane id.
    ///
    /// ```swift
    /// let main = LaneID.thread(1, name: "main")
    /// ```
    public static func thread(_ number: UInt64, name: String? = nil) -> LaneID {
        LaneID(kind: .thread, number: number, name: name)
    }

    /// A task lane id.
    ///
    /// ```swift
    /// let t = LaneID.task(4)
    /// ```
    public static func task(_ number: UInt64, name: String? = nil) -> LaneID {
        LaneID(kind: .task, number: number, name: name)
    }

    /// `ThreadId(N)`, `ThreadId(N)/name`, `TaskId(N)` or `TaskId(N)/name`.
    public var description: String {
        let base = kind == .thread ? "ThreadId(\(number))" : "TaskId(\(number))"
        guard let name else { return base }
        return base + "/" + name
    }

    /// Parses ``description`` back; `nil` when the text is not a lane id.
    ///
    /// ```swift
    /// LaneID(parsing: "ThreadId(3)/io") == .thread(3, name: "io")  // true
    /// ```
    public init?(parsing text: String) {
        // Byte-wise, not by Character: a name starting with a combining mark would otherwise
        // merge with the `/` before it into one Character.
        let utf8 = Array(text.utf8)
        let kind: Kind
        let prefixLength: Int
        if utf8.starts(with: "ThreadId(".utf8) {
            kind = .thread
            prefixLength = "ThreadId(".utf8.count
        } else if utf8.starts(with: "TaskId(".utf8) {
            kind = .task
            prefixLength = "TaskId(".utf8.count
        } else {
            return nil
        }
        guard let close = utf8[prefixLength...].firstIndex(of: UInt8(ascii: ")")),
            close > prefixLength,
            utf8[prefixLength..<close].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let number = UInt64(String(decoding: utf8[prefixLength..<close], as: UTF8.self))
        else { return nil }
        let tail = utf8[(close + 1)...]
        if tail.isEmpty {
            self.init(kind: kind, number: number, name: nil)
        } else if tail.first == UInt8(ascii: "/") {
            self.init(kind: kind, number: number, name: String(decoding: tail.dropFirst(), as: UTF8.self))
        } else {
            return nil
        }
    }

    public static func < (lhs: LaneID, rhs: LaneID) -> Bool {
        if lhs.kind != rhs.kind { return lhs.kind < rhs.kind }
        if lhs.number != rhs.number { return lhs.number < rhs.number }
        return (lhs.name ?? "") < (rhs.name ?? "")
    }
}

extension Duration {
    /// The duration in seconds as a `Double` (attosecond precision is not needed for display).
    @usableFromInline
    var secondsAsDouble: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
