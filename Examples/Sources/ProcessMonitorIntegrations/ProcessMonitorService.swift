import ProcessMonitor
import ServiceLifecycle

/// A monitor as a swift-service-lifecycle `Service` that ends on the group's graceful shutdown
/// (SIGTERM, `triggerGracefulShutdown()`) as well as on cancellation, writing its final
/// heartbeat either way.
///
/// Why a wrapper and not just `extension ProcessMonitor: @retroactive Service {}`:
/// `ProcessMonitor.run()` has `Service`'s shape and ends when its task is **cancelled**, so that
/// one line is enough for a group whose signals are `cancellationSignals`. But on a
/// **graceful** shutdown a `ServiceGroup` cancels nothing: it tells each service, last first,
/// through a task-local graceful-shutdown handler, and waits for it to return before it tells
/// the next one. `run()` does not listen for that, so the group would wait for ever (or until
/// `maximumGracefulShutdownDuration` escalates to cancelling everything). `run()` here wraps
/// the monitor's in `cancelWhenGracefulShutdown`, which turns graceful shutdown into
/// cancellation of that one child task: the monitor stops, delivers its final heartbeat to
/// every observer, and `run()` returns.
///
/// Put it **first** in the group's services: services shut down in reverse order, so the
/// monitor is the last one stopped and its final heartbeat shows how the others ended.
///
/// ```swift
/// let group = ServiceGroup(configuration: .init(
///     services: [.init(service: ProcessMonitorService(monitor)), .init(service: server)],
///     gracefulShutdownSignals: [.sigterm],
///     logger: logger
/// ))
/// try await group.run()
/// ```
public struct ProcessMonitorService: Service, CustomStringConvertible {
    /// The monitor `run()` runs.
    public let monitor: ProcessMonitor

    /// Wraps `monitor`, which `run()` starts if it is not running yet.
    public init(_ monitor: ProcessMonitor) {
        self.monitor = monitor
    }

    /// Runs the monitor until graceful shutdown or cancellation, then returns once the final
    /// heartbeat is delivered. Throws only if the monitor was already stopped.
    public func run() async throws {
        let monitor = self.monitor
        try await cancelWhenGracefulShutdown {
            try await monitor.run()
        }
    }

    /// The name the service group logs.
    public var description: String { "ProcessMonitor" }
}
