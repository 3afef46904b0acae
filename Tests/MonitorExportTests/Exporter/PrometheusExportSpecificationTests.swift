import Dispatch
import Foundation
import MonitorExport
import ProcessMonitor
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct PrometheusExportSpecificationTests {
    @Test func prometheusTakesAPromPathOnly() throws {
        let spec = try ExportSpecification(parsing: "prometheus:/var/lib/node_exporter/textfile/job.prom")
        #expect(spec == ExportSpecification(format: .prometheus, destination: "/var/lib/node_exporter/textfile/job.prom"))
        #expect(spec.description == "prometheus:/var/lib/node_exporter/textfile/job.prom")
        for text in ["prometheus:stderr", "prometheus:stdout"] {
            #expect {
                _ = try ExportSpecification(parsing: text).makeExporter()
            } throws: { error in
                (error as? ExportError)?.message.contains(".prom") == true
            }
        }
    }

    @Test func makeExporterChecksThePathAndTheAttributes() throws {
        let dir = try SinkTempDirectory()
        defer { dir.cleanup() }
        #expect {
            _ = try ExportSpecification(parsing: "prometheus:\(dir.file("job.txt"))").makeExporter()
        } throws: { error in
            (error as? ExportError)?.message.contains(dir.file("job.txt")) == true
        }
        #expect {
            _ = try ExportSpecification(parsing: "prometheus:\(dir.file("job.prom"))").makeExporter(options: ExportOptions(attributes: ["__x": "1"]))
        } throws: { error in
            (error as? ExportError)?.message.contains("reserved") == true
        }
        let exporter = try ExportSpecification(parsing: "prometheus:\(dir.file("job.prom"))")
            .makeExporter(options: ExportOptions(attributes: ["job": "x"], rotation: RotationPolicy(maxBytes: 100, maxFiles: 2)))
        #expect(exporter.format is PrometheusFormat)
        #expect(exporter.sink is PrometheusTextfileSink)
    }
}
