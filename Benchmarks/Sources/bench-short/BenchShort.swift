// The benchmark suite's short mode: quick timing loops over the same workloads as the full
// suite, one `name value unit` line per benchmark on stdout, for scripts. Run it through
// `Benchmarks/run-short.sh`, which builds it in release mode first.
//
//   bench-short                      every benchmark (about 60 s on 2 cores)
//   bench-short --only A,B           only the benchmarks named (whole names, comma-separated)
//   bench-short --check-allocations  only the deterministic allocation check: exits 1 when a
//                                    synchronous StaticString scope pair allocates, or when
//                                    the malloc counter itself is not counting
//   bench-short --write-report-log PATH
//                                    writes the HTML report's workload as JSON Lines, to time
//                                    `heartbeat-demo render --to html PATH` end to end
//   bench-short --profile WORKLOAD N runs one workload N times and nothing else, for perf or
//                                    callgrind (static, static-monitored, progress, string,
//                                    async, first-async, snapshot, report, text, jsonl, logfmt)
//
// Nanosecond- and microsecond-scale figures are CPU time (the measuring thread's own, or the
// process's for async work), medians over several rounds: on a shared 2-core machine, wall
// time also counts the time other processes held the CPU. Nothing here fails on a timing.
// Allocations are counted by CMallocCounter, which interposes malloc & co. in this
// executable only. `Benchmarks/compare.sh` runs this same code against the previous release
// and beside the Rust seed.
#if canImport(Glibc)
import Glibc
#endif
import BenchSupport
import CMallocCounter
import Foundation
import MonitorExport
import ProcessMonitor

/// Median CPU nanoseconds (this thread's) per operation over `rounds` rounds of `ops`
/// operations each.
func nanosecondsPerOp(rounds: Int = 11, ops: Int, _ body: (Int) -> Void) -> Double {
    body(ops / 10)  // warm up: lanes created, caches warm
    var samples: [Double] = []
    for _ in 0..<rounds {
        let start = threadCPUNanoseconds()
        body(ops)
        samples.append(Double(threadCPUNanoseconds() - start) / Double(ops))
    }
    return median(samples)
}

/// The same for async work, which hops between the pool's threads: the process's CPU time.
func asyncNanosecondsPerOp(rounds: Int = 11, ops: Int, _ body: @escaping @Sendable (Int) async -> Void) async -> Double {
    await Task.detached {
        await body(ops / 10)
        var samples: [Double] = []
        for _ in 0..<rounds {
            let start = processCPUNanoseconds()
            await body(ops)
            samples.append(Double(processCPUNanoseconds() - start) / Double(ops))
        }
        return median(samples)
    }.value
}

func emit(_ name: String, _ value: Double, _ unit: String, decimals: Int = 2) {
    print("\(name) \(String(format: "%.\(decimals)f", value)) \(unit)")
    fflush(nil)
}

/// Allocation calls per operation on this thread, after a warm-up call.
func allocationsPerOp(ops: Int, _ body: (Int) -> Void) -> Double {
    body(ops)
    let before = cmc_thread_allocations()
    body(ops)
    return Double(cmc_thread_allocations() - before) / Double(ops)
}

/// Allocates through the Swift runtime; the counter must see it, or the check has no teeth.
@inline(never)
func allocatingControl(_ n: Int) {
    for i in 0..<n {
        withScope(label: "interpolated label number \(i) of many") {}
    }
}

