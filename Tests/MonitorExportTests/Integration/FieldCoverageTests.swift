// Integration: walks the figure table through every machine format at once, so no single format owns it.

import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

/// Walks the figure table (`RecordFields.swift`) and looks for every row in every machine
/// format's output for a heartbeat that knows every figure: a format that drops a figure, or
/// a row whose column names something no format writes, fails here.
@Suite struct FieldCoverageTests {
    /// Every figure known: a contained job with a memory warning, stalls, an ended stall, phases
    /// with progress, a parent and waiting children, and the CPU counter.
    static func full() -> Heartbeat {
        var heartbeat = MachineFixtures.explained()
        heartbeat.cpu.totalTime = .milliseconds(4_321_500)
        return heartbeat
    }

    static let context = FormatContext(droppedRecords: 2)

    static func json(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    /// `key=` pairs of a logfmt line (keys only: values may hold anything quoted).
    static func logfmtKeys(_ line: String) -> Set<String> {
        var keys = Set<String>()
        var inQuotes = false
        var escaped = false
        var token = ""
        for character in line {
            if inQuotes {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inQuotes = false }
                continue
            }
            switch character {
            case "\"": inQuotes = true
            case "=": keys.insert(token)
            case " ": token = ""
            default: token.append(character)
            }
        }
        return keys
    }

    /// The OTLP log record's attributes, and its resource's, by key.
    static func otlpLog(_ heartbeat: Heartbeat) throws -> (record: [String: Any], resource: [String: Any]) {
        let request = try json(try OTLPJSONFormat().logsRequest(for: heartbeat, context: context))
        let resourceLogs = try #require((request["resourceLogs"] as? [[String: Any]])?.first)
        let resource = try #require((resourceLogs["resource"] as? [String: Any])?["attributes"] as? [[String: Any]])
        let scope = try #require((resourceLogs["scopeLogs"] as? [[String: Any]])?.first)
        let record = try #require((scope["logRecords"] as? [[String: Any]])?.first)
        let attributes = try #require(record["attributes"] as? [[String: Any]])
        func byKey(_ list: [[String: Any]]) -> [String: Any] {
            Dictionary(list.map { ($0["key"] as? String ?? "", $0["value"] as Any) }, uniquingKeysWith: { first, _ in first })
        }
        return (byKey(attributes), byKey(resource))
    }

    /// The keys of the first element of the OTLP array attribute `key`.
    static func otlpElementKeys(_ attributes: [String: Any], _ key: String) throws -> Set<String> {
        let array = try #require((attributes[key] as? [String: Any])?["arrayValue"] as? [String: Any], "\(key)")
        let first = try #require((array["values"] as? [[String: Any]])?.first)
        let values = try #require((first["kvlistValue"] as? [String: Any])?["values"] as? [[String: Any]])
        return Set(values.compactMap { $0["key"] as? String })
    }

    static func otlpMetrics(_ heartbeat: Heartbeat) throws -> [String: [String: Any]] {
        let request = try json(try OTLPJSONFormat().metricsRequest(for: heartbeat, context: context))
        let resourceMetrics = try #require((request["resourceMetrics"] as? [[String: Any]])?.first)
        let scope = try #require((resourceMetrics["scopeMetrics"] as? [[String: Any]])?.first)
        let metrics = try #require(scope["metrics"] as? [[String: Any]])
        var byName: [String: [String: Any]] = [:]
        for metric in metrics {
            let name = try #require(metric["name"] as? String)
            #expect(byName[name] == nil, "metric \(name) twice")
            byName[name] = metric
        }
        return byName
    }

    // MARK: - Headline figures

    @Test func everyHeadlineFigureIsInJSONLinesAndLogfmt() throws {
        let heartbeat = Self.full()
        let record = try Self.json(JSONLinesFormat().record(for: heartbeat, context: Self.context))
        let headline = try #require(LogfmtFormat().render(heartbeat, context: Self.context).first?.text)
        let logfmt = Self.logfmtKeys(headline)
        for field in RecordFields.headline {
            #expect(record[field.key] != nil, "JSON Lines lacks \(field.key)")
            if case .active = field.reader {
                for nested in RecordFields.active where nested.key != "progress" {
                    #expect(logfmt.contains(nested.logfmtName), "logfmt lacks \(nested.logfmtName)")
                }
            } else {
                #expect(logfmt.contains(field.logfmtName), "logfmt lacks \(field.logfmtName)")
            }
        }
    }

    @Test func everyHeadlineFigureIsInTheOTLPLogRecord() throws {
        let (attributes, resource) = try Self.otlpLog(Self.full())
        for field in RecordFields.headline {
            let columns = try #require(field.columns, "\(field.key) has no columns")
            switch columns.otlpAttribute {
            case .resource(let name):
                #expect(resource[name] != nil, "OTLP resource lacks \(name) (\(field.key))")
            case .logAttribute:
                if case .active = field.reader {
                    for nested in RecordFields.active where nested.key != "progress" {
                        #expect(attributes[nested.otlpName] != nil, "OTLP log record lacks \(nested.otlpName)")
                    }
                    for nested in RecordFields.activeProgress {
                        #expect(attributes[nested.otlpName] != nil, "OTLP log record lacks \(nested.otlpName)")
                    }
                } else {
                    #expect(attributes[field.otlpName] != nil, "OTLP log record lacks \(field.otlpName)")
                }
            }
        }
    }

