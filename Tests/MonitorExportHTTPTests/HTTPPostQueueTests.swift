import MonitorExport
import Foundation
@testable import MonitorExportHTTP
import ProcessMonitor
import TestSupport
import Testing

private func makeQueue(
    _ transport: ScriptedTransport,
    capacity: Int = 64,
    maxRetryDuration: Duration = .seconds(300),
    timing: HTTPPostQueue.Timing,
    warnings: WarningRecorder = WarningRecorder()
) -> HTTPPostQueue {
    HTTPPostQueue(
        settings: HTTPPostQueue.Settings(
            capacity: capacity,
            requestTimeout: .seconds(10),
            retry: RetryPolicy(initialBackoff: .seconds(1), maxBackoff: .seconds(30), maxRetryDuration: maxRetryDuration)
        ),
        transport: transport,
        timing: timing,
        name: "test-queue",
        warn: { message in warnings.diagnostics.warn(message) }
    )
}

@Suite struct HTTPPostQueueTests {
    @Test func deliversEveryRequestInOrder() {
        let transport = ScriptedTransport()
        let queue = makeQueue(transport, timing: ManualTiming().timing)
        for number in 0 ..< 5 { queue.enqueue(request(number)) }
        let stats = queue.close(timeout: .seconds(60))
        #expect(transport.posts == (0 ..< 5).map { request($0) })
        #expect(stats.sent == 5 && stats.dropped == 0 && stats.retried == 0)
    }

    @Test func dropsTheOldestWaitingRequestWhenFull() {
        let transport = ScriptedTransport(holding: true)
        let warnings = WarningRecorder()
        let queue = makeQueue(transport, capacity: 3, timing: ManualTiming().timing, warnings: warnings)
        queue.enqueue(request(0))
        #expect(waitUntil { transport.posts.count == 1 }, "the first request in flight")
        for number in 1 ... 5 { queue.enqueue(request(number)) }
        #expect(queue.statistics.droppedQueueFull == 2)
        #expect(queue.pendingCount == 3)
        transport.release()
        let stats = queue.close(timeout: .seconds(60))
        #expect(transport.posts == [request(0), request(3), request(4), request(5)])
        #expect(stats.sent == 4 && stats.droppedQueueFull == 2 && stats.dropped == 2)
        #expect(warnings.all.contains { $0.contains("queue full (3 requests waiting); dropped the oldest") })
    }

    @Test(arguments: [
        HTTPOutcome.status(429), .status(502), .status(503), .status(504),
        .failed(reason: "cannot connect (connection refused)", retryable: true),
        .failed(reason: "timed out", retryable: true),
    ])
    func retriesRetryableOutcomesWithTheSameBytes(outcome: HTTPOutcome) {
        let transport = ScriptedTransport { _, attempt in attempt == 0 ? outcome : .ok }
        let clock = ManualTiming()
        let queue = makeQueue(transport, timing: clock.timing)
        queue.enqueue(request(7))
        let stats = queue.close(timeout: .seconds(60))
        #expect(transport.posts == [request(7), request(7)])
        #expect(stats.sent == 1 && stats.retried == 1 && stats.dropped == 0)
        #expect(clock.sleeps == [.milliseconds(500)])
    }

    @Test func honoursRetryAfterInSecondsOrAsADateCappedAtTheMaximumBackoff() {
        let answers: [HTTPOutcome] = [
            .status(503, retryAfter: "7"),
            .status(429, retryAfter: "3600"),
            // ManualTiming's wall clock starts at 2027-01-15T08:00:00Z and has moved 37 s by now.
            .status(503, retryAfter: "Fri, 15 Jan 2027 08:00:49 GMT"),
            .ok,
        ]
        let transport = ScriptedTransport { _, attempt in answers[min(attempt, answers.count - 1)] }
        let clock = ManualTiming()
        let queue = makeQueue(transport, timing: clock.timing)
        queue.enqueue(request(1))
        let stats = queue.close(timeout: .seconds(60))
        #expect(clock.sleeps == [.seconds(7), .seconds(30), .seconds(12)])
        #expect(stats.sent == 1 && stats.retried == 3)
    }

