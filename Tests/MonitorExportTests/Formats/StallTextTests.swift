import Foundation
import Testing

@testable import MonitorExport
@testable import ProcessMonitor

/// The extended text style explains each stall, and the seed style stays the seed's.
@Suite struct StallTextTests {
    func heartbeat(stalls: [Heartbeat.Stall], trigger: Heartbeat.Trigger = .scheduled, forecasts: [Heartbeat.ResourceForecast] = [],
                   resources: ResourceUsage = ResourceUsage(), active: Heartbeat.ActivePhase? = nil,
                   ends: [Heartbeat.StallEnd] = []) -> Heartbeat {
        Heartbeat(
            sequence: 3, timestamp: Date(timeIntervalSince1970: 1_800_000_000), trigger: trigger, processID: 42,
            elapsed: .seconds(75), resources: resources, cpu: CPUUsage(), instrumentedLanes: 2, active: active,
            stalls: stalls, stallEnds: ends, phases: [], omittedPhases: 0, stallThreshold: .seconds(120),
            forecasts: forecasts
        )
    }

    func lines(_ heartbeat: Heartbeat, _ style: TextFormat.Style) -> [String] {
        TextFormat(style: style).render(heartbeat, context: FormatContext()).map(\.text)
    }

    let blocked = Heartbeat.Stall(
        lane: .thread(3, name: "io"), label: "read peer", age: .milliseconds(183_456), threshold: .seconds(120),
        progress: ProgressReading(current: 41, total: 128, elapsed: .seconds(183), sinceLastMove: .milliseconds(125_080)),
        depth: 2, stack: [Heartbeat.ScopeFrame(label: "sync shards", age: .milliseconds(600_000)), Heartbeat.ScopeFrame(label: "read peer", age: .milliseconds(183_456))],
        thread: Heartbeat.ThreadActivity(state: .sleeping, threadID: 4711, syscall: "read", fileDescriptor: 7,
                               target: "socket:[90210]", waitChannel: "sk_wait_data", cpuFraction: 0.004, cpuWindow: .seconds(60))
    )

    @Test func theSeedStyleIsTheSeedsLine() {
        #expect(lines(heartbeat(stalls: [blocked]), .seed)[1]
            == #"[process-monitor][STALL] thread=ThreadId(3)/io phase="read peer" stuck=3m03s"#)
        #expect(lines(heartbeat(stalls: [blocked]), .seed).count == 2, "no stack or reason lines in the seed style")
        #expect(!lines(heartbeat(stalls: [], trigger: .requested), .seed)[0].contains("trigger"))
    }

    @Test func theExtendedStallSaysWhyAtTheEndOfTheLine() throws {
        let text = lines(heartbeat(stalls: [blocked]), .extended)
        try #require(text.count == 3, "\(text)")
        #expect(text[1] == #"[process-monitor][STALL] thread=ThreadId(3)/io phase="read peer" stuck=3m03.4s threshold=2m00.0s no_progress_for=2m05.0s thread_state=sleeping syscall=read fd=7 target="socket:[90210]" wchan=sk_wait_data thread_cpu=0% tid=4711"#)
        #expect(text[2] == #"[process-monitor][STALL-STACK] thread=ThreadId(3)/io scopes="sync shards" 10m00.0s > "read peer" 3m03.4s"#)
        #expect(text.count == 3)
    }

    @Test func aSpinningThreadAndASuspendedTask() throws {
        let spinning = Heartbeat.Stall(lane: .thread(2), label: "solve", age: .milliseconds(800), threshold: .milliseconds(500),
                             stack: [Heartbeat.ScopeFrame(label: "solve", age: .milliseconds(800))],
                             thread: Heartbeat.ThreadActivity(state: .running, threadID: 9, cpuFraction: 0.985, cpuWindow: .seconds(1)))
        let suspended = Heartbeat.Stall(lane: .task(7), label: "fetch", age: .seconds(4), threshold: .seconds(3),
                              stack: [Heartbeat.ScopeFrame(label: "fetch", age: .seconds(4))], thread: .suspended)
        let text = lines(heartbeat(stalls: [spinning, suspended]), .extended)
        try #require(text.count == 4, "\(text)")
        #expect(text[1] == #"[process-monitor][STALL] thread=ThreadId(2) phase="solve" stuck=0.8s threshold=0.5s thread_state=running thread_cpu=98% tid=9"#)
        #expect(text[2] == #"[process-monitor][STALL] thread=TaskId(7) phase="fetch" stuck=4.0s threshold=3.0s thread_state=suspended"#)
        #expect(text[3] == #"[process-monitor][STALL-STACK] thread=TaskId(7) scopes="fetch" 4.0s"#, "a task always shows where it awaits")
    }

