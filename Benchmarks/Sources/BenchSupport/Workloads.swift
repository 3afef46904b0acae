// The workloads behind every row of the benchmark table (issue #4). Both drivers, the full
// suite (`swift package benchmark`) and the short mode (`bench-short`), call these same
// functions, so the two measure identical code.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MonitorExport
@_spi(Benchmarks) import ProcessMonitor
import Synchronization

// MARK: - Scope hot path

/// `n` enter+exit pairs with a `StaticString` label on the current thread.
@inline(never)
public func staticScopePairs(_ n: Int) {
    for _ in 0..<n {
        withScope("bench.pair") {}
    }
}

/// Runs `body` inside `depth - 1` enclosing scopes, so a pair inside it is at `depth`.
@inline(never)
public func atDepth(_ depth: Int, _ body: () -> Void) {
    if depth <= 1 {
        body()
    } else {
        withScope("bench.enclosing") { atDepth(depth - 1, body) }
    }
}

/// `n` pairs, each with a progress counter and one `increment()`.
@inline(never)
public func progressScopePairs(_ n: Int) {
    for _ in 0..<n {
        withScope("bench.progress", total: 1000) { progress in
            progress.increment()
        }
    }
}

/// A 40-byte label, built once outside the loop as the docs advise.
public let fortyByteLabel = String(repeating: "shard-0042/", count: 4).prefix(40).description

/// `n` pairs with a prebuilt `String` label (its bytes are copied into the lane each time).
@inline(never)
public func stringScopePairs(_ n: Int, label: String = fortyByteLabel) {
    for _ in 0..<n {
        withScope(label: label) {}
    }
}

/// `n` async pairs inside a task whose lane is already bound (the steady state).
@inline(never)
public func asyncScopePairs(_ n: Int) async {
    await withScope("bench.task") {
        for _ in 0..<n {
            await withScope("bench.async") { () async -> Void in }
        }
    }
}

/// `n` outermost async scopes: each takes a lane from the pool, binds it to the task, pushes,
/// pops and returns the lane. This is what the first scope of every new task costs (creating
/// the task itself is not counted).
@inline(never)
public func firstAsyncScopes(_ n: Int) async {
    for _ in 0..<n {
        await withScope("bench.first") { () async -> Void in }
    }
}

/// Runs `body` while a monitor runs (hour-long interval, no observers), as scopes run in a
/// monitored job: the monitor decides which scope exits read the clock.
public func whileMonitored<T>(_ body: () throws -> T) throws -> T {
    let monitor = try ProcessMonitor(configuration: try MonitorConfiguration(interval: .seconds(3600)), observers: [])
    try monitor.start()
    defer { monitor.stop() }
    // Returns once the monitor thread has run a beat, so it is surely running.
    _ = monitor.emitNow()
    return try body()
}

// MARK: - Threads

/// Starts a joinable thread with a small stack running `body`.
public func spawnThread(stackSize: Int = 256 << 10, _ body: @escaping @Sendable () -> Void) -> pthread_t {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    pthread_attr_setstacksize(&attributes, stackSize)
    defer { pthread_attr_destroy(&attributes) }
    var thread = pthread_t()
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    let rc = pthread_create(&thread, &attributes, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    precondition(rc == 0, "pthread_create failed: \(rc)")
    return thread
}

/// Runs `pairs` StaticString pairs on each of `threads` threads at the same time and returns
/// each thread's cost per pair in nanoseconds (its own CPU time / pairs).
public func concurrentScopePairs(threads: Int, pairs: Int) -> [Double] {
    let ready = Atomic<Int>(0)
    let results = ResultSlots(count: threads)
    var handles: [pthread_t] = []
    for index in 0..<threads {
        handles.append(spawnThread {
            staticScopePairs(1000)  // lane created and warm
            ready.add(1, ordering: .acquiringAndReleasing)
            while ready.load(ordering: .acquiring) < threads {}
            let start = threadCPUNanoseconds()
            staticScopePairs(pairs)
            results.set(index, Double(threadCPUNanoseconds() - start) / Double(pairs))
        })
    }
    for handle in handles { pthread_join(handle, nil) }
    return results.values
}

/// Per-thread result slots, written once by each thread and read after they are joined.
final class ResultSlots: @unchecked Sendable {
    private var storage: [Double]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: 0, count: count) }
    func set(_ index: Int, _ value: Double) { lock.withLock { storage[index] = value } }
    var values: [Double] { lock.withLock { storage } }
}

