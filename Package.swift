// swift-tools-version:6.1
import PackageDescription

// The main package has no package dependencies on purpose: a monitoring library must be safe to
// add to any job. Benchmarks and examples that need other packages live in nested packages.
let package = Package(
    name: "ProcessMonitor",
    platforms: [.macOS(.v15)],
    products: [
        // Scopes, lanes, the monitor, and the Heartbeat value: knows no output format.
        .library(name: "ProcessMonitor", targets: ["ProcessMonitor"]),
        // Formats (text, JSON Lines, logfmt, Prometheus, OTLP/JSON), sinks, the decoder,
        // configuration from flags and the environment.
        .library(name: "MonitorExport", targets: ["MonitorExport"]),
        // OTLP over HTTP. A product of its own because it imports FoundationNetworking, which on
        // Linux links libcurl and its TLS, LDAP and Kerberos libraries into every binary using it.
        .library(name: "MonitorExportHTTP", targets: ["MonitorExportHTTP"]),
        // The self-contained HTML report of one or more JSON Lines logs.
        .library(name: "MonitorReport", targets: ["MonitorReport"]),
        // Test doubles for your own tests: recorder, manual clock, fixed sampler (core only).
        .library(name: "ProcessMonitorTesting", targets: ["ProcessMonitorTesting"]),
        .executable(name: "heartbeat-demo", targets: ["heartbeat-demo"]),
    ],
    targets: [
        .target(name: "ProcessMonitor"),
        .target(name: "MonitorExport", dependencies: ["ProcessMonitor"]),
        .target(name: "MonitorExportHTTP", dependencies: ["MonitorExport", "ProcessMonitor"]),
        .target(name: "MonitorReport", dependencies: ["ProcessMonitor", "MonitorExport"]),
        // Depends on the core only: a test of scope code needs no formats. The in-memory sink lives
        // with the other sinks in MonitorExport.
        .target(name: "ProcessMonitorTesting", dependencies: ["ProcessMonitor"]),
        .executableTarget(
            name: "heartbeat-demo",
            dependencies: ["ProcessMonitor", "MonitorExport", "MonitorExportHTTP", "MonitorReport"]
        ),
        // Helpers shared by the test targets (waiting on a condition); not a product.
        .target(name: "TestSupport", path: "Tests/Support"),
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
            dependencies: ["MonitorExportHTTP", "MonitorExport", "ProcessMonitor", "TestSupport"]
        ),
        .testTarget(
            name: "MonitorReportTests",
            dependencies: ["MonitorReport", "MonitorExport", "ProcessMonitor", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Upcoming-language features for every target, as swift-log does: `any` on every existential,
// imports that say what a file uses (no member leaking in through another file's import), and
// internal imports unless the public API shows a module's types (`public import`).
for target in package.targets where [.executable, .test, .regular].contains(target.type) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
