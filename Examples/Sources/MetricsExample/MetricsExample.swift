import ExampleSupport
import Foundation
import Metrics
import MetricsTestKit
import ProcessMonitor
import ProcessMonitorIntegrations

// Heartbeats as swift-metrics gauges. A real service bootstraps its backend (swift-prometheus,
// StatsD, OpenTelemetry); here swift-metrics' own StreamMetricsFactory prints every gauge update
// to stdout as it happens:
//
//   record value metric.name=processmonitor_resident_memory_bytes metric.dimensions=[job=metrics-example] metric.aggregate=false metric.value=21979136
//
// and a TestMetrics beside it keeps the values, so the example can show the last one of each
// gauge at the end (and fail if a gauge never got one).
@main
struct MetricsExample {
    static func main() async throws {
        _ = ExampleArguments.parse(usage: """
            usage: MetricsExample
            Runs a short job with the monitor feeding swift-metrics gauges; prints every gauge update,
            then the last value of each, and exits 1 if a gauge was never recorded.
            """)
        let recorded = TestMetrics()
        MetricsSystem.bootstrap(MultiplexMetricsHandler(factories: [StreamMetricsFactory.standardOutput(), recorded]))
        let dimensions = [("job", "metrics-example")]

        let monitor = try ProcessMonitor.start(
            configuration: try MonitorConfiguration(interval: .milliseconds(200), stallThreshold: .milliseconds(500)),
            observers: [MetricsHeartbeatObserver(dimensions: dimensions)]
        )
        await withScope("metrics example job") {
            // Busy on every core for a moment (shorter than the stall threshold), so
            // processmonitor_cpu_cores_busy has something to show.
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<ProcessInfo.processInfo.activeProcessorCount {
                    group.addTask {
                        withScope(label: "spin \(worker)") { spin(for: .milliseconds(300)) }
                    }
                }
            }
            // Then one slow step that outlives the stall threshold: processmonitor_stalled_lanes = 1.
            await withScope("slow step") {
                try? await Task.sleep(for: .milliseconds(900))
            }
        }
        await monitor.shutdown()

        print("--- last value of each gauge")
        var missing: [String] = []
        for name in MetricsHeartbeatObserver.Name.all {
            guard let gauge = try? recorded.expectGauge(name, dimensions), let last = gauge.lastValue else {
                missing.append(name)
                continue
            }
            let peak = gauge.values.max() ?? last
            print("\(name) last=\(last) max=\(peak) updates=\(gauge.values.count)")
        }
        if !missing.isEmpty {
            print("MetricsExample: gauges never recorded: \(missing.joined(separator: ", "))")
            exit(1)
        }
    }

    /// Keeps one core busy for `duration`.
    static func spin(for duration: Duration) {
        let clock = ContinuousClock()
        let end = clock.now + duration
        var x: UInt64 = 1
        while clock.now < end {
            for _ in 0..<10_000 { x = x &* 6364136223846793005 &+ 1442695040888963407 }
        }
        if x == 42 { print("") }  // keeps the loop from being optimised away
    }
}
