import Foundation
import Testing

@testable import ProcessMonitor

#if os(Linux)
/// The per-heartbeat bound on thread readings: the oldest stalled *threads* are read, however
/// many stalled tasks come before them. Hand-made snapshots whose thread lanes all carry this
/// test thread's own kernel id, so every reading the inspector tries succeeds.
@Suite struct StallInspectorTests {
    static let second: UInt64 = 1_000_000_000
    static let start: UInt64 = 1_000 * second

    /// `tasks` stalled task lanes, older than `threads` stalled thread lanes; ages fall by one
    /// millisecond per lane, so the builder reports them in this order.
    func built(tasks: Int, threads: Int) throws -> (BuiltHeartbeat, MonitorSnapshot) {
        let me = currentKernelThreadID()
        let lanes = (0..<(tasks + threads)).map { index in
            let kind: LaneID.Kind = index < tasks ? .task : .thread
            return LaneRecord(
                id: LaneID(kind: kind, number: UInt64(index + 1)), depth: 1, label: .text("lane \(index)"),
                entered: Self.start + UInt64(index) * 1_000_000, lastChange: Self.start,
                threadID: kind == .thread ? me : 0
            )
        }
        let snapshot = MonitorSnapshot(lanes: lanes)
        let configuration = try MonitorConfiguration(interval: .seconds(1), stallThreshold: .seconds(5))
        let built = HeartbeatBuilder.build(HeartbeatInputs(
            snapshot: snapshot, sample: ProcessSample(), cpu: CPUUsage(), now: Self.start + 60 * Self.second,
            started: Self.start, timestamp: Date(), sequence: 1, trigger: .scheduled, processID: 1,
            configuration: configuration
        ))
        return (built, snapshot)
    }

    @Test func stalledTasksDoNotUseUpTheThreadReadings() throws {
        var (heartbeat, snapshot) = try built(tasks: StallInspector.maxInspectedThreads + 6, threads: 2)
        var inspector = StallInspector()
        inspector.inspect(&heartbeat, snapshot: snapshot, now: Self.start + 60 * Self.second) { _ in nil }
        let stalls = heartbeat.heartbeat.stalls
        #expect(stalls.count == StallInspector.maxInspectedThreads + 8)
        #expect(stalls.prefix(StallInspector.maxInspectedThreads + 6).allSatisfy { $0.thread == .suspended })
        let threads = stalls.suffix(2)
        #expect(threads.allSatisfy { $0.lane.kind == .thread })
        #expect(threads.allSatisfy { $0.thread?.threadID == currentKernelThreadID() }, "read after 70 stalled tasks")
    }

    @Test func atMostTheBudgetOfStalledThreadsIsReadOldestFirst() throws {
        let budget = StallInspector.maxInspectedThreads
        var (heartbeat, snapshot) = try built(tasks: 0, threads: budget + 3)
        var inspector = StallInspector()
        inspector.inspect(&heartbeat, snapshot: snapshot, now: Self.start + 60 * Self.second) { _ in nil }
        let stalls = heartbeat.heartbeat.stalls
        #expect(stalls.prefix(budget).allSatisfy { $0.thread != nil }, "the oldest \(budget) are read")
        #expect(stalls.dropFirst(budget).allSatisfy { $0.thread == nil }, "the rest carry their stack only")

        var widened = StallInspector()
        widened.threadBudget = .max
        var (all, same) = try built(tasks: 0, threads: budget + 3)
        widened.inspect(&all, snapshot: same, now: Self.start + 60 * Self.second) { _ in nil }
        #expect(all.heartbeat.stalls.allSatisfy { $0.thread != nil }, "a widened budget reads every one")
    }
}
#endif
