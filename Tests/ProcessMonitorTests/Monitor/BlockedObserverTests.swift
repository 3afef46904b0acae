import Foundation
import ProcessMonitorTesting
import Synchronization
import Testing
import TestSupport

@testable import ProcessMonitor

@Suite struct BlockedObserverTests {
    /// An observer stuck in a write must not hang a shutdown that asked for a bound.
    @Test func stopWithATimeoutReturnsWhileAnObserverIsBlocked() throws {
        let gate = DispatchSemaphore(value: 0)
        let blockFinal = ClosureObserver { heartbeat in
            if heartbeat.trigger == .final { gate.wait() }
        }
        let recorder = HeartbeatRecorder()
        let monitor = try ProcessMonitor(
            configuration: try MonitorConfiguration(interval: .seconds(3600)),
            observers: [blockFinal, recorder],
            clock: ManualMonitorClock(),
            sampler: FixedSampler()
        )
        monitor.reportWarnings(to: CapturedReports().append)
        try monitor.start()
        #expect(monitor.stop(timeout: .milliseconds(50)) == false, "the final heartbeat is still with the blocked observer")
        // The other observer has its own thread: it got the final heartbeat and stopped anyway.
        #expect(waitUntil { recorder.stopCount == 1 })
        #expect(recorder.heartbeats.map(\.trigger) == [.final])
        #expect(monitor.isRunning, "the monitor finishes once every observer has")
        gate.signal()
        #expect(monitor.stop(timeout: .seconds(120)) == true)
        #expect(!monitor.isRunning)
    }
}
