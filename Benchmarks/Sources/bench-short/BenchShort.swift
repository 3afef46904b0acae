// The benchmark suite's short mode: quick timing loops over the same workloads as the full
// suite, one `name value unit` line per benchmark on stdout, for scripts. Run it through
// `Benchmarks/run-short.sh`, which builds it in release mode first.
//
//   bench-short                      every benchmark (about 35 s on 2 cores)
//   bench-short --check-allocations  only the deterministic allocation check: exits 1 when a
//                                    synchronous StaticString scope pair allocates, or when
//                                    the malloc counter itself is not counting
//   bench-short --write-report-log PATH
//                                    writes the HTML report's workload as JSON Lines, to time
//                                    `heartbeat-demo render --to html PATH` end to end
//   bench-short --profile WORKLOAD N runs one workload N times and nothing else, for perf or
//                                    callgrind (static, progress, string, async, first-async,
//                                    snapshot, report)
//
// Timings are medians over several rounds; nothing here fails on a timing. Allocations are
// counted by CMallocCounter, which interposes malloc & co. in this executable only.
#if canImport(Glibc)
import Glibc
#endif
import BenchSupport
import CMallocCounter
import Foundation
import MonitorExport
import ProcessMonitor

/// Median nanoseconds per operation over `rounds` rounds of `ops` operations each.
func nanosecondsPerOp(rounds: Int = 11, ops: Int, _ body: (Int) -> Void) -> Double {
    body(ops / 10)  // warm up: lanes created, caches warm
    var samples: [Double] = []
    for _ in 0..<rounds {
        let start = monotonicNanoseconds()
        body(ops)
        samples.append(Double(monotonicNanoseconds() - start) / Double(ops))
    }
    return median(samples)
}