/// `count` threads, each parked inside `depth` nested scopes until ``stop()``: live lanes for
/// the heartbeat benchmarks.
public final class ParkedLanes: @unchecked Sendable {
    private var threads: [pthread_t] = []
    private let pipe: (read: Int32, write: Int32)

    public init(count: Int, depth: Int) {
        var fds: [Int32] = [0, 0]
        precondition(Glibc.pipe(&fds) == 0)
        pipe = (fds[0], fds[1])
        let entered = Atomic<Int>(0)
        let readEnd = pipe.read
        for _ in 0..<count {
            threads.append(spawnThread(stackSize: 128 << 10) {
                atDepth(depth) {
                    withScope("parked") {
                        entered.add(1, ordering: .relaxed)
                        var byte: UInt8 = 0
                        _ = read(readEnd, &byte, 1)  // returns 0 once the write end closes
                    }
                }
            })
        }
        while entered.load(ordering: .relaxed) < count { usleep(1000) }
    }

    /// Releases and joins every thread; their lanes retire.
    public func stop() {
        guard !threads.isEmpty else { return }
        close(pipe.write)
        for thread in threads { pthread_join(thread, nil) }
        close(pipe.read)
        threads = []
    }

    deinit { stop() }
}

// MARK: - Heartbeat

/// The monitor's snapshot + build step (no `/proc`, no observers), via the SPI hook.
public final class SnapshotStep {
    private let step = MonitorBenchmarkHooks.SnapshotAndBuild()
    public init() {}
    @inline(never)
    public func run() -> Int {
        let heartbeat = step.run()
        return heartbeat.instrumentedLanes + heartbeat.phases.count
    }
}

/// Whether scope entry on another thread is ever blocked during a snapshot.
///
/// A worker thread enters and leaves scopes in a loop and counts its pairs; the caller takes
/// `snapshots` snapshots and, for each, reads the worker's pair count and its thread CPU time
/// before and after. A snapshot counts as *observed* when the worker was on a CPU for at least
/// half of it (on a busy 2-core machine it is sometimes descheduled, which says nothing about
/// us), and as *blocking* when the worker, though running, completed no scope pair during it.
/// A global lock held for the whole read (the seed's design) makes every observed snapshot a
/// blocking one; the lane design should give 0.
///
/// The CPU-time test cannot see a virtual CPU that the hypervisor took away: the guest kernel
/// learns of that steal only when the vCPU runs again, so meanwhile the worker still reads as
/// running. The `scopes: false` control runs the same loop without scopes: what it reports as
/// blocking is the machine, not the monitor, and `stealMilliseconds` says how much the
/// hypervisor took during the probe.
public struct BlockingProbeResult: Sendable {
    public var snapshots: Int
    public var observed: Int
    public var blocking: Int
    public var medianNanoseconds: Double
    /// The fewest scope pairs the worker completed during an observed snapshot.
    public var minimumPairsDuringObserved: UInt64
    /// CPU time the hypervisor stole from this machine's CPUs during the probe (`/proc/stat`),
    /// or `nil` where that is not readable.
    public var stealMilliseconds: Double?
}

/// The `steal` column of `/proc/stat`'s `cpu` line, in milliseconds.
func stolenMilliseconds() -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
          let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
    else { return nil }
    let fields = line.split(separator: " ")
    guard fields.count > 8, let ticks = Double(fields[8]) else { return nil }
    return ticks * 1000 / Double(sysconf(Int32(_SC_CLK_TCK)))
}

