import Foundation

/// One observer's bounded queue and delivery thread.
///
/// The monitor thread only ever appends under a short lock; the observer runs on this
/// mailbox's own thread. That is what keeps a blocked sink from starving the other exporters
/// and from moving the schedule: measured before this existed, one sink blocked for 5 s cut every
/// other exporter from ~166 heartbeats to 3-4 in 16.6 s.
// @unchecked Sendable: every `var` is read and written only while `lock` is held.
final class ObserverMailbox: @unchecked Sendable {
    let observer: any HeartbeatObserver
    private let index: Int
    private let capacity: Int
    private let onFailure: @Sendable (Int, any HeartbeatObserver, any Error) -> Void

    private let lock = PosixLock()
    private let changed = PosixCondition()
    private var queue: [Heartbeat] = []
    private var head = 0
    private var dropped = 0
    private var closing = false
    private var finished = false
    /// The delivery thread's id, for telling a call from inside an observer.
    private var threadBits: UInt = 0

    init(observer: any HeartbeatObserver, index: Int, onFailure: @escaping @Sendable (Int, any HeartbeatObserver, any Error) -> Void) {
        self.observer = observer
        self.index = index
        // A capacity below one would drop everything; above 4096 is a misconfiguration that
        // could hold gigabytes of heartbeats behind a dead sink.
        self.capacity = min(max(1, observer.queueCapacity), 4096)
        self.onFailure = onFailure
    }

    /// Starts the delivery thread.
    func start() {
        let thread = Thread { [self] in self.deliverUntilClosed() }
        thread.name = "process-monitor-observer-\(index + 1)"
        thread.start()
    }

    /// Queues `heartbeat`, dropping the oldest waiting one when the queue is full. Never blocks
    /// on the observer.
    func post(_ heartbeat: Heartbeat) {
        lock.withLock {
            guard !closing else { return }
            if queue.count - head >= capacity {
                head += 1
                dropped += 1
            }
            // Compact now and then instead of removing from the front on every delivery.
            if head > 64 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            queue.append(heartbeat)
            changed.broadcast()
        }
    }

    /// Delivers what is queued, then calls `monitorDidStop()` and ends the thread.
    func close() {
        lock.withLock {
            closing = true
            changed.broadcast()
        }
    }

    /// Waits until the thread has delivered everything and the observer has stopped, or until
    /// `deadline` (precise monotonic nanoseconds); whether it finished.
    func waitUntilFinished(deadline: UInt64? = nil) -> Bool {
        lock.withLock {
            while !finished {
                if let deadline, monotonicPrecise() >= deadline { return false }
                changed.wait(lock, until: deadline)
            }
            return true
        }
    }

    /// Whether the calling thread is this mailbox's delivery thread.
    var isCurrentThread: Bool { lock.withLock { threadBits == pthreadSelfBits() } }

    private func deliverUntilClosed() {
        nameCurrentThreadForOS("pm-observer-\(index + 1)")
        lock.withLock { threadBits = pthreadSelfBits() }
        while true {
            let (next, droppedSinceLast): (Heartbeat?, Int) = lock.withLock {
                while head == queue.count && !closing { changed.wait(lock) }
                let dropped = self.dropped
                self.dropped = 0
                guard head < queue.count else { return (nil, dropped) }
                let next = queue[head]
                head += 1
                return (next, dropped)
            }
            if droppedSinceLast > 0 { observer.heartbeatsDropped(droppedSinceLast) }
            guard let next else { break }
            do {
                try observer.observe(next)
            } catch {
                onFailure(index, observer, error)
            }
        }
        observer.monitorDidStop()
        lock.withLock {
            finished = true
            queue.removeAll()
            head = 0
            changed.broadcast()
        }
    }
}