/// The CI check. Returns the process exit status.
func checkAllocations() -> Int32 {
    let control = allocationsPerOp(ops: 1000, allocatingControl)
    guard control >= 1 else {
        print("allocation-check: FAIL: the malloc counter saw \(control) allocations per interpolated-String scope; it is not counting, so the check cannot be trusted")
        return 1
    }
    var failed = false
    let cases: [(String, (Int) -> Void)] = [
        ("withScope(StaticString) depth 1", staticScopePairs),
        ("withScope(StaticString) depth 16", { n in atDepth(16) { staticScopePairs(n) } }),
        ("withScope(StaticString, total:) + increment()", progressScopePairs),
        ("enterScope(StaticString) + end()", { n in
            for _ in 0..<n {
                let scope = enterScope("bench.guard")
                scope.end()
            }
        }),
    ]
    var measured = cases.map { name, body in (name, allocationsPerOp(ops: 100_000, body)) }
    // Scopes behave differently while a monitor runs (most exits skip the clock).
    if let monitored = try? whileMonitored({ allocationsPerOp(ops: 100_000, staticScopePairs) }) {
        measured.append(("withScope(StaticString) depth 1, monitor running", monitored))
    } else {
        print("allocation-check: FAIL: could not start a monitor")
        failed = true
    }
    for (name, perPair) in measured {
        let verdict = perPair == 0 ? "ok" : "FAIL"
        print("allocation-check: \(verdict): \(name): \(perPair) allocations per pair")
        if perPair != 0 { failed = true }
    }
    print("allocation-check: control: interpolated String label: \(control) allocations per pair (must be > 0)")
    return failed ? 1 : 0
}

@main
struct BenchShort {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.contains("--check-allocations") {
            exit(checkAllocations())
        }
        if arguments.first == "--write-report-log", arguments.count == 2, let path = arguments.last {
            let format = try JSONLinesFormat(attributes: ["job": "bench", "rank": "0"], limits: ExportLimits(maxLineBytes: 1 << 20))
            var text = ""
            for record in reportWorkload(heartbeats: 10_000, lanes: 64) {
                text += format.record(for: record.heartbeat) + "\n"
            }
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            exit(0)
        }
        if arguments.first == "--profile", arguments.count == 3, let n = Int(arguments.last!) {
            switch arguments.dropFirst().first! {
            case "static": staticScopePairs(n)
            case "static-monitored": try whileMonitored { staticScopePairs(n) }
            case "progress": progressScopePairs(n)
            case "string": stringScopePairs(n)
            case "async": await asyncScopePairs(n)
            case "first-async": await firstAsyncScopes(n)
            case "report":
                let records = reportWorkload(heartbeats: 10_000, lanes: 64)
                for _ in 0..<n { blackHole(renderReport(records)) }
            case "jsonl", "logfmt", "text":
                let format = benchmarkFormats.first { $0.name == arguments.dropFirst().first! }!.format
                blackHole(render(format, sampleHeartbeat(), times: n))
            case "snapshot":
                let lanes = ParkedLanes(count: 1000, depth: 3)
                let step = SnapshotStep()
                for _ in 0..<n { blackHole(step.run()) }
                lanes.stop()
            default: exit(2)
            }
            exit(0)
        }
        var only: Set<String>?
        if arguments.first == "--only", arguments.count == 2, let names = arguments.last {
            only = Set(names.split(separator: ",").map(String.init))
        } else if let unknown = arguments.first {
            FileHandle.standardError.write(
                "usage: bench-short [--only NAME,... | --check-allocations | --profile WORKLOAD N | --write-report-log PATH]\nunknown argument \(unknown)\n"
                    .data(using: .utf8)!
            )
            exit(2)
        }
        let names = only
        try await runBenchmarks { name in names?.contains(name) ?? true }
    }
}

