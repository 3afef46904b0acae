import Foundation
import ProcessMonitor

/// A bounded queue of HTTP requests with a sender thread of its own.
///
/// The caller's side (``enqueue(_:)``) takes a lock, appends and signals: it never waits for
/// the network, so the monitor thread and the job never slow down, whatever the server does.
/// The sender sends one request at a time, in order, and retries as ``RetryPolicy`` says;
/// while it waits, new requests queue up behind, and when the queue is full the oldest waiting
/// one is dropped, since a heartbeat's newest figures are worth more than its oldest.
///
/// Backoff carries over from one request to the next until one is delivered, so a server that
/// is down sees the delays grow instead of a fresh 1 s retry for every queued heartbeat.
///
/// ``close(timeout:)`` lets the sender drain the queue for at most `timeout` (a retry that
/// would land after that is not waited for), then counts whatever is left as dropped and
/// cuts the request in flight short.
// @unchecked Sendable: the mutable state is touched only with `lock` held, except
// `consecutiveFailures` and `warnedAboutRedirect`, which only the sender thread uses.
final class HTTPPostQueue: @unchecked Sendable {
    struct Settings: Sendable {
        var capacity: Int
        var requestTimeout: Duration
        var retry: RetryPolicy
    }

    /// The clocks, the random source and the sleep, injectable so the retry rules are tested
    /// without waiting.
    struct Timing: Sendable {
        var now: @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
        var wallNow: @Sendable () -> Date = { Date() }
        var random: @Sendable () -> Double = { Double.random(in: 0 ..< 1) }
        /// `nil`: wait on the queue's own condition, which `close` cuts short. A test passes a
        /// closure that advances its clock and returns at once.
        var sleep: (@Sendable (Duration) -> Void)? = nil

        static let system = Timing()
    }

    private let settings: Settings
    private let transport: any HTTPTransport
    private let timing: Timing
    private let warn: @Sendable (String) -> Void

    private let lock = PosixLock()
    private let condition = PosixCondition()
    private var pending: [HTTPPostRequest] = []
    private var inFlight = false
    private var closing = false
    private var closeDeadline: ContinuousClock.Instant?
    /// `close` stopped waiting: what was left is counted, and the sender counts nothing more.
    private var abandoned = false
    private var finished = false
    private var stats = HTTPDeliveryStatistics()
    private var consecutiveFailures = 0
    /// Whether a redirect was warned about: one warning says what to fix; later ones are only
    /// counted (the sender thread alone reads and writes it).
    private var warnedAboutRedirect = false

