import InMemoryLogging
import Logging
import ProcessMonitor
import ProcessMonitorIntegrations
import Testing

@Suite("LoggerHeartbeatObserver, checked with swift-log's InMemoryLogHandler")
struct LoggerHeartbeatObserverTests {
    /// A logger writing into `handler`, which keeps every event.
    func logger(_ handler: InMemoryLogHandler, level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "heartbeat") { _ in handler }
        logger.logLevel = level
        return logger
    }

    @Test func oneInfoEventPerHeartbeatWithTheJSONLinesKeys() throws {
        let handler = InMemoryLogHandler()
        LoggerHeartbeatObserver(logger: logger(handler)).observe(Fixture.busy)

        let entry = try #require(handler.entries.only)
        #expect(entry.level == .info)
        #expect(entry.message == "heartbeat")
        let metadata = entry.metadata.mapValues(\.description)
        let expected: [String: String] = [
            "seq": "7", "pid": "4242", "trigger": "scheduled", "elapsed_s": "142.318",
            "rss_bytes": "\(200 << 20)", "peak_rss_bytes": "\(300 << 20)", "process_threads": "12",
            "read_bytes": "4096", "write_bytes": "8192",
            "cpu_cores": "1.5", "cpu_available_cores": "2.0", "cpu_affinity_cores": "2", "cpu_window_s": "60.000",
            "instrumented_threads": "3", "stall_threshold_s": "120.000",
            "active_lane": "ThreadId(1)/main", "active_label": "score rows", "active_age_s": "4.250",
            "progress_current": "250", "progress_total": "1000", "progress_elapsed_s": "10.000",
            "progress_rate_per_s": "25.0", "progress_eta_s": "30.000",
            "stalls": "[]", "phases_omitted": "1",
        ]
        for (key, value) in expected {
            #expect(metadata[key] == value, "\(key)")
        }
        // Unknown figures (JSON Lines' nulls) are left out rather than written as a fake value.
        for key in ["memory_limit_bytes", "memory_usage_bytes", "memory_headroom_bytes", "oom_kills", "open_fds",
                    "fd_limit", "cpu_quota_cores", "stall_ends", "warnings"] {
            #expect(metadata[key] == nil, "\(key)")
        }
        #expect(Set(metadata.keys) == Set(expected.keys).union(["phases"]))
    }

    @Test func phasesAreAListOfDictionaries() throws {
        let handler = InMemoryLogHandler()
        LoggerHeartbeatObserver(logger: logger(handler)).observe(Fixture.busy)
        let phases = try #require(handler.entries.only?.metadata["phases"])
        guard case .array(let list) = phases else {
            Issue.record("phases is not a list: \(phases)")
            return
        }
        #expect(list.count == 2)
        guard case .dictionary(let first) = list.first else {
            Issue.record("a phase is not a dictionary: \(String(describing: list.first))")
            return
        }
        #expect(first.mapValues(\.description) == [
            "thread": "ThreadId(1)/main", "depth": "2", "label": "score rows", "in_frame_s": "4.000",
            "updated_ago_s": "1.000", "waiting_on": "0",
        ])
    }

    @Test func aStallIsAWarningThatNamesTheStalledLabels() throws {
        let handler = InMemoryLogHandler()
        LoggerHeartbeatObserver(logger: logger(handler)).observe(Fixture.stalled)

        let entry = try #require(handler.entries.only)
        #expect(entry.level == .warning)
        #expect(entry.message == "heartbeat: stall")
        guard case .array(let stalls)? = entry.metadata["stalls"] else {
            Issue.record("stalls is not a list: \(String(describing: entry.metadata["stalls"]))")
            return
        }
        let decoded = stalls.map { value -> [String: String] in
            guard case .dictionary(let stall) = value else { return [:] }
            return stall.mapValues(\.description)
        }
        #expect(decoded == [
            ["thread": "TaskId(5)", "label": "fetch", "stuck_s": "300.000"],
            ["thread": "ThreadId(2)/io", "label": "flush", "stuck_s": "120.500"],
        ])
    }

    @Test func aResourceWarningIsAWarningWithItsList() throws {
        let handler = InMemoryLogHandler()
        LoggerHeartbeatObserver(logger: logger(handler)).observe(Fixture.nearMemoryLimit)

        let entry = try #require(handler.entries.only)
        #expect(entry.level == .warning)
        #expect(entry.message == "heartbeat: resource warning")
        #expect(entry.metadata["memory_headroom_bytes"]?.description == "\(50 << 20)")
        guard case .array(let warnings)? = entry.metadata["warnings"], case .dictionary(let memory)? = warnings.first else {
            Issue.record("warnings is not a list of dictionaries: \(String(describing: entry.metadata["warnings"]))")
            return
        }
        #expect(memory.mapValues(\.description) == ["resource": "memory", "used": "\(950 << 20)", "limit": "\(1000 << 20)"])
    }

    @Test func idleAndUnknownLeavesOutActiveAndNulls() throws {
        let handler = InMemoryLogHandler()
        LoggerHeartbeatObserver(logger: logger(handler), includePhases: false).observe(Fixture.unknown)

        let entry = try #require(handler.entries.only)
        #expect(entry.level == .info)
        #expect(Set(entry.metadata.keys) == [
            "seq", "pid", "trigger", "elapsed_s", "instrumented_threads", "stall_threshold_s", "stalls",
        ])
        #expect(entry.metadata["trigger"]?.description == "final")
    }

    @Test func levelsAreConfigurableAndTheLoggersLevelStillFilters() {
        let handler = InMemoryLogHandler()
        let quiet = LoggerHeartbeatObserver(logger: logger(handler), infoLevel: .debug)
        quiet.observe(Fixture.busy)      // .debug below the logger's .info: dropped
        quiet.observe(Fixture.stalled)   // .warning: kept
        #expect(handler.entries.map(\.level) == [.warning])

        let loud = LoggerHeartbeatObserver(logger: logger(handler, level: .trace), infoLevel: .debug, warningLevel: .critical)
        loud.observe(Fixture.busy)
        loud.observe(Fixture.stalled)
        #expect(handler.entries.map(\.level) == [.warning, .debug, .critical])
    }
}

extension Collection {
    /// The one element, or `nil` when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
