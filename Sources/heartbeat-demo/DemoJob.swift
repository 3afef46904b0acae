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
        // The fan-out covers two heartbeat windows, so one whole window reads every core busy.
        // A stalled scope outlives the threshold by more than one interval, so a heartbeat always
        // catches it stalled. Loading gets what is left.
        var fanOut = interval * 2
        var stall = stallThreshold + interval + .milliseconds(250)
        var tasks = stall
        var load = interval / 4
        let needed = fanOut + stall + tasks + load
        if needed > duration {
            // `--duration` is a promise: shrink every phase in proportion (the STALL lines may
            // then not appear, which `--help` says).
            let scale = duration / needed
            fanOut = fanOut * scale
            stall = stall * scale
            tasks = tasks * scale
            load = load * scale
        } else {
            load += duration - needed
        }

        // Long by design: a per-scope threshold of never, so the outer scope is never a STALL.
        withScope("simulated compute job", stallThreshold: .never) {
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

    /// `concurrentPerform` over every worker, each spinning on real arithmetic, one short scope
    /// per shard.
    private func scoreShards(for span: Duration) {
        let shardsPerWorker = 1000
        withScope("score shards (fan-out)", total: workers * shardsPerWorker) { progress in
            let deadline = ContinuousClock.now + span
            let perShard = span / shardsPerWorker
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                var accumulator = 0.0
                while ContinuousClock.now < deadline {
                    withScope("score shard") {
                        let shardEnd = min(ContinuousClock.now + perShard, deadline)
                        while ContinuousClock.now < shardEnd {
                            for i in 0..<2_000 { accumulator += Double(i).squareRoot() }
                        }
                    }
                    progress.increment()
                }
                blackHole(accumulator)
            }
        }
    }

    /// Async scopes in a task group: each child has a lane of its own, linked to the parent's.
    /// The parent outlives the stall threshold but waits on live children, so it is no STALL;
    /// batch 0's mirror hangs in one scope past the threshold (a STALL, then a STALL-END when it
    /// recovers); the other batches keep entering short scopes.
    private func fetchBatches(for span: Duration) async {
        await withScope("fetch remote batches") {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await withScope("fetch batch 0 (slow mirror)") {
                        try? await Task.sleep(for: span)
                    }
                }
                for batch in 1 ..< 4 {
                    group.addTask {
                        let deadline = ContinuousClock.now + span
                        // The number of chunks is not known up front: a total of 0 reads `progress=N/?`.
                        await withScope("fetch batch \(batch)", total: 0) { progress in
                            while ContinuousClock.now < deadline {
                                await withScope("parse chunk") {
                                    try? await Task.sleep(for: .milliseconds(50 + 10 * batch))
                                }
                                progress.increment()
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