    @Test func everyHeadlineFigureIsAPrometheusFamilyOrSaysWhyNot() throws {
        let lines = try PrometheusFormat().render(Self.full(), context: Self.context).map(\.text)
        var families: [String] = []
        for field in RecordFields.headline {
            switch try #require(field.columns).prometheus {
            case .none(let reason):
                #expect(!reason.isEmpty, "\(field.key): say why it is not a Prometheus family")
            case .family(let family):
                families.append(family.name)
                #expect(lines.contains("# TYPE \(family.name) \(family.kind.rawValue)"), "Prometheus lacks \(family.name)")
                #expect(lines.contains { $0.hasPrefix(family.name + " ") || $0.hasPrefix(family.name + "{") },
                        "Prometheus has no sample of \(family.name) though \(field.key) is known")
            }
        }
        for figure in RecordFields.derived {
            guard let family = figure.prometheus.family else { continue }
            families.append(family.name)
            #expect(lines.contains("# TYPE \(family.name) \(family.kind.rawValue)"), "Prometheus lacks \(family.name)")
        }
        // Exactly the table's families, each once: no hand-written family outside the table.
        let written = lines.filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) }
        #expect(written == families)
    }

    @Test func prometheusNamesFollowTheConventions() throws {
        let families = RecordFields.headline.compactMap { $0.columns?.prometheus.family }
            + RecordFields.derived.compactMap(\.prometheus.family)
        for family in families {
            #expect(family.name.hasPrefix("processmonitor_"))
            let base = family.kind == .counter ? String(family.name.dropLast("_total".count)) : family.name
            #expect((family.kind == .counter) == family.name.hasSuffix("_total"), "\(family.name): counters end in _total")
            if family.unit != .none {
                #expect(base.hasSuffix("_" + family.unit.rawValue), "\(family.name) carries its unit \(family.unit.rawValue)")
            }
            #expect(!family.help.isEmpty && !family.help.contains("\\") && !family.help.contains("\n"))
        }
        #expect(Set(families.map(\.name)).count == families.count, "a Prometheus name used twice")
    }

    @Test func everyHeadlineFigureIsAnOTLPMetricOrSaysWhyNot() throws {
        let metrics = try Self.otlpMetrics(Self.full())
        for field in RecordFields.headline {
            switch try #require(field.columns).otlp {
            case .none(let reason):
                #expect(!reason.isEmpty, "\(field.key): say why it is not an OTLP metric")
            case .metric(let metric):
                let written = try #require(metrics[metric.name], "OTLP metrics lack \(metric.name) (\(field.key))")
                #expect(written["unit"] as? String == metric.unit, "\(metric.name): unit")
                let data = (metric.kind == .gauge ? written["gauge"] : written["sum"]) as? [String: Any]
                let points = try #require(data?["dataPoints"] as? [[String: Any]], "\(metric.name): \(metric.kind)")
                if metric.kind != .gauge {
                    #expect(data?["isMonotonic"] as? Bool == (metric.kind == .counter), "\(metric.name): monotonic")
                }
                if let attribute = metric.pointAttribute {
                    let values = points.compactMap { point -> String? in
                        let attributes = point["attributes"] as? [[String: Any]]
                        guard let match = attributes?.first(where: { $0["key"] as? String == attribute.key }) else { return nil }
                        return (match["value"] as? [String: Any])?["stringValue"] as? String
                    }
                    #expect(values.contains(attribute.value), "\(metric.name) lacks the point \(attribute.key)=\(attribute.value)")
                }
            }
        }
        for figure in RecordFields.derived {
            guard let metric = figure.otlp.metric else { continue }
            #expect(metrics[metric.name]?["unit"] as? String == metric.unit, "OTLP metrics lack \(metric.name) (\(figure.source))")
        }
        // Names: OpenTelemetry's where it has one, ours under processmonitor. otherwise.
        for metric in RecordFields.headline.compactMap({ $0.columns?.otlp.metric }) + RecordFields.derived.compactMap(\.otlp.metric) {
            #expect(metric.name.hasPrefix(metric.semanticConvention ? "process." : "processmonitor."), "\(metric.name)")
        }
    }

    // MARK: - Elements

    @Test func everyElementFieldIsInJSONLinesLogfmtAndTheOTLPLogRecord() throws {
        let heartbeat = Self.full()
        let record = try Self.json(JSONLinesFormat().record(for: heartbeat, context: Self.context))
        let lines = LogfmtFormat().render(heartbeat, context: Self.context).map(\.text)
        let (attributes, _) = try Self.otlpLog(heartbeat)
        func check<Root>(_ table: [RecordField<Root>], json key: String, logfmt kind: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let element = try #require((record[key] as? [[String: Any]])?.first, "JSON Lines \(key) is empty", sourceLocation: sourceLocation)
            let line = try #require(lines.first { $0.contains(" msg=\(kind) ") }, "no msg=\(kind) line", sourceLocation: sourceLocation)
            let otlp = try Self.otlpElementKeys(attributes, OTLPAttribute.prefix + key)
            let logfmt = Self.logfmtKeys(line)
            for field in table {
                #expect(element[field.key] != nil, "JSON Lines \(key)[] lacks \(field.key)", sourceLocation: sourceLocation)
                let nested: [String] = if case .progress = field.reader { RecordFields.progress.map(\.key) } else { [field.key] }
                if case .frames = field.reader {
                    // An array of objects: every frame field in JSON Lines and OTLP, the JSON text in logfmt.
                    let frames = try #require(element[field.key] as? [[String: Any]], sourceLocation: sourceLocation)
                    for frameField in RecordFields.frame {
                        #expect(frames.first?[frameField.key] != nil, "JSON Lines \(key)[].\(field.key)[] lacks \(frameField.key)",
                                sourceLocation: sourceLocation)
                    }
                }
                for name in nested {
                    let logfmtName = nested.count > 1 ? "progress_" + name : field.logfmtName
                    let otlpName = nested.count > 1 ? "progress." + name : field.otlpName
                    #expect(logfmt.contains(logfmtName), "logfmt \(kind) lacks \(logfmtName)", sourceLocation: sourceLocation)
                    #expect(otlp.contains(otlpName), "OTLP \(key)[] lacks \(otlpName)", sourceLocation: sourceLocation)
                }
            }
        }
        try check(RecordFields.stall, json: "stalls", logfmt: "stall")
        try check(RecordFields.stallEnd, json: "stall_ends", logfmt: "stall_end")
        try check(RecordFields.warning, json: "warnings", logfmt: "resource_warning")
        try check(RecordFields.forecast, json: "forecasts", logfmt: "resource_forecast")
        // The first phase has progress and children; the second a parent.
        var parented = heartbeat
        parented.phases.swapAt(0, 1)
        parented.phases[0].progress = heartbeat.phases[0].progress
        parented.phases[0].activeDescendants = 2
        let phaseRecord = try Self.json(JSONLinesFormat().record(for: parented, context: Self.context))
        let phaseLines = LogfmtFormat().render(parented, context: Self.context).map(\.text)
        let phaseOTLP = try Self.otlpLog(parented).record
        let element = try #require((phaseRecord["phases"] as? [[String: Any]])?.first)
        let line = try #require(phaseLines.first { $0.contains(" msg=phase ") })
        let otlp = try Self.otlpElementKeys(phaseOTLP, "processmonitor.phases")
        for field in RecordFields.phase {
            #expect(element[field.key] != nil, "JSON Lines phases[] lacks \(field.key)")
            if case .progress = field.reader {
                for nested in RecordFields.progress {
                    #expect(Self.logfmtKeys(line).contains(nested.logfmtName), "logfmt phase lacks \(nested.logfmtName)")
                    #expect(otlp.contains(nested.otlpName), "OTLP phases[] lacks \(nested.otlpName)")
                }
            } else {
                #expect(Self.logfmtKeys(line).contains(field.logfmtName), "logfmt phase lacks \(field.logfmtName)")
                #expect(otlp.contains(field.otlpName), "OTLP phases[] lacks \(field.otlpName)")
            }
        }
    }

    /// The OTLP log record names each figure after its JSON key: no second spelling.
    @Test func otlpAttributesAreTheJSONKeys() throws {
        for field in RecordFields.headline {
            if case .logAttribute = try #require(field.columns).otlpAttribute {
                #expect(field.otlpName == "processmonitor." + field.key)
            }
        }
        for field in RecordFields.activeProgress { #expect(field.otlpName == "processmonitor.active.progress." + field.key) }
        for field in RecordFields.stallEnd { #expect(field.otlpName == field.key) }
        for field in RecordFields.phase { #expect(field.otlpName == field.key) }
    }

    @Test func everyReasonForLeavingAFigureOutIsGiven() throws {
        for field in RecordFields.headline {
            let columns = try #require(field.columns)
            #expect(!columns.swift.isEmpty)
            if case .none(let reason) = columns.report { #expect(reason.count > 10, "\(field.key): why not in the report") }
        }
        for figure in RecordFields.derived {
            if case .none(let reason) = figure.prometheus { #expect(reason.count > 10, "\(figure.source)") }
            if case .none(let reason) = figure.otlp { #expect(reason.count > 10, "\(figure.source)") }
            #expect(figure.prometheus.family != nil || figure.otlp.metric != nil, "\(figure.source) is in no format")
        }
    }
}
