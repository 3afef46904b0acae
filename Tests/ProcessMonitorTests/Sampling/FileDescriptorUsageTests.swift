import Foundation
import Testing

@testable import ProcessMonitor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct FileDescriptorUsageTests {
    static func getrlimitSoftLimit() -> UInt64? {
        var limits = rlimit()
        #if canImport(Glibc)
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return nil }
        #else
        guard getrlimit(RLIMIT_NOFILE, &limits) == 0 else { return nil }
        #endif
        #if canImport(Darwin)
        let infinity = rlim_t(Int64.max)
        #else
        let infinity = rlim_t.max
        #endif
        return limits.rlim_cur == infinity ? nil : UInt64(limits.rlim_cur)
    }

    @Test func softLimitIsGetrlimits() {
        #expect(FileDescriptorUsage.sample().softLimit == Self.getrlimitSoftLimit())
    }

    @Test func missingDirectoryGivesNoCount() {
        let usage = FileDescriptorUsage.sample(procFDDirectory: "/nonexistent/fd")
        #expect(usage.open == nil)
        #expect(usage.softLimit == Self.getrlimitSoftLimit())
    }

    #if os(Linux)
    /// Every entry counts but `.` and `..`, numbered or not; a directory made for the test holds
    /// exactly what it says (numbers far above any descriptor of the listing's own).
    @Test func countsEveryEntryButTheDots() throws {
        let directory = NSTemporaryDirectory() + "/fd-fixture-\(UUID())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["1000000", "1000001", "1000002", "2147483647", "99999999999", "socket"] {
            #expect(FileManager.default.createFile(atPath: directory + "/" + name, contents: nil))
        }
        #expect(FileDescriptorUsage.sample(procFDDirectory: directory).open == 6)
        let live = try #require(FileDescriptorUsage.sample().open)
        #expect(live >= 3, "stdin, stdout and stderr at least")
    }

    /// Other tests open and close files in parallel in this process, so the count of the shared
    /// table moves under us. A thread that unshares its table (`CLONE_FILES`) gets a private
    /// copy, listed at `/proc/thread-self/fd`, that nothing else touches: the counts are exact.
    @Test func pipesRaiseTheCountByExactlyTheirDescriptors() async throws {
        let counts = await withCheckedContinuation { (continuation: CheckedContinuation<[UInt64?]?, Never>) in
            Thread { continuation.resume(returning: Self.countAroundPipes(3)) }.start()
        }
        let measured = try #require(counts, "unshare(CLONE_FILES) failed")
        let before = try #require(measured[0])
        #expect(measured[1] == before + 6)
        #expect(measured[2] == before)
        // The listing's own descriptor is left out: the count is what fcntl finds open.
        #expect(measured[3] == before)
    }

    /// Before, with three pipes open, and after closing them, in a private descriptor table; then
    /// the same table probed descriptor by descriptor.
    static func countAroundPipes(_ pipes: Int) -> [UInt64?]? {
        // Glibc's Swift module leaves unshare(2) out (it sits behind _GNU_SOURCE).
        guard let symbol = dlsym(nil, "unshare") else { return nil }
        let unshare = unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
        let cloneFiles: Int32 = 0x400
        guard unshare(cloneFiles) == 0 else { return nil }
        let directory = "/proc/thread-self/fd"
        let before = FileDescriptorUsage.sample(procFDDirectory: directory).open
        var descriptors: [Int32] = []
        for _ in 0..<pipes {
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else { break }
            descriptors += ends
        }
        let during = descriptors.count == 2 * pipes ? FileDescriptorUsage.sample(procFDDirectory: directory).open : nil
        for descriptor in descriptors { close(descriptor) }
        let after = FileDescriptorUsage.sample(procFDDirectory: directory).open
        let highest = Int32(clamping: min(getrlimitSoftLimit() ?? 1 << 20, 1 << 20))
        let probed = (0..<highest).reduce(UInt64(0)) { count, descriptor in
            fcntl(descriptor, F_GETFD) == -1 ? count : count + 1
        }
        return [before, during, after, probed]
    }
    #endif
}
