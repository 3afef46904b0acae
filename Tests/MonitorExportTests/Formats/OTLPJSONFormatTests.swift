import Foundation
import MonitorExport
import ProcessMonitor
import Testing

/// The JSON object of one OTLP line, parsed by Foundation (an independent reader).
private func object(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
    return try #require(parsed as? [String: Any], sourceLocation: sourceLocation)
}

/// The attributes of the log record in a logs request, key to AnyValue object.
private func logAttributes(_ line: String) throws -> [String: [String: Any]] {
    let record = try logRecord(line)
    var result: [String: [String: Any]] = [:]
    for pair in try #require(record["attributes"] as? [[String: Any]]) {
        let key = try #require(pair["key"] as? String)
        #expect(result[key] == nil, "attribute \(key) twice")
        result[key] = try #require(pair["value"] as? [String: Any])
    }
    return result
}

private func logRecord(_ line: String) throws -> [String: Any] {
    let request = try object(line)
    let resourceLogs = try #require((request["resourceLogs"] as? [[String: Any]])?.first)
    let scopeLogs = try #require((resourceLogs["scopeLogs"] as? [[String: Any]])?.first)
    return try #require((scopeLogs["logRecords"] as? [[String: Any]])?.first)
}

/// Metric name to metric object, from a metrics request.
private func metrics(_ line: String) throws -> [String: [String: Any]] {
    let request = try object(line)
    let resourceMetrics = try #require((request["resourceMetrics"] as? [[String: Any]])?.first)
    let scopeMetrics = try #require((resourceMetrics["scopeMetrics"] as? [[String: Any]])?.first)
    var result: [String: [String: Any]] = [:]
    for metric in try #require(scopeMetrics["metrics"] as? [[String: Any]]) {
        result[try #require(metric["name"] as? String)] = metric
    }
    return result
}

private func resourceAttributes(_ line: String) throws -> [(String, [String: Any])] {
    let request = try object(line)
    let top = try #require(((request["resourceLogs"] ?? request["resourceMetrics"]) as? [[String: Any]])?.first)
    let resource = try #require(top["resource"] as? [String: Any])
    return try #require(resource["attributes"] as? [[String: Any]]).map { pair in
        (pair["key"] as? String ?? "", pair["value"] as? [String: Any] ?? [:])
    }
}

/// A format whose detected resource attributes are fixed, so output does not depend on the host.
func fixedFormat(_ attributes: [String: String] = [:], limits: ExportLimits = .default) throws -> OTLPJSONFormat {
    var all = ["host.name": "node-7", "process.executable.name": "trainer"]
    all.merge(attributes) { _, given in given }
    return try OTLPJSONFormat(attributes: all, limits: limits)
}

/// One stall, one phase with progress, a stall that ended, some resources known and some not.
func sampleHeartbeat() -> Heartbeat {
    Heartbeat(
        sequence: 42,
        timestamp: MachineFixtures.timestamp,
        trigger: .scheduled,
        processID: 4242,
        elapsed: .milliseconds(3_725_004),
        resources: ResourceUsage(rssBytes: 536_870_912, peakRSSBytes: 1 << 30, threads: 12, readBytes: 4096,
                                 writeBytes: 0, openFileDescriptors: 17),
        cpu: CPUUsage(coresBusy: 1.5, availableCores: 2, affinityCores: 2, window: .seconds(60)),
        instrumentedLanes: 2,
        active: Heartbeat.ActivePhase(lane: .thread(1, name: "main"), label: "load \"shards\"", age: .milliseconds(142_318),
                            progress: ProgressReading(current: 250, total: 1000, elapsed: .seconds(10))),
        stalls: [Heartbeat.Stall(lane: .thread(1, name: "main"), label: "load \"shards\"", age: .milliseconds(142_318))],
        stallEnds: [Heartbeat.StallEnd(lane: .task(3), label: "fetch", duration: .milliseconds(200_500))],
        phases: [
            Heartbeat.Phase(lane: .thread(1, name: "main"), depth: 2, label: "load \"shards\"", age: .milliseconds(142_318),
                  sinceLastChange: .milliseconds(1_500),
                  progress: ProgressReading(current: 250, total: 1000, elapsed: .seconds(10))),
        ],
        omittedPhases: 0,
        stallThreshold: .seconds(120)
    )
}

