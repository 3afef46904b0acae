// The full suite (issue #4's table), run with `swift package benchmark` in Benchmarks/.
// Names match the short mode's lines; `--filter` must match a whole name.
@preconcurrency import Benchmark
import BenchSupport
import MonitorExport
import ProcessMonitor

/// Live lanes for the heartbeat benchmarks, created in setup and released in teardown.
nonisolated(unsafe) var parkedLanes: ParkedLanes?

/// The HTML report's input, built in setup so generating it is not measured.
nonisolated(unsafe) var reportRecords: [DecodedRecord] = []

/// Nanosecond-scale benchmarks run a million operations per iteration, so the reported
/// figures (marked `*`, scaled) are per operation.
var perOperation: Benchmark.Configuration {
    Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal],
        warmupIterations: 2,
        scalingFactor: .mega,
        maxDuration: .seconds(1),
        maxIterations: 50
    )
}

/// Thousand-operation batches for microsecond-scale work.
var perThousand: Benchmark.Configuration {
    Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal],
        warmupIterations: 2,
        scalingFactor: .kilo,
        maxDuration: .seconds(1),
        maxIterations: 50
    )
}

var withParkedLanes: Benchmark.Configuration {
    Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal],
        warmupIterations: 5,
        scalingFactor: .one,
        maxDuration: .seconds(1),
        maxIterations: 2_000,
        setup: { parkedLanes = ParkedLanes(count: 1000, depth: 3) },
        teardown: {
            parkedLanes?.stop()
            parkedLanes = nil
        }
    )
}

/// A single run that records its own figures as custom metrics.
func once(_ metrics: [BenchmarkMetric], setup: Benchmark.BenchmarkSetupHook? = nil, teardown: Benchmark.BenchmarkTeardownHook? = nil)
    -> Benchmark.Configuration
{
    Benchmark.Configuration(
        metrics: metrics, warmupIterations: 0, scalingFactor: .one, maxDuration: .seconds(60), maxIterations: 1,
        setup: setup, teardown: teardown
    )
}

