import Foundation
import ProcessMonitorTesting
import Synchronization
import Testing
import TestSupport

@testable import ProcessMonitor

#if os(Linux)
import Glibc

/// A stall says why: through a real monitor, a thread stuck in `read` inside nested scopes, and
/// an `async` task suspended in one.
@Suite struct StallInspectionTests {
    func makeMonitor(_ clock: ManualMonitorClock) throws -> ProcessMonitor {
        let monitor = try ProcessMonitor(
            configuration: MonitorConfiguration(interval: .seconds(3600), stallThreshold: .seconds(5)),
            observers: [], clock: clock, sampler: FixedSampler()
        )
        monitor.reportWarnings(to: CapturedReports().append)  // another suite's bad threshold is not this test's
        // Tests beside this one hold stalled threads of their own (128 at once in
        // LaneHungryTests), older than this test's probe: the probe must still be read.
        monitor.inspectEveryStalledThread()
        return monitor
    }

    /// Waits until the thread whose kernel id `threadID` will hold is blocked in `read`.
    func waitUntilInRead(_ threadID: borrowing Atomic<Int32>) -> Bool {
        let inspector = ThreadInspector()
        return waitUntil {
            let id = threadID.load(ordering: .acquiring)
            guard id != 0, let reading = inspector.read(threadID: id) else { return false }
            return inspector.activity(threadID: id, reading: reading, previous: nil, now: 0).syscall == "read"
        }
    }

    @Test func aThreadStuckInReadShowsItsCallDescriptorAndStack() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd); close(writeEnd) }
        let outer = "inspection outer \(UUID())"
        let threadID = Atomic<Int32>(0)
        let done = Atomic<Bool>(false)
        let thread = Thread {
            withScope(label: outer) {
                withScope("wait for peer") {
                    threadID.store(currentKernelThreadID(), ordering: .releasing)
                    var byte: UInt8 = 0
                    _ = read(readEnd, &byte, 1)
                }
            }
            done.store(true, ordering: .releasing)
        }
        thread.start()
        // Wait until the thread is inside `read`: every heartbeat below then finds it there.
        let inRead = waitUntilInRead(threadID)
        #expect(inRead)
        // The clock starts after the scopes were entered, so their ages are at least what it
        // is advanced by, however long the machine took to get here.
        let clock = ManualMonitorClock()
        let monitor = try makeMonitor(clock)
        try monitor.start()
        defer { monitor.stop() }
        // Near the threshold the thread's CPU time is read, so the stall has a figure.
        clock.advance(by: .seconds(4))
        _ = monitor.emitNow()
        clock.advance(by: .seconds(2))
        let found = try #require(monitor.emitNow()?.stalls.first { $0.stack.first?.label == outer })
        #expect(found.thread?.syscall == "read")
        #expect(found.label == "wait for peer")
        #expect(found.depth == 2)
        #expect(found.stack.map(\.label) == [outer, "wait for peer"], "outermost first")
        #expect(found.stack.allSatisfy { $0.age >= .seconds(5) })
        let activity = try #require(found.thread)
        #expect(activity.state == .sleeping)
        #expect(activity.fileDescriptor == readEnd)
        #expect(activity.target?.hasPrefix("pipe:[") == true)
        #expect(activity.threadID != nil)
        #expect(activity.cpuFraction != nil, "read one window before, so a CPU figure")
        #expect(found.backtrace == nil, "stacks are not captured unless asked for")
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
        #expect(waitUntil { done.load(ordering: .acquiring) })
    }

    /// `captureStacks`: the first heartbeat that reports a stalled thread carries its native
    /// stack, with the function it is blocked in; the next one, the same stall, does not.
    @Test func aCapturedBacktraceNamesTheBlockedFunctionOncePerStall() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd); close(writeEnd) }
        let label = "backtrace probe \(UUID())"
        let threadID = Atomic<Int32>(0)
        let done = Atomic<Bool>(false)
        Thread {
            withScope(label: label) {
                threadID.store(currentKernelThreadID(), ordering: .releasing)
                stallInspectionBlockedReader(readEnd)
            }
            done.store(true, ordering: .releasing)
        }.start()
        // Wait until the thread is inside `read`, so the stack is the blocked one.
        let inRead = waitUntilInRead(threadID)
        #expect(inRead)
        let clock = ManualMonitorClock()
        let monitor = try ProcessMonitor(
            configuration: MonitorConfiguration(interval: .seconds(3600), stallThreshold: .seconds(5), captureStacks: true),
            observers: [], clock: clock, sampler: FixedSampler()
        )
        monitor.reportWarnings(to: CapturedReports().append)  // another suite's bad threshold is not this test's
        monitor.inspectEveryStalledThread()
        try monitor.start()
        defer { monitor.stop() }
        clock.advance(by: .seconds(6))
        let first = try #require(monitor.emitNow()?.stalls.first { $0.label == label })
        let backtrace = try #require(first.backtrace)
        #expect(backtrace.contains { $0.contains("stallInspectionBlockedReader") }, "\(backtrace)")
        #expect(backtrace.count <= HeartbeatWatch.maxBacktraceLines)
        clock.advance(by: .seconds(1))
        let second = try #require(monitor.emitNow()?.stalls.first { $0.label == label })
        #expect(second.backtrace == nil, "one backtrace per stall")
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
        #expect(waitUntil { done.load(ordering: .acquiring) })
    }

    @Test func aSuspendedTaskSaysSoAndShowsItsScopes() async throws {
        let outer = "suspended outer \(UUID())"
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let entered = Atomic<Bool>(false)
        let task = Task {
            await withScope(label: outer) {
                await withScope("await the mirror") {
                    entered.store(true, ordering: .releasing)
                    for await _ in stream { break }
                }
            }
        }
        #expect(await waitUntil { entered.load(ordering: .acquiring) })
        let clock = ManualMonitorClock()
        let monitor = try makeMonitor(clock)
        try monitor.start()
        clock.advance(by: .seconds(6))
        let heartbeat = try #require(await monitor.emit())
        let stall = try #require(
            heartbeat.stalls.first { $0.stack.first?.label == outer },
            "stalls: \(heartbeat.stalls.map { ($0.lane, $0.label, $0.stack.map(\.label)) })"
        )
        #expect(stall.thread == .suspended)
        #expect(stall.stack.map(\.label) == [outer, "await the mirror"])
        #expect(stall.lane.kind == .task)
        continuation.finish()
        await task.value
        await monitor.shutdown()
    }
}
/// Blocks in `read(2)` on `fd`: a function a backtrace must name.
@inline(never)
func stallInspectionBlockedReader(_ fd: Int32) {
    var byte: UInt8 = 0
    _ = read(fd, &byte, 1)
}
#endif
