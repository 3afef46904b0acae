// swift-tools-version:6.1
import PackageDescription

// The main package has no package dependencies on purpose: a monitoring library must be safe to
// add to any job. Benchmarks and examples that need other packages live in nested packages.
let package = Package(
    name: "ProcessMonitor",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ProcessMonitor", targets: ["ProcessMonitor"]),
        .library(name: "MonitorExport", targets: ["MonitorExport"]),
        .library(name: "MonitorReport", targets: ["MonitorReport"]),
        .library(name: "ProcessMonitorTesting", targets: ["ProcessMonitorTesting"]),
        .executable(name: "heartbeat-demo", targets: ["heartbeat-demo"]),
    ],
    targets: [
        .target(name: "ProcessMonitor"),
        .target(name: "MonitorExport", dependencies: ["ProcessMonitor"]),
        .target(name: "MonitorReport", dependencies: ["ProcessMonitor", "MonitorExport"]),
        .target(name: "ProcessMonitorTesting", dependencies: ["ProcessMonitor", "MonitorExport"]),
        .executableTarget(name: "heartbeat-demo", dependencies: ["ProcessMonitor", "MonitorExport", "MonitorReport"]),
        .testTarget(
            name: "ProcessMonitorTests",
            dependencies: ["ProcessMonitor", "ProcessMonitorTesting"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "MonitorExportTests",
            dependencies: ["MonitorExport", "ProcessMonitor", "ProcessMonitorTesting"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "MonitorReportTests",
            dependencies: ["MonitorReport", "MonitorExport", "ProcessMonitor"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
