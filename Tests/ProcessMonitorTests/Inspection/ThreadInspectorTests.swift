import Foundation
import Synchronization
import Testing
import TestSupport

@testable import ProcessMonitor

#if os(Linux)
import Glibc

/// What a stalled thread is doing: `/proc/self/task/TID` parsed from fixture trees, then read
/// for real threads in each state a stall is usually found in.
@Suite struct ThreadInspectorTests {
    /// A fixture `/proc/self` with one thread, `101`, and descriptor 7.
    func fixture(stat: String, syscall: String, wchan: String, descriptor: String? = "socket:[4711]") throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID())").path
        try FileManager.default.createDirectory(atPath: root + "/task/101", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/fd", withIntermediateDirectories: true)
        try stat.write(toFile: root + "/task/101/stat", atomically: false, encoding: .utf8)
        try syscall.write(toFile: root + "/task/101/syscall", atomically: false, encoding: .utf8)
        try wchan.write(toFile: root + "/task/101/wchan", atomically: false, encoding: .utf8)
        if let descriptor {
            try FileManager.default.createSymbolicLink(atPath: root + "/fd/7", withDestinationPath: descriptor)
        }
        return root
    }

    /// A `stat` line for a thread whose name holds spaces and parentheses.
    func stat(state: Character, utime: UInt64, stime: UInt64) -> String {
        "101 (worker ) (x) \(state) 1 101 101 0 -1 4194368 15 0 0 0 \(utime) \(stime) 0 0 20 0 9 0 3547 0 0\n"
    }

    @Test func statIsParsedAfterTheLastParenthesis() {
        let (state, ticks) = ThreadInspector.parseStat(stat(state: "D", utime: 250, stime: 17))
        #expect(state == "D")
        #expect(ticks == 267)
        #expect(ThreadInspector.parseStat("garbage").0 == nil)
        #expect(ThreadInspector.parseStat("1 (x) R 1 2").1 == nil, "too few fields: no CPU figure")
    }

    @Test func syscallLinesAreParsed() {
        #expect(ThreadInspector.parseSyscall("running\n") == .none)
        #expect(ThreadInspector.parseSyscall("-1 0x7ffd 0x7f00\n") == .none)
        #expect(ThreadInspector.parseSyscall("0 0x7 0x7ffd3000 0x1000 0x0 0x0 0x0 0x7ffd2f00 0x7f0012\n")
            == .blocked(number: 0, arguments: [7, 0x7ffd3000, 0x1000, 0, 0, 0]))
        #expect(ThreadInspector.parseSyscall("") == .unknown)
        #expect(ThreadInspector.parseSyscall("what") == .unknown)
        #expect(ThreadInspector.parseWaitChannel("0") == nil)
        #expect(ThreadInspector.parseWaitChannel("pipe_read\n") == "pipe_read")
    }

    @Test func theArchitecturesNumberTheirCallsDifferently() {
        #expect(SyscallTable.x86_64.name(0) == "read")
        #expect(SyscallTable.arm64.name(63) == "read")
        #expect(SyscallTable.x86_64.name(202) == "futex")
        #expect(SyscallTable.arm64.name(98) == "futex")
        #expect(SyscallTable.arm64.name(0) == "syscall_0", "io_setup is not one a stall is found in")
        #expect(SyscallTable.x86_64.name(999) == "syscall_999")
        #expect(SyscallTable.x86_64.entry(45)?.firstArgumentIsDescriptor == true, "recvfrom takes a descriptor")
        #expect(SyscallTable.x86_64.entry(230)?.firstArgumentIsDescriptor == false, "clock_nanosleep does not")
    }

    @Test func aThreadBlockedInReadOnASocketSaysSoWithItsCPU() throws {
        let root = try fixture(
            stat: stat(state: "S", utime: 300, stime: 20),
            syscall: "0 0x7 0x7ffd3000 0x1000 0x0 0x0 0x0 0x7ffd2f00 0x7f0012\n",
            wchan: "sk_wait_data"
        )
        defer { try? FileManager.default.removeItem(atPath: root) }
        let inspector = ThreadInspector(directory: root, table: .x86_64, clockTicksPerSecond: 100)
        let reading = try #require(inspector.read(threadID: 101))
        let now: UInt64 = 50_000_000_000
        let activity = inspector.activity(threadID: 101, reading: reading, previous: (ticks: 310, at: now - 2_000_000_000), now: now)
        #expect(activity == Heartbeat.ThreadActivity(
            state: .sleeping, threadID: 101, syscall: "read", fileDescriptor: 7, target: "socket:[4711]",
            waitChannel: "sk_wait_data", cpuFraction: 0.05, cpuWindow: .seconds(2)
        ))
        #expect(inspector.read(threadID: 102) == nil, "a thread that exited reads as gone")
    }

    @Test func aSpinningThreadShowsRunningAtFullCPU() throws {
        let root = try fixture(stat: stat(state: "R", utime: 1000, stime: 0), syscall: "running\n", wchan: "0")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let inspector = ThreadInspector(directory: root, table: .x86_64, clockTicksPerSecond: 100)
        let reading = try #require(inspector.read(threadID: 101))
        let activity = inspector.activity(threadID: 101, reading: reading, previous: (ticks: 802, at: 0), now: 2_000_000_000)
        #expect(activity.state == .running)
        #expect(activity.syscall == nil)
        #expect(activity.cpuFraction == 0.99)
        // A reading whose ticks went down (the id now names another thread) gives no figure.
        #expect(inspector.activity(threadID: 101, reading: reading, previous: (ticks: 2000, at: 0), now: 1).cpuFraction == nil)
        #expect(inspector.activity(threadID: 101, reading: reading, previous: nil, now: 1).cpuFraction == nil)
    }

    @Test func aFutexSleepNamesNoDescriptorAndADiskWaitIsNamed() throws {
        let root = try fixture(stat: stat(state: "D", utime: 1, stime: 1), syscall: "202 0x7f00 0x80 0x2 0x0 0x0 0x0 0x1 0x2\n",
                               wchan: "futex_wait_queue", descriptor: nil)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let inspector = ThreadInspector(directory: root, table: .x86_64, clockTicksPerSecond: 100)
        let activity = inspector.activity(threadID: 101, reading: try #require(inspector.read(threadID: 101)), previous: nil, now: 1)
        #expect(activity.state == .diskWait)
        #expect(activity.syscall == "futex")
        #expect(activity.fileDescriptor == nil && activity.target == nil)
        #expect(activity.waitChannel == "futex_wait_queue")
    }

    // MARK: Real threads

    /// Starts a thread running `body` with its kernel id published, and returns that id.
    func startThread(_ body: @escaping @Sendable () -> Void) -> Int32 {
        let id = Atomic<Int32>(0)
        let thread = Thread {
            id.store(currentKernelThreadID(), ordering: .releasing)
            body()
        }
        thread.start()
        _ = waitUntil { id.load(ordering: .acquiring) != 0 }
        return id.load(ordering: .acquiring)
    }

    func activity(of id: Int32, inspector: ThreadInspector = ThreadInspector()) -> Heartbeat.ThreadActivity? {
        inspector.read(threadID: id).map { inspector.activity(threadID: id, reading: $0, previous: nil, now: 0) }
    }

    @Test func aRealThreadInReadOnAPipeIsSeenThere() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd); close(writeEnd) }
        let id = startThread {
            var byte: UInt8 = 0
            _ = read(readEnd, &byte, 1)
        }
        #expect(waitUntil { activity(of: id)?.syscall == "read" })
        let seen = try #require(activity(of: id))
        #expect(seen.state == .sleeping)
        #expect(seen.fileDescriptor == readEnd)
        #expect(seen.target?.hasPrefix("pipe:[") == true)
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
        #expect(waitUntil { activity(of: id) == nil }, "the thread ends once fed")
    }

    @Test func aRealThreadBlockedOnAMutexIsInFutex() throws {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        defer { pthread_mutex_destroy(mutex); mutex.deallocate() }
        pthread_mutex_lock(mutex)
        let pointer = UInt(bitPattern: mutex)
        let id = startThread {
            let m = UnsafeMutablePointer<pthread_mutex_t>(bitPattern: pointer)!
            pthread_mutex_lock(m)
            pthread_mutex_unlock(m)
        }
        #expect(waitUntil { activity(of: id)?.syscall == "futex" })
        #expect(activity(of: id)?.state == .sleeping)
        pthread_mutex_unlock(mutex)
        #expect(waitUntil { activity(of: id) == nil })
    }

    @Test func aRealSpinningThreadRunsAndUsesCPU() throws {
        let stop = Atomic<Bool>(false)
        let id = startThread {
            var x = 0.0
            while !stop.load(ordering: .relaxed) { x += 1 }
            if x.isNaN { print(x) }
        }
        defer { stop.store(true, ordering: .relaxed) }
        let inspector = ThreadInspector()
        #expect(waitUntil { activity(of: id)?.state == .running })
        let first = try #require(inspector.read(threadID: id)?.cpuTicks)
        #expect(waitUntil { (inspector.read(threadID: id)?.cpuTicks ?? 0) > first + 1 }, "its CPU time grows")
        #expect(activity(of: id)?.syscall == nil)
    }
}
#endif