    @Test func backsOffExponentiallyAcrossRequestsUntilOneIsDelivered() {
        // Attempts 0-2 fail (request A gives up: its third retry would come after 2 s), attempt
        // 3 fails too (request B, whose backoff continues where A's left off and gives up at
        // once), attempt 4 delivers C, and attempt 5 fails once for D, from the start again.
        let transport = ScriptedTransport { _, attempt in
            [0, 1, 2, 3, 5].contains(attempt) ? .failed(reason: "refused", retryable: true) : .ok
        }
        let clock = ManualTiming(random: 0)
        let queue = makeQueue(transport, maxRetryDuration: .seconds(2), timing: clock.timing)
        for number in 0 ..< 4 { queue.enqueue(request(number)) }
        let stats = queue.close(timeout: .seconds(60))
        #expect(clock.sleeps == [.milliseconds(500), .seconds(1), .milliseconds(500)])
        #expect(transport.posts == [request(0), request(0), request(0), request(1), request(2), request(3), request(3)])
        #expect(stats.droppedGaveUp == 2 && stats.sent == 2 && stats.retried == 3)
    }

    @Test(arguments: [400, 401, 404, 413, 500])
    func dropsRequestsTheServerRefusesWithoutRetrying(status: Int) {
        let transport = ScriptedTransport { _, _ in .status(status) }
        let warnings = WarningRecorder()
        let clock = ManualTiming()
        let queue = makeQueue(transport, timing: clock.timing, warnings: warnings)
        queue.enqueue(request(1))
        queue.enqueue(request(2))
        let stats = queue.close(timeout: .seconds(60))
        #expect(transport.posts == [request(1), request(2)])
        #expect(stats.droppedRejected == 2 && stats.sent == 0 && clock.sleeps.isEmpty)
        #expect(warnings.all.first?.contains("/v1/logs: HTTP \(status)") == true)
    }

    @Test func givesUpOnARequestAfterTheLongestRetryTime() {
        let transport = ScriptedTransport { _, _ in .status(503) }
        let clock = ManualTiming(random: 0.999)
        let warnings = WarningRecorder()
        let queue = makeQueue(transport, maxRetryDuration: .seconds(60), timing: clock.timing, warnings: warnings)
        queue.enqueue(request(1))
        let stats = queue.close(timeout: .seconds(600))
        #expect(stats.droppedGaveUp == 1 && stats.sent == 0)
        let waited = clock.sleeps.reduce(Duration.zero, +)
        #expect(waited <= .seconds(60))
        #expect(warnings.all.last?.contains("gave up after \(transport.posts.count) attempts") == true)
    }

    @Test func closeCountsWhatAHungServerHoldsAndCutsTheRequestShort() {
        let transport = ScriptedTransport(holding: true)
        let queue = makeQueue(transport, timing: ManualTiming().timing)
        for number in 0 ..< 3 { queue.enqueue(request(number)) }
        #expect(waitUntil { transport.posts.count == 1 }, "a request in flight")
        let stats = queue.close(timeout: .milliseconds(50))
        #expect(stats.droppedAtClose == 3 && stats.sent == 0)
        #expect(transport.wasCancelled)
        #expect(!queue.enqueue(request(9)))
        #expect(queue.statistics.droppedAfterClose == 1)
        #expect(queue.statistics.dropped == 4)
    }

    @Test func closeDoesNotWaitForARetryThatWouldComeAfterItsBound() {
        // Real waiting this time: the retry is 30 s away, the close bound 20 s. The sender must
        // see at once that the retry comes too late, drop the request itself and finish, rather
        // than have close() wait out its bound.
        let transport = ScriptedTransport { _, _ in .status(503, retryAfter: "30") }
        let queue = makeQueue(transport, timing: .system)
        queue.enqueue(request(1))
        #expect(waitUntil { queue.statistics.retried == 1 }, "the first attempt")
        let stats = queue.close(timeout: .seconds(20))
        #expect(stats.droppedAtClose == 1)
        #expect(!queue.wasCutShort, "the sender dropped the request itself; close did not have to give up on it")
        #expect(transport.posts.count == 1)
    }

    @Test func abandoningStopsTheSenderAndCountsWhatWasLeft() {
        let transport = ScriptedTransport(holding: true)
        let queue = makeQueue(transport, timing: ManualTiming().timing)
        queue.enqueue(request(0))
        queue.enqueue(request(1))
        #expect(waitUntil { transport.posts.count == 1 }, "a request in flight")
        queue.abandon()
        #expect(queue.statistics.droppedAtClose == 2)
        #expect(transport.wasCancelled)
        #expect(waitUntil { queue.hasFinished }, "the sender to finish")
    }
}
