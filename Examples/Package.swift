// swift-tools-version:6.1
import PackageDescription

// A nested package so the main package keeps no dependencies: ProcessMonitor beside the
// swift-server ecosystem. `.ci/check-examples.sh` builds it with zero warnings, runs its tests
// and runs every example.
//
// - ProcessMonitorIntegrations: small adapters worth copying into a project
//   (`MetricsHeartbeatObserver`, `LoggerHeartbeatObserver`, `ProcessMonitorService`,
//   `withTracedScope`, `LastWarningsSink`).
// - ServiceLifecycleExample: the monitor in a `ServiceGroup` beside a service; SIGTERM ends
//   both, and the final heartbeat is written.
// - MetricsExample: heartbeats as swift-metrics gauges.
// - SwiftLogBridge: one swift-log event per heartbeat, with structured metadata.
// - TracingExample: every span opens a scope, so spans show in heartbeats.
// - CustomSinkExample: a sink of one's own (`LastWarningsSink`, in ProcessMonitorIntegrations)
//   registered as the export kind `last-warnings`, from outside the package: public API only.
let package = Package(
    name: "ProcessMonitorExamples",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "ProcessMonitor", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // The examples' command-line check: --help, unknown flags, too many arguments.
        .target(name: "ExampleSupport"),
        .target(
            name: "ProcessMonitorIntegrations",
            dependencies: [
                .product(name: "ProcessMonitor", package: "ProcessMonitor"),
                .product(name: "MonitorExport", package: "ProcessMonitor"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ServiceLifecycleExample",
            dependencies: [
                "ExampleSupport",
                "ProcessMonitorIntegrations",
                .product(name: "ProcessMonitor", package: "ProcessMonitor"),
                .product(name: "MonitorExport", package: "ProcessMonitor"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "MetricsExample",
            dependencies: [
                "ExampleSupport",
                "ProcessMonitorIntegrations",
                .product(name: "ProcessMonitor", package: "ProcessMonitor"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "SwiftLogBridge",
            dependencies: [
                "ExampleSupport",
                "ProcessMonitorIntegrations",
                .product(name: "ProcessMonitor", package: "ProcessMonitor"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "TracingExample",
            dependencies: [
                "ExampleSupport",
                "ProcessMonitorIntegrations",
                .product(name: "ProcessMonitor", package: "ProcessMonitor"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ]
        ),
        .executableTarget(
            name: "CustomSinkExample",
            dependencies: [
                "ExampleSupport",
                "ProcessMonitorIntegrations",
                .product(name: "ProcessMonitor", package: "ProcessMonitor"),
                .product(name: "MonitorExport", package: "ProcessMonitor"),
            ]
        ),
        .testTarget(
            name: "ProcessMonitorIntegrationsTests",
            dependencies: [
                "ExampleSupport",
                "ProcessMonitorIntegrations",
                .product(name: "ProcessMonitor", package: "ProcessMonitor"),
                .product(name: "MonitorExport", package: "ProcessMonitor"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
