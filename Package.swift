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
        // A product of its own because it imports FoundationNetworking, which on Linux links
        // libcurl and its TLS, LDAP and Kerberos libraries into every binary that uses it.
        .library(name: "MonitorExportHTTP", targets: ["MonitorExportHTTP"]),
        .library(name: "ProcessMonitorTesting", targets: ["ProcessMonitorTesting"]),
        .executable(name: "heartbeat-demo", targets: ["heartbeat-demo"]),
    ],
    targets: [
        .target(name: "ProcessMonitor"),
        .target(name: "MonitorExport", dependencies: ["ProcessMonitor"]),
        .target(name: "MonitorExportHTTP", dependencies: ["MonitorExport", "ProcessMonitor"]),
        .target(name: "ProcessMonitorTesting", dependencies: ["ProcessMonitor", "MonitorExport"]),
        // Helpers shared by the test targets (waiting on a condition); not a product.
        .target(name: "TestSupport", path: "Tests/Support"),
        .executableTarget(name: "heartbeat-demo", dependencies: ["ProcessMonitor", "MonitorExport", "MonitorExportHTTP"]),
        .testTarget(
            name: "ProcessMonitorTests",
            dependencies: ["ProcessMonitor", "ProcessMonitorTesting", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "MonitorExportTests",
            dependencies: ["MonitorExport", "ProcessMonitor", "ProcessMonitorTesting", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "MonitorExportHTTPTests",
            dependencies: ["MonitorExportHTTP", "MonitorExport", "ProcessMonitor"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