public func snapshotBlockingProbe(snapshots: Int, scopes: Bool = true) -> BlockingProbeResult {
    let step = SnapshotStep()
    let pairs = Atomic<UInt64>(0)
    let stop = Atomic<Bool>(false)
    let worker = spawnThread {
        while !stop.load(ordering: .relaxed) {
            if scopes {
                withScope("bench.worker") {
                    withScope("bench.worker.inner") {}
                }
            }
            pairs.add(1, ordering: .relaxed)
        }
    }
    var workerClock = clockid_t()
    pthread_getcpuclockid(worker, &workerClock)
    func workerCPU() -> UInt64 {
        var ts = timespec()
        clock_gettime(workerClock, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    while pairs.load(ordering: .relaxed) < 10_000 {}
    var result = BlockingProbeResult(
        snapshots: snapshots, observed: 0, blocking: 0, medianNanoseconds: 0, minimumPairsDuringObserved: .max,
        stealMilliseconds: nil
    )
    var times: [Double] = []
    let stealBefore = stolenMilliseconds()
    for _ in 0..<snapshots {
        let cpu0 = workerCPU()
        let before = pairs.load(ordering: .relaxed)
        let start = monotonicNanoseconds()
        blackHole(step.run())
        let end = monotonicNanoseconds()
        let done = pairs.load(ordering: .relaxed) - before
        let cpu1 = workerCPU()
        times.append(Double(end - start))
        if cpu1 - cpu0 >= (end - start) / 2 {
            result.observed += 1
            result.minimumPairsDuringObserved = min(result.minimumPairsDuringObserved, done)
            if done == 0 { result.blocking += 1 }
        }
    }
    if let stealBefore, let stealAfter = stolenMilliseconds() { result.stealMilliseconds = stealAfter - stealBefore }
    stop.store(true, ordering: .relaxed)
    pthread_join(worker, nil)
    result.medianNanoseconds = median(times)
    if result.observed == 0 { result.minimumPairsDuringObserved = 0 }
    return result
}

/// A heartbeat with 8 phases (3 with progress), 2 stalls, an active phase, resources and CPU.
public func sampleHeartbeat() -> Heartbeat {
    let labels = [
        "load shard 0042 from s3://bucket/datasets/2024/part-0042.parquet", "tokenize", "train step",
        "all-reduce gradients", "write checkpoint", "evaluate", "prefetch batch", "compress logs",
    ]
    let phases = labels.enumerated().map { index, label in
        Heartbeat.Phase(
            lane: .thread(UInt64(index + 1), name: index == 0 ? "main" : nil),
            depth: 3,
            label: label,
            age: .milliseconds(Int64(400_000 - index * 37_000)),
            sinceLastChange: .milliseconds(Int64(1_234 * index)),
            progress: index % 3 == 0
                ? ProgressReading(current: UInt64(1_000 * (index + 1)), total: 80_000, elapsed: .seconds(90))
                : nil
        )
    }
    let stalls = phases.prefix(2).map { Heartbeat.Stall(lane: $0.lane, label: $0.label, age: $0.age) }
    return Heartbeat(
        sequence: 42,
        timestamp: Date(timeIntervalSince1970: 1_800_000_000.123),
        trigger: .scheduled,
        processID: 4242,
        elapsed: .seconds(3_723),
        resources: ResourceUsage(
            rssBytes: 1_234_567_890, peakRSSBytes: 2_000_000_000, threads: 37,
            readBytes: 98_765_432_100, writeBytes: 1_234_567
        ),
        cpu: CPUUsage(coresBusy: 1.87, availableCores: 2, window: .seconds(60)),
        instrumentedLanes: 12,
        active: Heartbeat.ActivePhase(lane: phases[0].lane, label: phases[0].label, age: phases[0].age, progress: phases[0].progress),
        stalls: stalls,
        phases: phases,
        omittedPhases: 4,
        stallThreshold: .seconds(120)
    )
}

/// The three formats under test, by name.
public let benchmarkFormats: [(name: String, format: any HeartbeatFormat)] = [
    ("text", TextFormat()),
    ("jsonl", JSONLinesFormat()),
    ("logfmt", LogfmtFormat()),
]

/// Renders `heartbeat` `n` times; returns a byte count so the work cannot be dropped.
@inline(never)
public func render(_ format: any HeartbeatFormat, _ heartbeat: Heartbeat, times n: Int) -> Int {
    var bytes = 0
    for _ in 0..<n {
        for line in format.render(heartbeat, context: FormatContext()) { bytes &+= line.text.utf8.count }
    }
    return bytes
}

// MARK: - Sink

/// A rotating file sink in a fresh temporary directory (8 MiB files, 2 backups), and a
/// record of `recordBytes` (1 KiB by default: 1023 bytes + the newline the sink adds). Small
/// records show the sink's per-record cost (system calls), large ones the copy.
public final class SinkWorkload {
    public let directory: String
    public let sink: RotatingFileSink
    public let line: RenderedLine
    public static let recordBytes = 1024

    public init(recordBytes: Int = SinkWorkload.recordBytes) throws {
        line = RenderedLine(text: String(repeating: "x", count: max(0, recordBytes - 1)), level: .info)
        var template = Array((NSTemporaryDirectory() + "/pm-sink-bench.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = String(cString: made)
        sink = try RotatingFileSink(path: directory + "/heartbeat.log", maxBytes: 8 << 20, maxFiles: 2)
    }

    @inline(never)
    public func write(_ n: Int) {
        for _ in 0..<n { sink.write(line) }
    }

    public func remove() {
        sink.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

// MARK: - Monitor thread CPU

/// Starts a monitor at `interval` with a text exporter to `/dev/null`, waits for `beats`
/// heartbeats after the first, and returns the monitor thread's CPU time over that window as
/// a percentage of one core. Observers run on threads of their own, so the monitor thread's
/// time is read from `/proc/self/task/TID/schedstat` (nanoseconds on a CPU), the thread found
/// by its name, `process-monitor`; the exporter's own thread is not counted.
///
/// `fromStart` measures from the monitor's start instead of its first heartbeat, for long
/// intervals (two minutes for two beats at the default 60 s, not three).
public func monitorThreadCPU(interval: Duration, beats: Int, fromStart: Bool = false) throws -> Double {
    let readings = Readings()
    let observer = ClosureObserver { _ in
        guard let cpu = monitorThreadRunNanoseconds() else { return }
        readings.append(cpu: cpu, wall: monotonicNanoseconds())
    }
    let exporter = HeartbeatExporter(format: TextFormat(), sink: try FileSink(path: "/dev/null"))
    let monitor = try ProcessMonitor(
        configuration: try MonitorConfiguration(interval: interval),
        observers: [exporter, observer]
    )
    try monitor.start()
    if fromStart {
        while true {
            if let cpu = monitorThreadRunNanoseconds() {
                readings.append(cpu: cpu, wall: monotonicNanoseconds())
                break
            }
            usleep(1_000)
        }
    }
    while readings.count < beats + 1 { usleep(50_000) }
    monitor.stop()
    let (cpu, wall) = readings.window(from: 0, to: beats)
    return 100 * Double(cpu) / Double(wall)
}

/// Nanoseconds the thread named `process-monitor` has spent on a CPU, or `nil` if not found.
func monitorThreadRunNanoseconds() -> UInt64? {
    guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return nil }
    for tid in tasks {
        let comm = (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8)) ?? ""
        guard comm.trimmingCharacters(in: .whitespacesAndNewlines) == "process-monitor" else { continue }
        let stat = (try? String(contentsOfFile: "/proc/self/task/\(tid)/schedstat", encoding: .utf8)) ?? ""
        return stat.split(separator: " ").first.flatMap { UInt64($0) }
    }
    return nil
}

final class Readings: @unchecked Sendable {
    // @unchecked Sendable: `cpu` and `wall` are only touched with `lock` held.
    private let lock = NSLock()
    private var cpu: [UInt64] = []
    private var wall: [UInt64] = []
    func append(cpu c: UInt64, wall w: UInt64) { lock.withLock { cpu.append(c); wall.append(w) } }
    var count: Int { lock.withLock { cpu.count } }
    func window(from a: Int, to b: Int) -> (UInt64, UInt64) {
        lock.withLock { (cpu[b] - cpu[a], wall[b] - wall[a]) }
    }
}

// MARK: - Reference costs of this machine

/// `n` reads of `CLOCK_MONOTONIC_COARSE`, the hot path's clock (a scope pair reads it twice).
@inline(never)
public func coarseClockReads(_ n: Int) -> UInt64 {
    var sum: UInt64 = 0
    var ts = timespec()
    for _ in 0..<n {
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        sum &+= UInt64(ts.tv_nsec)
    }
    return sum
}

/// `n` `pthread_getspecific` calls, the hot path's lane lookup.
@inline(never)
public func threadSpecificReads(_ n: Int) -> Int {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    defer { pthread_key_delete(key) }
    pthread_setspecific(key, UnsafeRawPointer(bitPattern: 0x1000))
    var sum = 0
    for _ in 0..<n { sum &+= Int(bitPattern: pthread_getspecific(key)) }
    return sum
}

// MARK: - Helpers

/// CPU time of the calling thread: unlike wall time, not inflated while another process holds
/// the CPU (on a shared 2-core machine, most of what wall-clock figures vary by).
public func threadCPUNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// CPU time of the whole process, for work that moves between threads (async tasks).
public func processCPUNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

public func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

public func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/// Keeps a value alive so the optimizer cannot drop the work that produced it.
@inline(never)
public func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