    /// Starts the sender thread. `warn` gets one sentence per problem; rate-limit it outside.
    init(settings: Settings, transport: any HTTPTransport, timing: Timing = .system, name: String,
         warn: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.transport = transport
        self.timing = timing
        self.warn = warn
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Queues `request` and returns at once. `false` when the queue is closed (the request is
    /// counted as dropped after close).
    @discardableResult
    func enqueue(_ request: HTTPPostRequest) -> Bool {
        var pushedOut = false
        let accepted: Bool = lock.withLock {
            if closing {
                stats.droppedAfterClose &+= 1
                return false
            }
            if pending.count >= settings.capacity {
                pending.removeFirst()
                stats.droppedQueueFull &+= 1
                pushedOut = true
            }
            pending.append(request)
            condition.broadcast()
            return true
        }
        if pushedOut {
            warn("queue full (\(settings.capacity) request\(settings.capacity == 1 ? "" : "s") waiting); dropped the oldest")
        }
        return accepted
    }

    var statistics: HTTPDeliveryStatistics { lock.withLock { stats } }

    /// Requests waiting, not counting one in flight.
    var pendingCount: Int { lock.withLock { pending.count } }

    /// Whether `close` had to give up on the sender (its bound passed) rather than see it finish.
    var wasCutShort: Bool { lock.withLock { abandoned && closeDeadline != nil } }

    /// Whether the sender thread has left its loop.
    var hasFinished: Bool { lock.withLock { finished } }

    /// Lets the sender drain the queue for at most `timeout`, then drops what is left and stops
    /// it. Returns the final statistics. A second call waits for the first one's end, again
    /// for at most `timeout`.
    @discardableResult
    func close(timeout: Duration) -> HTTPDeliveryStatistics {
        let waitUntil = ContinuousClock.now + timeout
        var cutShort = false
        let result: HTTPDeliveryStatistics = lock.withLock {
            if !closing {
                closing = true
                closeDeadline = timing.now() + timeout
                condition.broadcast()
            }
            while !finished && !abandoned {
                let left = ContinuousClock.now.duration(to: waitUntil)
                if left <= .zero { break }
                condition.wait(lock, for: left)
            }
            if !finished && !abandoned {
                stats.droppedAtClose &+= UInt64(pending.count) + (inFlight ? 1 : 0)
                pending.removeAll()
                abandoned = true
                cutShort = true
                condition.broadcast()
            }
            return stats
        }
        if cutShort { transport.cancelAll() }
        return result
    }

    /// Stops the sender without waiting, counting what is left as dropped at close: for a sink
    /// that goes away without being closed.
    func abandon() {
        let wasRunning: Bool = lock.withLock {
            guard !finished && !abandoned else { return false }
            closing = true
            stats.droppedAtClose &+= UInt64(pending.count) + (inFlight ? 1 : 0)
            pending.removeAll()
            abandoned = true
            condition.broadcast()
            return true
        }
        if wasRunning { transport.cancelAll() }
    }

    // MARK: - The sender thread

    private func run() {
        while let request = nextRequest() {
            deliver(request)
            lock.withLock {
                inFlight = false
                condition.broadcast()
            }
        }
    }

    private func nextRequest() -> HTTPPostRequest? {
        lock.withLock {
            while pending.isEmpty && !closing {
                condition.wait(lock)
            }
            if pending.isEmpty || abandoned {
                finished = true
                condition.broadcast()
                return nil
            }
            inFlight = true
            return pending.removeFirst()
        }
    }

    private func deliver(_ request: HTTPPostRequest) {
        let firstAttempt = timing.now()
        var attempts = 0
        while true {
            attempts += 1
            let outcome = transport.post(request, timeout: settings.requestTimeout)
            switch RetryPolicy.classify(outcome, now: timing.wallNow()) {
            case .delivered(let warning):
                consecutiveFailures = 0
                guard record({ $0.sent &+= 1 }) else { return }
                if let warning { warn("\(request.url.path): \(warning)") }
                return
            case .reject(let reason):
                guard record({ $0.droppedRejected &+= 1 }) else { return }
                warn("\(request.url.path): \(reason); dropped, since sending it again cannot help")
                return
            case .redirected(let reason):
                consecutiveFailures = 0
                guard record({ $0.droppedRejected &+= 1 }) else { return }
                guard !warnedAboutRedirect else { return }
                warnedAboutRedirect = true
                warn("\(request.url.path): \(reason), so the request and its headers (Authorization) never go elsewhere; "
                    + "dropped. Configure the address the server redirects to. Later redirects are counted as rejected, not warned about")
                return
            case .retry(let reason, let retryAfter):
                consecutiveFailures += 1
                let delay = settings.retry.delay(failures: consecutiveFailures, retryAfter: retryAfter, random: timing.random())
                let retryAt = timing.now() + delay
                if firstAttempt.duration(to: retryAt) > settings.retry.maxRetryDuration {
                    guard record({ $0.droppedGaveUp &+= 1 }) else { return }
                    warn("\(request.url.path): \(reason); gave up after \(attempts) attempt\(attempts == 1 ? "" : "s")")
                    return
                }
                if closeCutsShort(retryAt) {
                    _ = record { $0.droppedAtClose &+= 1 }
                    return
                }
                guard record({ $0.retried &+= 1 }) else { return }
                warn("\(request.url.path): \(reason); retrying in \(Self.describe(delay))")
                guard pause(until: retryAt) else {
                    _ = record { $0.droppedAtClose &+= 1 }
                    return
                }
            }
        }
    }

    /// Applies `change` to the statistics unless `close` already counted this request.
    private func record(_ change: (inout HTTPDeliveryStatistics) -> Void) -> Bool {
        lock.withLock {
            guard !abandoned else { return false }
            change(&stats)
            return true
        }
    }

    /// Whether a close in progress ends before `instant`, so a retry then would be too late.
    private func closeCutsShort(_ instant: ContinuousClock.Instant) -> Bool {
        lock.withLock {
            if abandoned { return true }
            guard let closeDeadline else { return false }
            return instant > closeDeadline
        }
    }

    /// Waits until `instant`; `false` when a close began meanwhile whose deadline comes first.
    private func pause(until instant: ContinuousClock.Instant) -> Bool {
        if let sleep = timing.sleep {
            sleep(timing.now().duration(to: instant))
            return !closeCutsShort(instant)
        }
        return lock.withLock {
            while true {
                if abandoned { return false }
                if let closeDeadline, instant > closeDeadline { return false }
                let left = timing.now().duration(to: instant)
                if left <= .zero { return true }
                condition.wait(lock, for: left)
            }
        }
    }

    private static func describe(_ duration: Duration) -> String {
        let milliseconds = duration.wholeMilliseconds
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        let tenths = (milliseconds + 50) / 100
        return "\(tenths / 10).\(tenths % 10) s"
    }
}
