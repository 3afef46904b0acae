import Dispatch
import Foundation
import ProcessMonitor

/// A simulated compute job that exercises everything a heartbeat shows: a named main phase, a
/// progress counter, a CPU fan-out over every core, a task group of async scopes, and a nested
/// phase that outlives the stall threshold.
struct DemoJob {
    let duration: Duration
    let interval: Duration
    let stallThreshold: Duration
    let workers: Int

    /// Runs on the calling (main) thread, so the job's phases show on `ThreadId(1)/main`.
    func run() {
        // The fan-out must cover two whole heartbeat windows so `cpu=` reads the core count; a
        // span of three intervals always does. The nested phase outlives the stall threshold by
        // more than one interval, so a heartbeat always catches it stalled. The task group lasts
        // longer than one interval, so a heartbeat lands inside it. Loading gets what is left.
        var fanOut = interval * 3
        var stall = stallThreshold + interval + .milliseconds(250)
        var tasks = interval * 5 / 4
        var load = interval / 2
        let needed = fanOut + stall + tasks + load
        if needed > duration {
            // `--duration` is a promise: shrink every phase in proportion (the STALL line may
            // then not appear, which `--help` says).
            let scale = duration / needed
            fanOut = fanOut * scale
            stall = stall * scale
            tasks = tasks * scale
            load = load * scale
        } else {
            load += duration - needed
        }

        withScope("simulated compute job") {
            loadInputs(for: load)
            scoreShards(for: fanOut)
            let taskSpan = tasks
            waitForAsyncWork { await fetchBatches(for: taskSpan) }
            withScope("finalize results") {
                withScope("wait for checkpoint flush") {
                    sleep(for: stall)
                }
            }
        }
    }

    /// Blocks the calling thread until `work` finishes on the concurrency pool.
    private func waitForAsyncWork(_ work: @escaping @Sendable () async -> Void) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await work()
            done.signal()
        }
        done.wait()
    }

    /// A sequential phase with a known total, so heartbeats show progress, rate and ETA.
    private func loadInputs(for span: Duration) {
        let chunks: UInt64 = 400
        withScope("load input shards", total: chunks) { progress in
            let perChunk = span / Int(chunks)
            for _ in 0..<chunks {
                sleep(for: perChunk)
                progress.increment()
            }
        }
    }

    /// `concurrentPerform` over every worker, each spinning on real arithmetic.
    private func scoreShards(for span: Duration) {
        let shardsPerWorker: UInt64 = 1000
        withScope("score shards (fan-out)", total: UInt64(workers) * shardsPerWorker) { progress in
            let deadline = ContinuousClock.now + span
            let perShard = span / Int(shardsPerWorker)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                withScope("score shard") {
                    var accumulator = 0.0
                    var shardEnd = ContinuousClock.now + perShard
                    while ContinuousClock.now < deadline {
                        for i in 0..<2_000 { accumulator += Double(i).squareRoot() }
                        if ContinuousClock.now >= shardEnd {
                            progress.increment()
                            shardEnd = shardEnd + perShard
                        }
                    }
                    blackHole(accumulator)
                }
            }
        }
    }

    /// Async scopes in a task group: each child has a lane of its own.
    private func fetchBatches(for span: Duration) async {
        await withScope("fetch remote batches") {
            await withTaskGroup(of: Void.self) { group in
                for batch in 0..<4 {
                    group.addTask {
                        await withScope(label: "fetch batch \(batch)") {
                            try? await Task.sleep(for: span * 0.6 + .milliseconds(50 * batch))
                            await withScope("parse batch") {
                                try? await Task.sleep(for: span * 0.35)
                            }
                        }
                    }
                }
            }
        }
    }
}

private func sleep(for duration: Duration) {
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}

@inline(never)
private func blackHole(_ value: Double) {
    if value.isNaN { print("") }
}
