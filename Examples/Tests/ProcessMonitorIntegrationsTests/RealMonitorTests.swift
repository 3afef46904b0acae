import InMemoryLogging
import InMemoryTracing
import Logging
import MetricsTestKit
import ProcessMonitor
import ProcessMonitorIntegrations
import ServiceLifecycle
import Testing
import Tracing

/// With a real `ProcessMonitor`. No test waits on time: the interval is an hour, so the only
/// heartbeats are the ones asked for (`emitNow`) and the final one (`stop`, or the end of
/// `run()`), and `await stop()` returns once every observer has the final one. Serialized, and
/// every check names its own scope labels, because scopes are process-wide. The time limit
/// turns a service that ignores graceful shutdown (the group would wait for ever) into a failure.
@Suite("With a real monitor", .serialized, .timeLimit(.minutes(1)))
struct RealMonitorTests {
    static let quiet = try! MonitorConfiguration(interval: .seconds(3600), stallThreshold: .seconds(3600))

    @Test func metricsObserverGetsTheRequestedAndTheFinalHeartbeat() async throws {
        let metrics = TestMetrics()
        let monitor = try ProcessMonitor(configuration: Self.quiet, observers: [MetricsHeartbeatObserver(factory: metrics)])
        try monitor.start()
        let requested = await withScope("metrics test scope") { await monitor.emit() }
        await monitor.shutdown()

        let heartbeat = try #require(requested)
        #expect(heartbeat.phases.contains { $0.label == "metrics test scope" })
        let lanes = try metrics.expectGauge(MetricsHeartbeatObserver.Name.instrumentedLanes)
        #expect(lanes.values.count == 2)  // requested, final
        #expect(lanes.values.first == Double(heartbeat.instrumentedLanes))
        #expect((lanes.values.first ?? 0) >= 1)
        let age = try metrics.expectGauge(MetricsHeartbeatObserver.Name.oldestPhaseAgeSeconds)
        #expect(age.values.count == 2)
        #if os(Linux)
        // /proc is there: the resources are known.
        #expect((try metrics.expectGauge(MetricsHeartbeatObserver.Name.residentMemoryBytes).lastValue ?? 0) > 0)
        #expect((try metrics.expectGauge(MetricsHeartbeatObserver.Name.threads).lastValue ?? 0) >= 1)
        #expect((try metrics.expectGauge(MetricsHeartbeatObserver.Name.cpuAvailableCores).lastValue ?? 0) > 0)
        #endif
    }

    @Test func loggerObserverLogsTheScopeAndTheFinalHeartbeat() async throws {
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "heartbeat") { _ in handler }
        let monitor = try ProcessMonitor(configuration: Self.quiet, observers: [LoggerHeartbeatObserver(logger: logger)])
        try monitor.start()
        _ = await withScope("logger test scope") { await monitor.emit() }
        await monitor.shutdown()

