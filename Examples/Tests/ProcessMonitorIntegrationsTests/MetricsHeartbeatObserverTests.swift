import Metrics
import MetricsTestKit
import ProcessMonitor
import ProcessMonitorIntegrations
import Testing

@Suite("MetricsHeartbeatObserver, checked with swift-metrics' TestMetrics")
struct MetricsHeartbeatObserverTests {
    typealias Name = MetricsHeartbeatObserver.Name
    let dimensions = [("job", "import"), ("rank", "0")]

    @Test func everyGaugeGetsItsFigure() throws {
        let metrics = TestMetrics()
        MetricsHeartbeatObserver(dimensions: dimensions, factory: metrics).observe(Fixture.stalled)

        let expected: [(String, Double)] = [
            (Name.cpuCoresBusy, 1.5),
            (Name.cpuAvailableCores, 2),
            (Name.residentMemoryBytes, Double(200 << 20)),
            (Name.residentMemoryPeakBytes, Double(300 << 20)),
            (Name.threads, 12),
            (Name.readBytes, 4096),
            (Name.writtenBytes, 8192),
            (Name.stalledLanes, 2),
            (Name.instrumentedLanes, 3),
            (Name.oldestPhaseAgeSeconds, 4.25),
        ]
        #expect(expected.map(\.0) == Name.all)
        for (name, value) in expected {
            let gauge = try metrics.expectGauge(name, dimensions)
            #expect(gauge.values == [value], "\(name)")
            #expect(gauge.aggregate == false, "\(name) is a gauge, not an aggregating recorder")
        }
    }

    @Test func noDimensionsByDefaultAndNoOtherMetrics() throws {
        let metrics = TestMetrics()
        MetricsHeartbeatObserver(factory: metrics).observe(Fixture.busy)
        for name in Name.all {
            #expect(try metrics.expectGauge(name).lastValue != nil, "\(name)")
        }
        #expect(metrics.recorders.count == Name.all.count)
        #expect(metrics.counters.isEmpty && metrics.timers.isEmpty && metrics.meters.isEmpty)
    }

    @Test func unknownFiguresLeaveTheirGaugeAlone() throws {
        let metrics = TestMetrics()
        let observer = MetricsHeartbeatObserver(factory: metrics)
        observer.observe(Fixture.busy)
        observer.observe(Fixture.unknown)

        // Unknown (nil) resources and CPU: the earlier value stays, no zero is made up.
        for name in [Name.cpuCoresBusy, Name.cpuAvailableCores, Name.residentMemoryBytes, Name.residentMemoryPeakBytes,
                     Name.threads, Name.readBytes, Name.writtenBytes] {
            #expect(try metrics.expectGauge(name).values.count == 1, "\(name)")
        }
        // Always known: counts, and the oldest phase's age, 0 when idle.
        #expect(try metrics.expectGauge(Name.stalledLanes).values == [0, 0])
        #expect(try metrics.expectGauge(Name.instrumentedLanes).values == [3, 0])
        #expect(try metrics.expectGauge(Name.oldestPhaseAgeSeconds).values == [4.25, 0])
    }

    @Test func hugeCountsAreClampedNotTrapped() throws {
        let metrics = TestMetrics()
        var heartbeat = Fixture.busy
        heartbeat.resources.readBytes = .max
        MetricsHeartbeatObserver(factory: metrics).observe(heartbeat)
        #expect(try metrics.expectGauge(Name.readBytes).lastValue == Double(Int64.max))
    }
}
