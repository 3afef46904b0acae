import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

/// The README's name table is generated from the figure table: when a row changes, this test
/// fails and prints the table to paste.
@Suite struct FigureNameTableTests {
    static func cell<T>(_ value: T?, _ text: (T) -> String) -> String { value.map(text) ?? "—" }

    static func nameTable() -> String {
        var rows = [
            "| JSON Lines, logfmt | Swift (`heartbeat.…`) | Prometheus (`processmonitor_…`) | OTLP metric | OTLP unit |",
            "|---|---|---|---|---|",
        ]
        func prometheus(_ family: PrometheusFamily?) -> String {
            cell(family) { "`\($0.name.dropFirst("processmonitor_".count))` \($0.kind.rawValue)" }
        }
        func otlp(_ metric: OTLPMetric?) -> String {
            cell(metric) { metric in
                let kind = switch metric.kind { case .gauge: "gauge"; case .counter: "counter"; case .upDownSum: "up-down sum" }
                let point = metric.pointAttribute.map { " (`\($0.key)=\($0.value)`)" } ?? ""
                return "`\(metric.name)`\(point) \(kind)"
            }
        }
        for field in RecordFields.headline {
            guard let columns = field.columns else { continue }
            var metric = otlp(columns.otlp.metric)
            if case .resource(let name) = columns.otlpAttribute { metric = "resource `\(name)`" }
            rows.append("| `\(field.key)` | `\(columns.swift)` | \(prometheus(columns.prometheus.family)) | \(metric) | "
                + cell(columns.otlp.metric) { "`\($0.unit)`" } + " |")
        }
        for figure in RecordFields.derived {
            rows.append("| from `\(figure.source)` | — | \(prometheus(figure.prometheus.family)) | \(otlp(figure.otlp.metric)) | "
                + cell(figure.otlp.metric) { "`\($0.unit)`" } + " |")
        }
        return rows.joined(separator: "\n")
    }

    @Test func theReadmeNameTableIsTheFigureTable() throws {
        let readme = try String(contentsOf: RecordFieldsTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let table = Self.nameTable()
        // A Bool first, so a failure prints the table to paste rather than the whole README.
        let documented = readme.contains(table + "\n")
        #expect(documented, "the README's name table differs; it should read:\n\(table)")
    }

    /// Every Swift path names a real property of a heartbeat that knows every figure.
    @Test func swiftPathsNameRealProperties() throws {
        var heartbeat = MachineFixtures.contained()
        heartbeat.cpu.totalTime = .seconds(3)
        for field in RecordFields.headline {
            let path = try #require(field.columns?.swift)
            var value: Any = heartbeat
            for component in path.split(separator: ".") {
                let mirror = Mirror(reflecting: value)
                if let child = mirror.children.first(where: { $0.label == String(component) }) {
                    value = child.value
                } else if component == "memoryHeadroomBytes" {
                    value = heartbeat.resources.memoryHeadroomBytes as Any  // computed: no stored child
                } else {
                    Issue.record("\(field.key): \(path) is not a property path of Heartbeat")
                    break
                }
            }
        }
    }
}
