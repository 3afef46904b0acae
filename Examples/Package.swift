// swift-tools-version:6.1
import PackageDescription

// A nested package so the main package keeps no dependencies: this one shows how heartbeats
// reach a swift-log `Logger` through `ClosureSink`, with no dependency of ours on swift-log.
let package = Package(
    name: "ProcessMonitorExamples",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "ProcessMonitor", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        .executableTarget(
            name: "SwiftLogBridge",
            dependencies: [
                .product(name: "ProcessMonitor", package: "ProcessMonitor"),
                .product(name: "MonitorExport", package: "ProcessMonitor"),
                .product(name: "Logging", package: "swift-log"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
