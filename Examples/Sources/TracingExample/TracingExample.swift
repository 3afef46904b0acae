import ExampleSupport
import Foundation
import InMemoryTracing
import ProcessMonitor
import ProcessMonitorIntegrations
import Tracing

// Spans that show in heartbeats: `withTracedScope(name)` is `withSpan(name)` around
// `withScope(label: name)`, so while a span is open its task's lane has a scope of the same name,
// and a heartbeat taken then lists it as a phase. Here the tracer is swift-distributed-tracing's
// InMemoryTracer (a real service bootstraps swift-otel or another backend the same way); the
// example opens nested and concurrent spans, takes a heartbeat while they are all open, prints
// its phases beside the spans the tracer finished, and exits 1 if a span is missing.
@main
struct TracingExample {
    static func main() async throws {
        _ = ExampleArguments.parse(usage: """
            usage: TracingExample
            Opens nested and concurrent spans, takes a heartbeat while they are open, prints its phases
            beside the finished spans, and exits 1 if a span is missing from the heartbeat.
            """)
        let tracer = InMemoryTracer()
        InstrumentationSystem.bootstrap(tracer)

        // No scheduled heartbeats (one an hour): only the one we ask for, and the final one.
        let monitor = try ProcessMonitor.start(
            configuration: try MonitorConfiguration(interval: .seconds(3600), stallThreshold: .seconds(60)),
            observers: []
        )

        let snapshot = await withTracedScope("handle request") { request in
            request.attributes["request.id"] = "r-1"
            return await withTracedScope("fan out") { _ in
                await withTaskGroup(of: Void.self) { group in
                    let (entered, signal) = AsyncStream.makeStream(of: Void.self)
                    for shard in 0..<2 {
                        group.addTask {
                            // A child task: a lane of its own, and a child span of "fan out".
                            await withTracedScope("query shard \(shard)") { _ in
                                signal.yield()
                                // Stays open until the heartbeat is taken and the group cancelled.
                                try? await Task.sleep(for: .seconds(3600))
                            }
                        }
                    }
                    // Both shards are inside their spans (and scopes) once both have signalled.
                    var count = 0
                    for await _ in entered {
                        count += 1
                        if count == 2 { break }
                    }
                    let heartbeat = await withTracedScope("take heartbeat") { _ in await monitor.emit() }
                    group.cancelAll()
                    return heartbeat
                }
            }
        }
        await monitor.shutdown()

        guard let snapshot else {
            print("TracingExample: the monitor produced no heartbeat")
            exit(1)
        }
        print("heartbeat \(snapshot.sequence) (\(snapshot.trigger.rawValue)) taken while the spans were open:")
        for phase in snapshot.phases {
            print("  phase lane=\(phase.lane) depth=\(phase.depth) label=\"\(phase.label)\"")
        }
        let spans = tracer.finishedSpans
        let names = Dictionary(spans.map { ($0.spanID, $0.operationName) }, uniquingKeysWith: { first, _ in first })
        print("spans the tracer finished:")
        for span in spans {
            let parent = span.parentSpanID.flatMap { names[$0] }.map { " parent=\"\($0)\"" } ?? ""
            print("  span name=\"\(span.operationName)\" trace=\(span.traceID)\(parent)")
        }

        // Each task's innermost span is its lane's phase; the outer spans of a task count in its depth.
        let expected = ["take heartbeat", "query shard 0", "query shard 1"]
        let labels = Set(snapshot.phases.map(\.label))
        let missing = expected.filter { !labels.contains($0) }
        let unfinished = ["handle request", "fan out"] + expected
        let notTraced = unfinished.filter { name in !spans.contains { $0.operationName == name } }
        if !missing.isEmpty || !notTraced.isEmpty {
            print("TracingExample: FAIL: spans missing from the heartbeat: \(missing); spans not traced: \(notTraced)")
            exit(1)
        }
        print("TracingExample: every open span showed as a phase")
    }
}