let blockingObserved = BenchmarkMetric.custom("snapshots observed (writer on CPU)", polarity: .prefersLarger, useScalingFactor: false)
let blockingCount = BenchmarkMetric.custom("snapshots blocking scope entry", useScalingFactor: false)
let pairsDuringSnapshot = BenchmarkMetric.custom("fewest writer pairs during a snapshot", polarity: .prefersLarger, useScalingFactor: false)
let sinkMegabytes = BenchmarkMetric.custom("MB/s (1 KiB records)", polarity: .prefersLarger, useScalingFactor: false)
let sinkRecords = BenchmarkMetric.custom("thousand records/s (256-byte records)", polarity: .prefersLarger, useScalingFactor: false)
let monitorCPU = BenchmarkMetric.custom("monitor thread CPU, ppm of a core", useScalingFactor: false)
let reportKilobytes = BenchmarkMetric.custom("report size, kB", useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    // MARK: Scope hot path (targets: <= 8 ns; depth 16 within 10 %; 2 threads <= 1.2x; ...)

    Benchmark("scope_pair_static_depth1", configuration: perOperation) { benchmark in
        staticScopePairs(benchmark.scaledIterations.count)
    }
    Benchmark("scope_pair_static_depth16", configuration: perOperation) { benchmark in
        atDepth(16) { staticScopePairs(benchmark.scaledIterations.count) }
    }
    // Both threads run a million pairs at once; wall time per iteration / 1M = cost per pair
    // on each thread (plus the thread start, ~0.1 ns when spread over a million pairs).
    Benchmark("scope_pair_static_2threads_per_thread", configuration: perOperation) { benchmark in
        BenchSupport.blackHole(concurrentScopePairs(threads: 2, pairs: benchmark.scaledIterations.count))
    }
    Benchmark("scope_pair_progress_increment", configuration: perOperation) { benchmark in
        progressScopePairs(benchmark.scaledIterations.count)
    }
    // As in a monitored job: scopes that begin and end between two snapshots skip the exit's
    // clock read. The monitor (hour-long interval, no observers) runs for the whole iteration.
    Benchmark("scope_pair_static_depth1_monitored", configuration: perOperation) { benchmark in
        try whileMonitored {
            benchmark.startMeasurement()
            staticScopePairs(benchmark.scaledIterations.count)
            benchmark.stopMeasurement()
        }
    }
    Benchmark("scope_pair_static_depth16_monitored", configuration: perOperation) { benchmark in
        try whileMonitored {
            atDepth(16) {
                benchmark.startMeasurement()
                staticScopePairs(benchmark.scaledIterations.count)
                benchmark.stopMeasurement()
            }
        }
    }
    Benchmark("scope_pair_string40", configuration: perOperation) { benchmark in
        stringScopePairs(benchmark.scaledIterations.count)
    }
    Benchmark("scope_pair_async", configuration: perOperation) { benchmark async in
        await asyncScopePairs(benchmark.scaledIterations.count)
    }
    Benchmark("scope_first_async_new_lane", configuration: perThousand) { benchmark async in
        await firstAsyncScopes(benchmark.scaledIterations.count)
    }
    // Exact count: the malloc metric must read 0 (per iteration of a thousand pairs).
    Benchmark(
        "scope_pair_static_mallocs",
        configuration: .init(metrics: [.mallocCountTotal], warmupIterations: 2, scalingFactor: .kilo, maxIterations: 20)
    ) { benchmark in
        staticScopePairs(benchmark.scaledIterations.count)
    }

    // MARK: Heartbeat with 1000 live lanes at depth 3 (target <= 100 us, never blocking)

    Benchmark("heartbeat_snapshot_build_1000_lanes", configuration: withParkedLanes) { benchmark in
        // Buffers warm, as on the monitor thread, which reuses them beat after beat.
        let step = SnapshotStep()
        BenchSupport.blackHole(step.run())
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { BenchSupport.blackHole(step.run()) }
    }
    Benchmark(
        "heartbeat_snapshots_blocking_scope_entry",
        configuration: once(
            [blockingObserved, blockingCount, pairsDuringSnapshot],
            setup: { parkedLanes = ParkedLanes(count: 1000, depth: 3) },
            teardown: {
                parkedLanes?.stop()
                parkedLanes = nil
            }
        )
    ) { benchmark in
        let probe = snapshotBlockingProbe(snapshots: 500)
        benchmark.measurement(blockingObserved, probe.observed)
        benchmark.measurement(blockingCount, probe.blocking)
        benchmark.measurement(pairsDuringSnapshot, Int(probe.minimumPairsDuringObserved))
    }
    Benchmark(
        "monitor_thread_cpu_1s_1000_lanes",
        configuration: once(
            [monitorCPU],
            setup: { parkedLanes = ParkedLanes(count: 1000, depth: 3) },
            teardown: {
                parkedLanes?.stop()
                parkedLanes = nil
            }
        )
    ) { benchmark in
        let percent = try monitorThreadCPU(interval: .seconds(1), beats: 8)
        benchmark.measurement(monitorCPU, Int((percent * 10_000).rounded()))
    }

    // MARK: Formats (target <= 10 us each) and sink (target >= 100 MB/s)

    let heartbeat = sampleHeartbeat()
    for (name, format) in benchmarkFormats {
        Benchmark("render_\(name)_8_phases_2_stalls", configuration: perThousand) { benchmark in
            BenchSupport.blackHole(render(format, heartbeat, times: benchmark.scaledIterations.count))
        }
    }
    // Each iteration: 10 000 records into a fresh sink (rotating every 8 MiB), as MB/s and as
    // records/s. The per-record cost: a system call per record more (an fstat to notice a
    // deleted file, as round 2 did) halved the 256-byte figure.
    sinkBenchmark("rotating_sink_1KiB_records", recordBytes: SinkWorkload.recordBytes, metric: sinkMegabytes) { records, seconds in
        Int(Double(records * SinkWorkload.recordBytes) / 1e6 / seconds)
    }
    sinkBenchmark("rotating_sink_256B_records", recordBytes: 256, metric: sinkRecords) { records, seconds in
        Int(Double(records) / 1e3 / seconds)
    }

    // MARK: HTML report (target: 10 000 heartbeats x 64 lanes in < 5 s, file < 5 MB)

    Benchmark(
        "report_html_10000_heartbeats_64_lanes",
        configuration: .init(
            metrics: [.wallClock, .peakMemoryResident, reportKilobytes], warmupIterations: 1, scalingFactor: .one,
            maxDuration: .seconds(60), maxIterations: 5,
            setup: { reportRecords = reportWorkload(heartbeats: 10_000, lanes: 64) },
            teardown: { reportRecords = [] }
        )
    ) { benchmark in
        benchmark.startMeasurement()
        let bytes = renderReport(reportRecords)
        benchmark.stopMeasurement()
        benchmark.measurement(reportKilobytes, bytes / 1000)
    }
}

/// A rotating-sink benchmark: each iteration writes 10 000 records of `recordBytes` into a fresh
/// sink, and `figure` turns the records written and the seconds taken into `metric`'s value.
func sinkBenchmark(
    _ name: String, recordBytes: Int, metric: BenchmarkMetric, figure: @escaping @Sendable (Int, Double) -> Int
) {
    Benchmark(
        name,
        configuration: .init(
            metrics: [.wallClock, metric], warmupIterations: 2, scalingFactor: .kilo,
            maxDuration: .seconds(2), maxIterations: 200
        )
    ) { benchmark in
        let workload = try SinkWorkload(recordBytes: recordBytes)
        defer { workload.remove() }
        let records = benchmark.scaledIterations.count * 10
        benchmark.startMeasurement()
        let start = monotonicNanoseconds()
        workload.write(records)
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        benchmark.stopMeasurement()
        benchmark.measurement(metric, figure(records, seconds))
    }
}