    @Test func hostileKernelWordsAreQuotedAndBacktracesGetLinesOfTheirOwn() throws {
        var stall = blocked
        stall.stack = []
        stall.thread?.waitChannel = "evil\nwchan"
        stall.thread?.syscall = "syscall_999"
        stall.backtrace = ["blockedInKnownFunction() + 52 in Job", "main + 10 in Job"]
        let text = lines(heartbeat(stalls: [stall]), .extended)
        try #require(text.count == 4, "\(text)")
        #expect(text[1].contains(#" syscall=syscall_999 "#))
        #expect(text[1].contains(#" wchan="evil\nwchan" "#))
        #expect(text[2] == #"[process-monitor][STALL-BACKTRACE] thread=ThreadId(3)/io frame=0 "blockedInKnownFunction() + 52 in Job""#)
        #expect(text[3] == #"[process-monitor][STALL-BACKTRACE] thread=ThreadId(3)/io frame=1 "main + 10 in Job""#)
    }

    @Test func stallEndsCarryTenths() {
        let text = lines(heartbeat(stalls: [], ends: [Heartbeat.StallEnd(lane: .task(2), label: "slow", duration: .milliseconds(4_950))]), .extended)
        #expect(text[1] == #"[process-monitor][STALL-END] thread=TaskId(2) phase="slow" after=4.9s"#)
    }

    @Test func aRequestedHeartbeatIsMarked() {
        #expect(lines(heartbeat(stalls: [], trigger: .requested), .extended)[0].hasSuffix(" active=<idle> trigger=requested"))
        #expect(lines(heartbeat(stalls: [], trigger: .final), .extended)[0].hasSuffix(" trigger=final"))
        #expect(lines(heartbeat(stalls: [], trigger: .scheduled), .extended)[0].hasSuffix(" active=<idle>"))
    }

    @Test func memorySaysWhoseItIs() {
        let cgroup = lines(heartbeat(stalls: [], resources: ResourceUsage(rssBytes: 100 << 20, memoryLimitBytes: 1 << 30, memoryUsageBytes: 300 << 20)), .extended)[0]
        #expect(cgroup.hasSuffix(" cgroup_memory=300.0MiB/1.0GiB (29%)"))
        let rss = lines(heartbeat(stalls: [], resources: ResourceUsage(rssBytes: 100 << 20, memoryLimitBytes: 1 << 30)), .extended)[0]
        #expect(rss.hasSuffix(" rss_memory=100.0MiB/1.0GiB (10%)"))
    }

    @Test func aForecastWarnsWithTheTimeLeftAndTheJobsETA() {
        let forecast = Heartbeat.ResourceForecast(resource: .memory, used: 700 << 20, limit: 1 << 30, growthPerSecond: 1_048_576,
                                        timeToLimit: .seconds(324), window: .seconds(600))
        let active = Heartbeat.ActivePhase(lane: .thread(1, name: "main"), label: "train", age: .seconds(100),
                                 progress: ProgressReading(current: 100, total: 1300, elapsed: .seconds(100)))
        let text = lines(heartbeat(stalls: [], forecasts: [forecast], active: active), .extended)
        #expect(text[1] == "[process-monitor][WARN] memory=700.0MiB of limit=1.0GiB (68%) limit_in=5m24s job_eta=20m00s")
        // At 90 % as well: one line, not two.
        let close = Heartbeat.ResourceForecast(resource: .fileDescriptors, used: 950, limit: 1000, growthPerSecond: 1,
                                     timeToLimit: .seconds(50), window: .seconds(600))
        let both = lines(heartbeat(stalls: [], forecasts: [close], resources: ResourceUsage(openFileDescriptors: 950, fileDescriptorLimit: 1000)), .extended)
        #expect(both.filter { $0.contains("[WARN]") } == ["[process-monitor][WARN] fds=950 of limit=1000 (95%) limit_in=50s"])
        #expect(lines(heartbeat(stalls: [], forecasts: [forecast]), .seed).count == 1, "no WARN lines in the seed style")
    }
}