@Suite struct OTLPJSONFormatTests {
    @Test func rendersExactlyTheLogsRequestForAFixedHeartbeat() throws {
        let format = try fixedFormat(["job": "etl"])
        let line = format.logsRequest(for: sampleHeartbeat(), context: FormatContext(droppedRecords: 3))
        let expected = #"""
        {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"etl"}}\#
        ,{"key":"process.pid","value":{"intValue":"4242"}}\#
        ,{"key":"host.name","value":{"stringValue":"node-7"}}\#
        ,{"key":"job","value":{"stringValue":"etl"}}\#
        ,{"key":"process.executable.name","value":{"stringValue":"trainer"}}]},"scopeLogs":[{"scope":{"name":"ProcessMonitor"},"logRecords":[{"timeUnixNano":"1714564800123000000","observedTimeUnixNano":"1714564800123000000","severityNumber":13,"severityText":"WARN","body":{"stringValue":"heartbeat: 1 stall; load \"shards\" for 2m22s, 250/1000 (25%)"},"attributes":[{"key":"processmonitor.seq","value":{"intValue":"42"}}\#
        ,{"key":"processmonitor.trigger","value":{"stringValue":"scheduled"}}\#
        ,{"key":"processmonitor.elapsed_s","value":{"doubleValue":3725.004}}\#
        ,{"key":"processmonitor.rss_bytes","value":{"intValue":"536870912"}}\#
        ,{"key":"processmonitor.peak_rss_bytes","value":{"intValue":"1073741824"}}\#
        ,{"key":"processmonitor.process_threads","value":{"intValue":"12"}}\#
        ,{"key":"processmonitor.read_bytes","value":{"intValue":"4096"}}\#
        ,{"key":"processmonitor.write_bytes","value":{"intValue":"0"}}\#
        ,{"key":"processmonitor.open_fds","value":{"intValue":"17"}}\#
        ,{"key":"processmonitor.cpu_cores","value":{"doubleValue":1.5}}\#
        ,{"key":"processmonitor.cpu_available_cores","value":{"doubleValue":2.0}}\#
        ,{"key":"processmonitor.cpu_affinity_cores","value":{"intValue":"2"}}\#
        ,{"key":"processmonitor.cpu_window_s","value":{"doubleValue":60.000}}\#
        ,{"key":"processmonitor.instrumented_threads","value":{"intValue":"2"}}\#
        ,{"key":"processmonitor.active.lane","value":{"stringValue":"ThreadId(1)/main"}}\#
        ,{"key":"processmonitor.active.label","value":{"stringValue":"load \"shards\""}}\#
        ,{"key":"processmonitor.active.age_s","value":{"doubleValue":142.318}}\#
        ,{"key":"processmonitor.active.progress.current","value":{"intValue":"250"}}\#
        ,{"key":"processmonitor.active.progress.total","value":{"intValue":"1000"}}\#
        ,{"key":"processmonitor.active.progress.elapsed_s","value":{"doubleValue":10.000}}\#
        ,{"key":"processmonitor.active.progress.rate_per_s","value":{"doubleValue":25.0}}\#
        ,{"key":"processmonitor.active.progress.eta_s","value":{"doubleValue":30.000}}\#
        ,{"key":"processmonitor.stall_threshold_s","value":{"doubleValue":120.000}}\#
        ,{"key":"processmonitor.stall_count","value":{"intValue":"1"}}\#
        ,{"key":"processmonitor.stalls","value":{"arrayValue":{"values":[{"kvlistValue":{"values":[{"key":"thread","value":{"stringValue":"ThreadId(1)/main"}}\#
        ,{"key":"label","value":{"stringValue":"load \"shards\""}}\#
        ,{"key":"stuck_s","value":{"doubleValue":142.318}}\#
        ,{"key":"threshold_s","value":{"doubleValue":120.000}}\#
        ,{"key":"depth","value":{"intValue":"1"}}\#
        ,{"key":"stack","value":{"arrayValue":{"values":[]}}}]}}]}}}\#
        ,{"key":"processmonitor.stalls_omitted","value":{"intValue":"0"}}\#
        ,{"key":"processmonitor.stall_ends","value":{"arrayValue":{"values":[{"kvlistValue":{"values":[{"key":"thread","value":{"stringValue":"TaskId(3)"}}\#
        ,{"key":"label","value":{"stringValue":"fetch"}}\#
        ,{"key":"after_s","value":{"doubleValue":200.500}}]}}]}}}\#
        ,{"key":"processmonitor.stall_ends_omitted","value":{"intValue":"0"}}\#
        ,{"key":"processmonitor.phases","value":{"arrayValue":{"values":[{"kvlistValue":{"values":[{"key":"thread","value":{"stringValue":"ThreadId(1)/main"}}\#
        ,{"key":"depth","value":{"intValue":"2"}}\#
        ,{"key":"label","value":{"stringValue":"load \"shards\""}}\#
        ,{"key":"in_frame_s","value":{"doubleValue":142.318}}\#
        ,{"key":"updated_ago_s","value":{"doubleValue":1.500}}\#
        ,{"key":"progress.current","value":{"intValue":"250"}}\#
        ,{"key":"progress.total","value":{"intValue":"1000"}}\#
        ,{"key":"progress.elapsed_s","value":{"doubleValue":10.000}}\#
        ,{"key":"progress.rate_per_s","value":{"doubleValue":25.0}}\#
        ,{"key":"progress.eta_s","value":{"doubleValue":30.000}}\#
        ,{"key":"waiting_on","value":{"intValue":"0"}}\#
        ,{"key":"stall_threshold_s","value":{"doubleValue":120.000}}]}}]}}}\#
        ,{"key":"processmonitor.phases_omitted","value":{"intValue":"0"}}\#
        ,{"key":"processmonitor.dropped_records","value":{"intValue":"3"}}]}],"schemaUrl":"https://opentelemetry.io/schemas/1.44.0"}],"schemaUrl":"https://opentelemetry.io/schemas/1.44.0"}]}
        """#
        #expect(line == expected, "got:\n\(line)")
    }

    @Test func rendersExactlyTheMetricsRequestForAFixedHeartbeat() throws {
        let format = try fixedFormat(["job": "etl"])
        let line = format.metricsRequest(for: sampleHeartbeat(), context: FormatContext(droppedRecords: 3))
        let expected = #"""
        {"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"etl"}},{"key":"process.pid","value":{"intValue":"4242"}},{"key":"host.name","value":{"stringValue":"node-7"}},{"key":"job","value":{"stringValue":"etl"}},{"key":"process.executable.name","value":{"stringValue":"trainer"}}]},"scopeMetrics":[{"scope":{"name":"ProcessMonitor"},"metrics":[{"name":"process.memory.usage","description":"The amount of physical memory in use.","unit":"By","sum":{"dataPoints":[{"startTimeUnixNano":"1714561075119000000","timeUnixNano":"1714564800123000000","asInt":"536870912"}],"aggregationTemporality":2,"isMonotonic":false}}\#
        ,{"name":"processmonitor.memory.peak","description":"Peak resident set size (VmHWM).","unit":"By","gauge":{"dataPoints":[{"timeUnixNano":"1714564800123000000","asInt":"1073741824"}]}}\#
        ,{"name":"process.thread.count","description":"Process threads count.","unit":"{thread}","sum":{"dataPoints":[{"startTimeUnixNano":"1714561075119000000","timeUnixNano":"1714564800123000000","asInt":"12"}],"aggregationTemporality":2,"isMonotonic":false}}\#
        ,{"name":"process.disk.io","description":"Disk bytes transferred.","unit":"By","sum":{"dataPoints":[{"attributes":[{"key":"disk.io.direction","value":{"stringValue":"read"}}],"startTimeUnixNano":"1714561075119000000","timeUnixNano":"1714564800123000000","asInt":"4096"},{"attributes":[{"key":"disk.io.direction","value":{"stringValue":"write"}}],"startTimeUnixNano":"1714561075119000000","timeUnixNano":"1714564800123000000","asInt":"0"}],"aggregationTemporality":2,"isMonotonic":true}}\#
        ,{"name":"process.unix.file_descriptor.count","description":"Number of UNIX file descriptors in use by the process.","unit":"{file_descriptor}","sum":{"dataPoints":[{"startTimeUnixNano":"1714561075119000000","timeUnixNano":"1714564800123000000","asInt":"17"}],"aggregationTemporality":2,"isMonotonic":false}}\#
        ,{"name":"processmonitor.cpu.cores_busy","description":"Average cores kept busy over the measured window.","unit":"{cpu}","gauge":{"dataPoints":[{"timeUnixNano":"1714564800123000000","asDouble":1.5}]}}\#
        ,{"name":"processmonitor.cpu.available_cores","description":"Cores the process may use: the smaller of its CPU affinity and its cgroup quota.","unit":"{cpu}","gauge":{"dataPoints":[{"timeUnixNano":"1714564800123000000","asDouble":2.0}]}}\#
        ,{"name":"processmonitor.cpu.affinity_cores","description":"CPU cores in the process's affinity mask.","unit":"{cpu}","gauge":{"dataPoints":[{"timeUnixNano":"1714564800123000000","asInt":"2"}]}}\#
        ,{"name":"processmonitor.cpu.window","description":"The wall-clock window processmonitor.cpu.cores_busy covers.","unit":"s","gauge":{"dataPoints":[{"timeUnixNano":"1714564800123000000","asDouble":60.000}]}}\#
        ,{"name":"processmonitor.lanes.instrumented","description":"Threads and tasks inside at least one scope.","unit":"{lane}","gauge":{"dataPoints":[{"timeUnixNano":"1714564800123000000","asInt":"2"}]}}\#
        ,{"name":"processmonitor.stall.threshold","description":"Innermost scope age at which a lane counts as stalled.","unit":"s","gauge":{"dataPoints":[{"timeUnixNano":"1714564800123000000","asDouble":120.000}]}}\#
        ,{"name":"process.cpu.utilization","description":"Difference in process.cpu.time since the last measurement, divided by the elapsed time and number of CPUs available to the process.","unit":"1","gauge":{"dataPoints":[{"timeUnixNano":"1714564800123000000","asDouble":0.75}]}}\#
        ,{"name":"processmonitor.lanes.stalled","description":"Threads and tasks whose innermost scope has run for at least the stall threshold.","unit":"{lane}","gauge":{"dataPoints":[{"timeUnixNano":"1714564800123000000","asInt":"1"}]}}\#
        ,{"name":"processmonitor.phase.oldest_age","description":"How long the oldest innermost scope has been running; 0 when no scope is open.","unit":"s","gauge":{"dataPoints":[{"timeUnixNano":"1714564800123000000","asDouble":142.318}]}}\#
        ,{"name":"processmonitor.progress.ratio","description":"Progress of the oldest phase's counter, done / total.","unit":"1","gauge":{"dataPoints":[{"timeUnixNano":"1714564800123000000","asDouble":0.25}]}}\#
        ,{"name":"processmonitor.records.dropped","description":"Records the exporter's sink could not deliver so far.","unit":"{record}","sum":{"dataPoints":[{"startTimeUnixNano":"1714561075119000000","timeUnixNano":"1714564800123000000","asInt":"3"}],"aggregationTemporality":2,"isMonotonic":true}}],"schemaUrl":"https://opentelemetry.io/schemas/1.44.0"}],"schemaUrl":"https://opentelemetry.io/schemas/1.44.0"}]}
        """#
        #expect(line == expected, "got:\n\(line)")
    }

    @Test func rendersTwoLinesLogsFirstAtTheHeartbeatsLevel() throws {
        let lines = try fixedFormat().render(sampleHeartbeat(), context: FormatContext())
        #expect(lines.count == 2)
        #expect(lines[0].text.hasPrefix(#"{"resourceLogs":"#))
        #expect(lines[0].level == .warning)
        #expect(lines[1].text.hasPrefix(#"{"resourceMetrics":"#))
        #expect(lines.allSatisfy { !$0.text.contains("\n") })
    }

    @Test func writesSixtyFourBitIntegersAsStringsAndEnumsAsNumbers() throws {
        var heartbeat = sampleHeartbeat()
        heartbeat.sequence = .max
        heartbeat.resources = ResourceUsage(rssBytes: .max, threads: 1 << 40, readBytes: .max, writeBytes: 12)
        let format = try fixedFormat()
        let logs = format.logsRequest(for: heartbeat)
        let metricsLine = format.metricsRequest(for: heartbeat)
        // No bare integer wider than a severity or a temporality anywhere: 64-bit ones are quoted.
        for line in [logs, metricsLine] {
            let bare = line.ranges(of: /:[0-9]{3,}[,}\]]/)
            #expect(bare.isEmpty, "unquoted integers: \(bare.map { line[$0] })")
        }
        let attributes = try logAttributes(logs)
        #expect(attributes["processmonitor.seq"]?["intValue"] as? String == "9223372036854775807")
        #expect(attributes["processmonitor.rss_bytes"]?["intValue"] as? String == "9223372036854775807")
        #expect(try logRecord(logs)["timeUnixNano"] as? String == "1714564800123000000")
        #expect(try logRecord(logs)["severityNumber"] as? Int == 13)
        let sums = try metrics(metricsLine)
        let memory = try #require(sums["process.memory.usage"]?["sum"] as? [String: Any])
        #expect(memory["aggregationTemporality"] as? Int == 2)
        let point = try #require((memory["dataPoints"] as? [[String: Any]])?.first)
        #expect(point["asInt"] as? String == "9223372036854775807")
        #expect(point["timeUnixNano"] as? String == "1714564800123000000")
    }

    @Test func escapesHostileLabelsAndKeepsThemOnOneLine() throws {
        let format = try fixedFormat()
        for label in MachineFixtures.labelCorpus {
            var heartbeat = sampleHeartbeat()
            heartbeat.active?.label = label
            heartbeat.stalls = [Heartbeat.Stall(lane: .thread(9, name: label), label: label, age: .seconds(200))]
            heartbeat.phases[0].label = label
            for line in format.render(heartbeat, context: FormatContext()) {
                #expect(!line.text.contains("\n") && !line.text.contains("\r"), "label \(label.debugDescription)")
                #expect(!line.text.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{2028}" || $0 == "\u{2029}" })
                _ = try object(line.text)
            }
            let attributes = try logAttributes(format.logsRequest(for: heartbeat))
            #expect(attributes["processmonitor.active.label"]?["stringValue"] as? String == label)
            let stalls = try #require((attributes["processmonitor.stalls"]?["arrayValue"] as? [String: Any])?["values"] as? [[String: Any]])
            let fields = try #require((stalls.first?["kvlistValue"] as? [String: Any])?["values"] as? [[String: Any]])
            let thread = fields.first { $0["key"] as? String == "thread" }?["value"] as? [String: Any]
            #expect(thread?["stringValue"] as? String == "ThreadId(9)/" + label)
            #expect(try logRecord(format.logsRequest(for: heartbeat))["body"] != nil)
        }
    }

    @Test func severityIsWarnForStallsOrResourceWarningsAndInfoOtherwise() throws {
        let format = try fixedFormat()
        var heartbeat = sampleHeartbeat()
        #expect(try logRecord(format.logsRequest(for: heartbeat))["severityText"] as? String == "WARN")
        heartbeat.stalls = []
        #expect(try logRecord(format.logsRequest(for: heartbeat))["severityText"] as? String == "INFO")
        #expect(try logRecord(format.logsRequest(for: heartbeat))["severityNumber"] as? Int == 9)
        heartbeat.resources.memoryLimitBytes = 1000
        heartbeat.resources.memoryUsageBytes = 950
        let record = try logRecord(format.logsRequest(for: heartbeat))
        #expect(record["severityText"] as? String == "WARN")
        let body = (record["body"] as? [String: Any])?["stringValue"] as? String
        #expect(body == "heartbeat: memory at 95% of limit; load \"shards\" for 2m22s, 250/1000 (25%)")
        #expect(try logAttributes(format.logsRequest(for: heartbeat))["processmonitor.warnings"] != nil)
    }

    /// 114/400 is 28.5 %: the OTLP body's own writer said 28 % where the JSON Lines message said
    /// 29 % (caught by `.ci/check-otlp.sh`). Now one writer, with the text line's percentage.
    @Test(arguments: [(114, 400), (1, 3), (2, 3), (999, 1000), (0, 0)])
    func bodyIsTheJSONLinesMessage(current: Int, total: Int) throws {
        var heartbeat = sampleHeartbeat()
        heartbeat.active?.progress = ProgressReading(current: UInt64(current), total: UInt64(total), elapsed: .seconds(3))
        heartbeat.resources.memoryLimitBytes = 1000
        heartbeat.resources.memoryUsageBytes = 996
        let body = (try logRecord(fixedFormat().logsRequest(for: heartbeat))["body"] as? [String: Any])?["stringValue"]
        let line = try #require(JSONLinesFormat().render(heartbeat, context: FormatContext()).first?.text)
        let record = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(body as? String == record["message"] as? String)
        #expect((record["message"] as? String)?.hasPrefix("heartbeat: memory at 100% of limit; 1 stall; ") == true)
        if current == 114 { #expect((record["message"] as? String)?.hasSuffix(", 114/400 (28%)") == true) }
    }

    @Test func leavesUnknownFiguresOut() throws {
        let format = try fixedFormat()
        let idle = MachineFixtures.idle()
        let attributes = try logAttributes(format.logsRequest(for: idle))
        #expect(attributes["processmonitor.rss_bytes"] == nil)
        #expect(attributes["processmonitor.cpu_cores"] == nil)
        #expect(attributes["processmonitor.active.label"] == nil)
        #expect(attributes["processmonitor.stalls"] == nil)
        #expect(attributes["processmonitor.stall_count"]?["intValue"] as? String == "0")
        let names = Set(try metrics(format.metricsRequest(for: idle)).keys)
        // Known even when idle: the lane counts, the threshold, the age of no phase (0) and the drops.
        #expect(names == ["processmonitor.lanes.instrumented", "processmonitor.stall.threshold", "processmonitor.lanes.stalled",
                          "processmonitor.phase.oldest_age", "processmonitor.records.dropped"])
        let record = try logRecord(format.logsRequest(for: idle))
        #expect((record["body"] as? [String: Any])?["stringValue"] as? String == "heartbeat: idle")
    }

    @Test func reportsCPUUtilizationAsAFractionOfTheAvailableCores() throws {
        let format = try fixedFormat()
        var heartbeat = sampleHeartbeat()
        heartbeat.cpu = CPUUsage(coresBusy: 0.5, availableCores: 0.5, affinityCores: 4, quotaCores: 0.5)
        func utilization() throws -> Double? {
            let gauge = try metrics(format.metricsRequest(for: heartbeat))["process.cpu.utilization"]?["gauge"] as? [String: Any]
            return (gauge?["dataPoints"] as? [[String: Any]])?.first?["asDouble"] as? Double
        }
        #expect(try utilization() == 1.0)
        heartbeat.cpu.coresBusy = nil
        #expect(try utilization() == nil)
        heartbeat.cpu = CPUUsage(coresBusy: 3, availableCores: 0)
        #expect(try utilization() == nil)
    }

    @Test func keepsTheStartTimeOfCumulativeSumsSteady() throws {
        let format = try fixedFormat()
        func start(_ heartbeat: Heartbeat) throws -> String? {
            let disk = try metrics(format.metricsRequest(for: heartbeat))["process.disk.io"]?["sum"] as? [String: Any]
            return (disk?["dataPoints"] as? [[String: Any]])?.first?["startTimeUnixNano"] as? String
        }
        var heartbeat = sampleHeartbeat()
        let first = try start(heartbeat)
        #expect(first == "1714561075119000000")
        // The next beat's wall clock and monotonic clock disagree by 3 ms: same series.
        heartbeat.timestamp += 60.003
        heartbeat.elapsed += .seconds(60)
        #expect(try start(heartbeat) == first)
        // A monitor started much later in the same process is a new series.
        heartbeat.elapsed = .seconds(5)
        #expect(try start(heartbeat) != first)
    }

    @Test func keepsEveryLineWithinTheLimitWhateverTheHeartbeatHolds() throws {
        let limits = try ExportLimits(maxLabelBytes: 4096, maxLineBytes: OTLPJSONFormat.minimumLineBytes)
        let format = try fixedFormat(["note": String(repeating: "n", count: 200)], limits: limits)
        let huge = String(repeating: "\u{1}", count: 4096)
        var heartbeat = sampleHeartbeat()
        heartbeat.active?.label = huge
        heartbeat.stalls = (0 ..< 1000).map { Heartbeat.Stall(lane: .task(UInt64($0), name: huge), label: huge, age: .seconds(500)) }
        heartbeat.stallEnds = (0 ..< 50).map { Heartbeat.StallEnd(lane: .task(UInt64($0)), label: huge, duration: .seconds(9)) }
        heartbeat.phases = (0 ..< 200).map { Heartbeat.Phase(lane: .thread(UInt64($0)), depth: 1, label: huge, age: .seconds(1), sinceLastChange: .zero) }
        for line in format.render(heartbeat, context: FormatContext()) {
            #expect(line.text.utf8.count <= limits.maxLineBytes)
            _ = try object(line.text)
        }
        let attributes = try logAttributes(format.logsRequest(for: heartbeat))
        let listed = ((attributes["processmonitor.stalls"]?["arrayValue"] as? [String: Any])?["values"] as? [Any])?.count ?? 0
        let omitted = Int(attributes["processmonitor.stalls_omitted"]?["intValue"] as? String ?? "") ?? -1
        #expect(listed + omitted == 1000)
        #expect(attributes["processmonitor.stall_count"]?["intValue"] as? String == "1000")
        #expect(attributes["processmonitor.phases_omitted"]?["intValue"] as? String == "200")
    }

    @Test func neverTrapsAndAlwaysWritesJSONForRandomHeartbeats() throws {
        var rng = SeededGenerator(seed: 0x07_1A_50_4E)
        let format = try fixedFormat()
        for _ in 0 ..< 300 {
            let heartbeat = MachineFixtures.randomHeartbeat(using: &rng)
            for line in format.render(heartbeat, context: FormatContext(droppedRecords: rng.next())) {
                #expect(line.text.utf8.count <= format.limits.maxLineBytes)
                _ = try object(line.text)
            }
        }
    }

    @Test func namesTheServiceFromTheArgumentTheAttributesOrTheExecutable() throws {
        #expect(try fixedFormat().serviceName == "trainer")
        #expect(try fixedFormat(["job": "nightly"]).serviceName == "nightly")
        #expect(try fixedFormat(["job": "nightly", "service.name": "etl"]).serviceName == "etl")
        #expect(try OTLPJSONFormat(attributes: ["job": "nightly"], serviceName: "api").serviceName == "api")
        let keys = try resourceAttributes(try fixedFormat(["service.name": "etl"]).metricsRequest(for: sampleHeartbeat())).map(\.0)
        #expect(keys == ["service.name", "process.pid", "host.name", "process.executable.name"])
        let detected = try OTLPJSONFormat()
        #expect(!detected.serviceName.isEmpty)
    }

    @Test func refusesBadConfigurationWithAClearMessage() {
        #expect(throws: ExportError.self) { try OTLPJSONFormat(attributes: ["process.pid": "1"]) }
        #expect(throws: ExportError.self) { try OTLPJSONFormat(attributes: ["bad key": "x"]) }
        #expect(throws: ExportError.self) { try OTLPJSONFormat(serviceName: "") }
        do {
            _ = try OTLPJSONFormat(limits: try ExportLimits(maxLineBytes: 4096))
            Issue.record("a 4 KiB line limit is too small for OTLP")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("maxLineBytes"))
        }
    }

    @Test func isReachableAsOTLPJSONInAnExportSpecification() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("otlp-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let specification = try ExportSpecification(parsing: "otlp-json:\(path)")
        #expect(specification.format == .otlpJSON)
        #expect(specification.description == "otlp-json:\(path)")
        let exporter = try specification.makeExporter(options: ExportOptions(attributes: ["job": "spec"]))
        #expect(exporter.format is OTLPJSONFormat)
        exporter.observe(sampleHeartbeat())
        exporter.monitorDidStop()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix(#"{"resourceLogs":"#) && lines[1].hasPrefix(#"{"resourceMetrics":"#))
    }
}
