import ProcessMonitor

/// A sink that keeps every line in memory, for your own tests.
///
/// ```swift
/// let sink = InMemorySink()
/// let exporter = HeartbeatExporter(format: TextFormat(), sink: sink)
/// let monitor = try ProcessMonitor(observers: [exporter])
/// try monitor.start(); monitor.emitNow(); monitor.stop()
/// #expect(sink.lines.first?.text.hasPrefix("[process-monitor] elapsed=") == true)
/// ```
public final class InMemorySink: HeartbeatSink {
    private let storage = LockedValue<(lines: [RenderedLine], closed: Bool, flushes: Int)>(([], false, 0))

    /// Creates an empty sink.
    public init() {}

    /// Every line written so far, in order.
    public var lines: [RenderedLine] { storage.withLock { $0.lines } }

    /// The text of every line written so far, in order.
    public var texts: [String] { lines.map(\.text) }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { storage.withLock { $0.closed } }

    /// How many times ``flush()`` was called.
    public var flushCount: Int { storage.withLock { $0.flushes } }

    /// Forgets every line written so far.
    public func removeAll() { storage.withLock { $0.lines.removeAll() } }

    public func write(_ line: RenderedLine) {
        storage.withLock { $0.lines.append(line) }
    }

    public func flush() { storage.withLock { $0.flushes += 1 } }

    public func close() { storage.withLock { $0.closed = true } }
}
