// swift-tools-version:6.1
import PackageDescription

// ProcessMonitor's benchmark suite, a nested package so the main package keeps no dependencies.
//
//   swift package --disable-sandbox benchmark           the full suite (ordo-one/benchmark)
//   ./run-short.sh                                       one `name value unit` line per benchmark
//   ./run-short.sh --check-allocations                   CI: fails if a StaticString scope allocates
//
// The parent is named explicitly: a path dependency is otherwise identified by its folder
// name, and a clone in a folder with another name would not resolve.
let package = Package(
    name: "ProcessMonitorBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "ProcessMonitor", path: ".."),
        // The trait is required here: without it resolution fails on a missing repository.
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Counts malloc/calloc/realloc/posix_memalign calls made by this process, for the
        // short mode's deterministic allocation check (no LD_PRELOAD, no extra package).
        .target(name: "CMallocCounter"),
        // Workloads shared by the full suite and the short mode.
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "ProcessMonitor", package: "ProcessMonitor"),
                .product(name: "MonitorExport", package: "ProcessMonitor"),
                .product(name: "MonitorReport", package: "ProcessMonitor"),
            ]
        ),
        // The short mode: its own quick timing loops, one line per benchmark.
        .executableTarget(
            name: "bench-short",
            dependencies: [
                "BenchSupport", "CMallocCounter",
                .product(name: "ProcessMonitor", package: "ProcessMonitor"),
                .product(name: "MonitorExport", package: "ProcessMonitor"),
            ]
        ),
        // The full suite, run by `swift package benchmark`.
        .executableTarget(
            name: "ProcessMonitorBenchmarks",
            dependencies: [
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ProcessMonitor", package: "ProcessMonitor"),
                .product(name: "MonitorExport", package: "ProcessMonitor"),
            ],
            path: "Benchmarks/ProcessMonitorBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