func asyncNanosecondsPerOp(rounds: Int = 11, ops: Int, _ body: @escaping @Sendable (Int) async -> Void) async -> Double {
    await Task.detached {
        await body(ops / 10)
        var samples: [Double] = []
        for _ in 0..<rounds {
            let start = monotonicNanoseconds()
            await body(ops)
            samples.append(Double(monotonicNanoseconds() - start) / Double(ops))
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
    for (name, body) in cases {
        let perPair = allocationsPerOp(ops: 100_000, body)
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
        if let unknown = arguments.first {
            FileHandle.standardError.write(
                "usage: bench-short [--check-allocations | --profile WORKLOAD N | --write-report-log PATH]\nunknown argument \(unknown)\n"
                    .data(using: .utf8)!
            )
            exit(2)
        }

        // What this machine's hot-path primitives cost, to read the figures below against.
        emit("reference_coarse_clock_read", nanosecondsPerOp(ops: 2_000_000) { blackHole(coarseClockReads($0)) }, "ns")
        emit("reference_pthread_getspecific", nanosecondsPerOp(ops: 2_000_000) { blackHole(threadSpecificReads($0)) }, "ns")

        // Scope hot path.
        let depth1 = nanosecondsPerOp(ops: 2_000_000, staticScopePairs)
        emit("scope_pair_static_depth1", depth1, "ns")
        let depth16 = nanosecondsPerOp(ops: 2_000_000) { n in atDepth(16) { staticScopePairs(n) } }
        emit("scope_pair_static_depth16", depth16, "ns")
        emit("scope_pair_static_depth16_vs_depth1", depth16 / depth1, "ratio", decimals: 3)
        var twoThreads: [Double] = []
        for _ in 0..<7 {
            let perThread = concurrentScopePairs(threads: 2, pairs: 2_000_000)
            twoThreads.append(perThread.reduce(0, +) / Double(perThread.count))
        }
        let parallel = median(twoThreads)
        emit("scope_pair_static_2threads_per_thread", parallel, "ns")
        emit("scope_pair_static_2threads_vs_1thread", parallel / depth1, "ratio", decimals: 3)
        emit("scope_pair_progress_increment", nanosecondsPerOp(ops: 2_000_000, progressScopePairs), "ns")
        emit("scope_pair_string40", nanosecondsPerOp(ops: 1_000_000) { stringScopePairs($0) }, "ns")
        emit("scope_pair_async", await asyncNanosecondsPerOp(ops: 500_000) { await asyncScopePairs($0) }, "ns")
        emit("scope_first_async_new_lane", await asyncNanosecondsPerOp(ops: 200_000) { await firstAsyncScopes($0) }, "ns")
        emit("scope_pair_static_mallocs", allocationsPerOp(ops: 100_000, staticScopePairs), "mallocs/pair", decimals: 0)

        // Heartbeat with 1000 live lanes at depth 3 (each thread parked in 3 scopes).
        let parked = ParkedLanes(count: 1000, depth: 3)
        let step = SnapshotStep()
        emit("heartbeat_snapshot_build_1000_lanes", nanosecondsPerOp(rounds: 31, ops: 20) { n in
            for _ in 0..<n { blackHole(step.run()) }
        } / 1000, "us")
        let probe = snapshotBlockingProbe(snapshots: 2000)
        emit("heartbeat_snapshot_build_1000_lanes_with_busy_writer", probe.medianNanoseconds / 1000, "us")
        emit("heartbeat_snapshots_observed_with_writer_running", Double(probe.observed), "of_\(probe.snapshots)", decimals: 0)
        emit("heartbeat_snapshots_blocking_scope_entry", Double(probe.blocking), "of_\(probe.observed)_observed", decimals: 0)
        emit("heartbeat_scope_pairs_during_snapshot_min", Double(probe.minimumPairsDuringObserved), "pairs", decimals: 0)
        // The same probe with a worker that enters no scope: what it counts is the machine.
        let control = snapshotBlockingProbe(snapshots: 2000, scopes: false)
        emit("heartbeat_snapshots_stalling_scopeless_control", Double(control.blocking), "of_\(control.observed)_observed", decimals: 0)
        emit("hypervisor_steal_during_probes", (probe.stealMilliseconds ?? .nan) + (control.stealMilliseconds ?? .nan), "ms", decimals: 0)
        let sampler = ProcSelfSampler()
        emit("monitor_proc_sample_1000_threads", nanosecondsPerOp(rounds: 11, ops: 20) { n in
            for _ in 0..<n { blackHole(sampler.sample()) }
        } / 1000, "us")
        // The same two steps as a real monitor sees them: once a second, with cold caches.
        var coldSample: [Double] = []
        var coldSnapshot: [Double] = []
        for _ in 0..<3 {
            usleep(1_000_000)
            let t0 = monotonicNanoseconds()
            blackHole(sampler.sample())
            let t1 = monotonicNanoseconds()
            blackHole(step.run())
            let t2 = monotonicNanoseconds()
            coldSample.append(Double(t1 - t0))
            coldSnapshot.append(Double(t2 - t1))
        }
        emit("monitor_proc_sample_1000_threads_after_1s_idle", median(coldSample) / 1000, "us")
        emit("heartbeat_snapshot_build_1000_lanes_after_1s_idle", median(coldSnapshot) / 1000, "us")
        let cpu = try monitorThreadCPU(interval: .seconds(1), beats: 4)
        emit("monitor_thread_cpu_1s_1000_lanes", cpu, "%core", decimals: 4)
        parked.stop()

        // Formats and sink.
        let heartbeat = sampleHeartbeat()
        for (name, format) in benchmarkFormats {
            emit("render_\(name)_8_phases_2_stalls", nanosecondsPerOp(rounds: 11, ops: 2000) { n in
                blackHole(render(format, heartbeat, times: n))
            } / 1000, "us")
        }
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

        // The HTML report (target: 10 000 heartbeats x 64 lanes in under 5 s, under 5 MB).
        let reportRecords = reportWorkload(heartbeats: 10_000, lanes: 64)
        var reportSeconds: [Double] = []
        var reportBytes = 0
        for _ in 0..<3 {
            let start = monotonicNanoseconds()
            reportBytes = renderReport(reportRecords)
            reportSeconds.append(Double(monotonicNanoseconds() - start) / 1e9)
        }
        emit("report_html_10000_heartbeats_64_lanes", median(reportSeconds), "s", decimals: 3)
        emit("report_html_10000_heartbeats_64_lanes_size", Double(reportBytes) / 1e6, "MB", decimals: 2)
    }
}