        let entries = handler.entries
        #expect(entries.count == 2)
        let phases = entries.first?.metadata["phases"]?.description ?? ""
        #expect(phases.contains(#""label": "logger test scope""#))
        #expect(entries.first?.metadata["trigger"]?.description == "requested")
        #expect(entries.last?.metadata["trigger"]?.description == "final")
    }

    // MARK: swift-service-lifecycle

    @Test func gracefulShutdownEndsTheMonitorServiceWithAFinalHeartbeat() async throws {
        let collected = Collected()
        let monitor = try ProcessMonitor(configuration: Self.quiet, observers: [collected])
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: ProcessMonitorService(monitor)),
                // A well-behaved service: returns on graceful shutdown.
                .init(service: ClosureService { try await gracefulShutdown() }),
            ],
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        ))
        // Asked before run(): the group remembers it and shuts down at once, each service in
        // turn (the closure service first, the monitor last). No signal, no timing.
        await group.triggerGracefulShutdown()
        try await group.run()

        #expect(collected.heartbeats.map(\.trigger) == [.final])
        #expect(!monitor.isRunning)
    }

    @Test func cancellationEndsTheMonitorServiceWithAFinalHeartbeat() async throws {
        let collected = Collected()
        let monitor = try ProcessMonitor(configuration: Self.quiet, observers: [collected])
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: ProcessMonitorService(monitor))],
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        ))
        let running = Task { try await group.run() }
        running.cancel()
        _ = await running.result

        #expect(collected.heartbeats.map(\.trigger) == [.final])
        #expect(!monitor.isRunning)
    }

    @Test func aStoppedMonitorCannotRunAgain() async throws {
        let monitor = try ProcessMonitor(configuration: Self.quiet, observers: [])
        try monitor.start()
        await monitor.shutdown()
        await #expect(throws: MonitorError.self) { try await ProcessMonitorService(monitor).run() }
    }

    // MARK: swift-distributed-tracing

    @Test func tracedScopesShowAsPhasesAndAsSpans() async throws {
        let tracer = InMemoryTracer()
        let monitor = try ProcessMonitor(configuration: Self.quiet, observers: [])
        try monitor.start()
        let heartbeat = await withTracedScope("traced outer", tracer: tracer) { outer in
            outer.attributes["test"] = "yes"
            return await withTracedScope("traced inner", tracer: tracer) { _ in await monitor.emit() }
        }
        await monitor.shutdown()

        // The inner span is its task's innermost scope; the outer one counts in the depth.
        let phase = try #require(heartbeat?.phases.first { $0.label == "traced inner" })
        #expect(phase.lane.kind == .task)
        #expect(phase.depth == 2)

        let spans = tracer.finishedSpans
        #expect(spans.map(\.operationName) == ["traced inner", "traced outer"])
        #expect(spans.first?.parentSpanID == spans.last?.spanID)
        #expect(spans.last?.attributes["test"]?.toSpanAttribute() == "yes")
    }

    @Test func concurrentSpansGetALaneEach() async throws {
        let tracer = InMemoryTracer()
        let monitor = try ProcessMonitor(configuration: Self.quiet, observers: [])
        try monitor.start()
        let heartbeat = await withTracedScope("traced fan-out", tracer: tracer) { _ in
            await withTaskGroup(of: Void.self) { group -> Heartbeat? in
                let (entered, signal) = AsyncStream.makeStream(of: Void.self)
                for shard in 0..<3 {
                    group.addTask {
                        await withTracedScope("traced shard \(shard)", tracer: tracer) { _ in
                            signal.yield()
                            try? await Task.sleep(for: .seconds(3600))  // until cancelled below
                        }
                    }
                }
                var inside = 0
                for await _ in entered {
                    inside += 1
                    if inside == 3 { break }
                }
                let heartbeat = await monitor.emit()
                group.cancelAll()
                return heartbeat
            }
        }
        await monitor.shutdown()

        let phases = try #require(heartbeat?.phases)
        let shards = phases.filter { $0.label.hasPrefix("traced shard ") }
        #expect(Set(shards.map(\.label)) == ["traced shard 0", "traced shard 1", "traced shard 2"])
        #expect(Set(shards.map(\.lane)).count == 3)
        #expect(phases.contains { $0.label == "traced fan-out" })
        let shardSpans = tracer.finishedSpans.filter { $0.operationName.hasPrefix("traced shard ") }
        let parent = tracer.finishedSpans.first { $0.operationName == "traced fan-out" }
        #expect(shardSpans.count == 3)
        #expect(shardSpans.allSatisfy { $0.parentSpanID == parent?.spanID })
    }

    @Test func withoutABootstrappedTracerTheScopesStillShow() async throws {
        // Nothing bootstrapped: the global tracer is the no-op one. Spans vanish; scopes don't.
        let monitor = try ProcessMonitor(configuration: Self.quiet, observers: [])
        try monitor.start()
        let async = await withTracedScope("untraced async") { _ in await monitor.emit() }
        let sync = withTracedScope("untraced sync") { _ in emitBlocking(monitor) }
        await monitor.shutdown()

        #expect(async?.phases.contains { $0.label == "untraced async" && $0.lane.kind == .task } == true)
        #expect(sync?.phases.contains { $0.label == "untraced sync" && $0.lane.kind == .thread } == true)
    }
}

/// The blocking `emitNow()`, from synchronous code (as a synchronous traced scope would call it).
private func emitBlocking(_ monitor: ProcessMonitor) -> Heartbeat? {
    monitor.emitNow()
}