/// Every benchmark whose name `wanted` accepts, in the suite's order.
func runBenchmarks(_ wanted: @Sendable (String) -> Bool) async throws {
    func timed(_ name: String, _ unit: String, decimals: Int = 2, _ measure: () throws -> Double) rethrows {
        if wanted(name) { emit(name, try measure(), unit, decimals: decimals) }
    }

    // What this machine's hot-path primitives cost, to read the figures below against.
    timed("reference_coarse_clock_read", "ns") { nanosecondsPerOp(ops: 2_000_000) { blackHole(coarseClockReads($0)) } }
    timed("reference_pthread_getspecific", "ns") { nanosecondsPerOp(ops: 2_000_000) { blackHole(threadSpecificReads($0)) } }

    // Scope hot path, first with no monitor running (every scope exit reads the clock), then
    // as in a monitored job (scopes that begin and end between two snapshots do not).
    var depth1 = Double.nan
    timed("scope_pair_static_depth1", "ns") {
        depth1 = nanosecondsPerOp(ops: 2_000_000, staticScopePairs)
        return depth1
    }
    timed("scope_pair_static_depth16", "ns") { nanosecondsPerOp(ops: 2_000_000) { n in atDepth(16) { staticScopePairs(n) } } }
    timed("scope_pair_static_2threads_per_thread", "ns") { twoThreadPairs() }
    timed("scope_pair_progress_increment", "ns") { nanosecondsPerOp(ops: 2_000_000, progressScopePairs) }
    try whileMonitored {
        timed("scope_pair_static_depth1_monitored", "ns") { nanosecondsPerOp(ops: 2_000_000, staticScopePairs) }
        timed("scope_pair_static_depth16_monitored", "ns") {
            nanosecondsPerOp(ops: 2_000_000) { n in atDepth(16) { staticScopePairs(n) } }
        }
        timed("scope_pair_static_2threads_per_thread_monitored", "ns") { twoThreadPairs() }
        timed("scope_pair_progress_increment_monitored", "ns") { nanosecondsPerOp(ops: 2_000_000, progressScopePairs) }
    }
    timed("scope_pair_string40", "ns") { nanosecondsPerOp(ops: 1_000_000) { stringScopePairs($0) } }
    if wanted("scope_pair_async") {
        emit("scope_pair_async", await asyncNanosecondsPerOp(ops: 500_000) { await asyncScopePairs($0) }, "ns")
    }
    if wanted("scope_first_async_new_lane") {
        emit("scope_first_async_new_lane", await asyncNanosecondsPerOp(ops: 200_000) { await firstAsyncScopes($0) }, "ns")
    }
    timed("scope_pair_static_mallocs", "mallocs/pair", decimals: 0) { allocationsPerOp(ops: 100_000, staticScopePairs) }

    // Heartbeat with 1000 live lanes at depth 3 (each thread parked in 3 scopes).
    let heartbeatNames = [
        "heartbeat_snapshot_build_1000_lanes", "heartbeat_snapshot_build_1000_lanes_with_busy_writer",
        "heartbeat_snapshots_observed_with_writer_running", "heartbeat_snapshots_blocking_scope_entry",
        "heartbeat_scope_pairs_during_snapshot_min", "heartbeat_snapshots_stalling_scopeless_control",
        "hypervisor_steal_during_probes", "monitor_proc_sample_1000_threads",
        "monitor_proc_sample_1000_threads_after_1s_idle", "heartbeat_snapshot_build_1000_lanes_after_1s_idle",
        "monitor_thread_cpu_1s_1000_lanes", "monitor_thread_cpu_60s_1000_lanes",
    ]
    if heartbeatNames.contains(where: wanted) {
        let parked = ParkedLanes(count: 1000, depth: 3)
        defer { parked.stop() }
        let step = SnapshotStep()
        timed("heartbeat_snapshot_build_1000_lanes", "us") {
            nanosecondsPerOp(rounds: 31, ops: 20) { n in for _ in 0..<n { blackHole(step.run()) } } / 1000
        }
        if heartbeatNames[1...6].contains(where: wanted) {
            let probe = snapshotBlockingProbe(snapshots: 2000)
            timed("heartbeat_snapshot_build_1000_lanes_with_busy_writer", "us") { probe.medianNanoseconds / 1000 }
            timed("heartbeat_snapshots_observed_with_writer_running", "of_\(probe.snapshots)", decimals: 0) { Double(probe.observed) }
            timed("heartbeat_snapshots_blocking_scope_entry", "of_\(probe.observed)_observed", decimals: 0) { Double(probe.blocking) }
            timed("heartbeat_scope_pairs_during_snapshot_min", "pairs", decimals: 0) { Double(probe.minimumPairsDuringObserved) }
            // The same probe with a worker that enters no scope: what it counts is the machine.
            let control = snapshotBlockingProbe(snapshots: 2000, scopes: false)
            timed("heartbeat_snapshots_stalling_scopeless_control", "of_\(control.observed)_observed", decimals: 0) {
                Double(control.blocking)
            }
            timed("hypervisor_steal_during_probes", "ms", decimals: 0) {
                (probe.stealMilliseconds ?? .nan) + (control.stealMilliseconds ?? .nan)
            }
        }
        let sampler = ProcSelfSampler()
        timed("monitor_proc_sample_1000_threads", "us") {
            nanosecondsPerOp(rounds: 11, ops: 20) { n in for _ in 0..<n { blackHole(sampler.sample()) } } / 1000
        }
        // The same two steps as a real monitor sees them: once a second, with cold caches.
        if wanted("monitor_proc_sample_1000_threads_after_1s_idle") || wanted("heartbeat_snapshot_build_1000_lanes_after_1s_idle") {
            var coldSample: [Double] = []
            var coldSnapshot: [Double] = []
            for _ in 0..<3 {
                usleep(1_000_000)
                let t0 = threadCPUNanoseconds()
                blackHole(sampler.sample())
                let t1 = threadCPUNanoseconds()
                blackHole(step.run())
                let t2 = threadCPUNanoseconds()
                coldSample.append(Double(t1 - t0))
                coldSnapshot.append(Double(t2 - t1))
            }
            timed("monitor_proc_sample_1000_threads_after_1s_idle", "us") { median(coldSample) / 1000 }
            timed("heartbeat_snapshot_build_1000_lanes_after_1s_idle", "us") { median(coldSnapshot) / 1000 }
        }
        try timed("monitor_thread_cpu_1s_1000_lanes", "%core", decimals: 4) { try monitorThreadCPU(interval: .seconds(1), beats: 4) }
        // The default interval: two minutes of a real monitor, so only when asked by name.
        if only(wanted, "monitor_thread_cpu_60s_1000_lanes") {
            try timed("monitor_thread_cpu_60s_1000_lanes", "%core", decimals: 4) { try monitorThreadCPU(interval: .seconds(60), beats: 2, fromStart: true) }
        }
    }

    // Formats and sink.
    let heartbeat = sampleHeartbeat()
    for (name, format) in benchmarkFormats {
        timed("render_\(name)_8_phases_2_stalls", "us") {
            nanosecondsPerOp(rounds: 11, ops: 2000) { n in blackHole(render(format, heartbeat, times: n)) } / 1000
        }
    }
    if wanted("rotating_sink_1KiB_records") {
        let sink = try SinkWorkload()
        let records = 50_000
        var rates: [Double] = []
        sink.write(records / 10)
        for _ in 0..<5 {
            let start = monotonicNanoseconds()
            sink.write(records)
            let seconds = Double(monotonicNanoseconds() - start) / 1e9
            rates.append(Double(records * SinkWorkload.recordBytes) / 1e6 / seconds)
        }
        sink.remove()
        emit("rotating_sink_1KiB_records", median(rates), "MB/s", decimals: 1)
    }

    // The HTML report (target: 10 000 heartbeats x 64 lanes in under 5 s, under 5 MB).
    if wanted("report_html_10000_heartbeats_64_lanes") || wanted("report_html_10000_heartbeats_64_lanes_size") {
        let reportRecords = reportWorkload(heartbeats: 10_000, lanes: 64)
        var reportSeconds: [Double] = []
        var reportBytes = 0
        for _ in 0..<3 {
            let start = monotonicNanoseconds()
            reportBytes = renderReport(reportRecords)
            reportSeconds.append(Double(monotonicNanoseconds() - start) / 1e9)
        }
        timed("report_html_10000_heartbeats_64_lanes", "s", decimals: 3) { median(reportSeconds) }
        timed("report_html_10000_heartbeats_64_lanes_size", "MB") { Double(reportBytes) / 1e6 }
    }
}

/// Whether `name` was asked for by name: `wanted` accepts it but not a made-up name, so a run
/// without `--only` (which accepts everything) skips it.
func only(_ wanted: (String) -> Bool, _ name: String) -> Bool {
    wanted(name) && !wanted("\u{0}no such benchmark")
}

/// Two threads entering scopes at once, seven rounds: the median of each round's per-thread
/// mean CPU nanoseconds per pair.
func twoThreadPairs() -> Double {
    var rounds: [Double] = []
    for _ in 0..<7 {
        let perThread = concurrentScopePairs(threads: 2, pairs: 2_000_000)
        rounds.append(perThread.reduce(0, +) / Double(perThread.count))
    }
    return median(rounds)
}
