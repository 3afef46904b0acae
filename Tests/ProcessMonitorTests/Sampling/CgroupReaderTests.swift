import Foundation
import Testing

@testable import ProcessMonitor

@Suite struct CgroupReaderTests {
    static func fixture(_ name: String) throws -> String {
        try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/cgroup/\(name)").path
    }

    static func read(_ name: String) throws -> (limits: ContainerLimits, problem: String?) {
        CgroupReader(root: try fixture(name)).read()
    }

    // MARK: - Well-formed trees

    @Test func v1QuotaAndMemoryLimit() throws {
        let (limits, problem) = try Self.read("v1")
        #expect(limits == ContainerLimits(cpuQuotaCores: 0.5, memoryLimitBytes: 268_435_456, memoryUsageBytes: 104_857_600, oomKills: 2))
        #expect(problem == nil)
    }

    @Test func v2CpuMaxAndMemoryFiles() throws {
        // The root cgroup has no cpu.max or memory.max, as on a real v2 host.
        let (limits, problem) = try Self.read("v2")
        #expect(limits == ContainerLimits(cpuQuotaCores: 1.5, memoryLimitBytes: 536_870_912, memoryUsageBytes: 123_456_789, oomKills: 3))
        #expect(problem == nil)
    }

    @Test func hybridTakesV1CpuAndUnifiedMemory() throws {
        // The unified tree holds a cpu.max of 0.1 cores too: the v1 cpu hierarchy wins.
        let (limits, problem) = try Self.read("hybrid")
        #expect(limits == ContainerLimits(cpuQuotaCores: 0.25, memoryLimitBytes: 67_108_864, memoryUsageBytes: 1_048_576, oomKills: 0))
        #expect(problem == nil)
    }

    @Test func noLimitV1IsNilWithoutProblem() throws {
        // Quota -1, the 9223372036854771712 "no limit" value, and an oom_control from a kernel
        // before 4.13 without an oom_kill line.
        let (limits, problem) = try Self.read("unlimited-v1")
        #expect(limits == ContainerLimits(memoryUsageBytes: 4096))
        #expect(problem == nil)
    }

    @Test func noLimitV2IsNilWithoutProblem() throws {
        let (limits, problem) = try Self.read("unlimited-v2")
        #expect(limits == ContainerLimits(memoryUsageBytes: 2048, oomKills: 0))
        #expect(problem == nil)
    }

    @Test func nestedV1ParentLimitsBindTheChild() throws {
        // step: no limits; job: 1.5 cores, 256 MiB; batch.slice: 1 core, 128 MiB. Usage and
        // oom_kill are the step's own.
        let (limits, problem) = try Self.read("nested-v1")
        #expect(limits == ContainerLimits(cpuQuotaCores: 1, memoryLimitBytes: 134_217_728, memoryUsageBytes: 65536, oomKills: 1))
        #expect(problem == nil)
    }

    @Test func nestedV2ParentLimitsBindTheChild() throws {
        // The leaf has no cpu.max (cpu not enabled for it): that is no limit there, not an error.
        let (limits, problem) = try Self.read("nested-v2")
        #expect(limits == ContainerLimits(cpuQuotaCores: 0.5, memoryLimitBytes: 1_000_000, memoryUsageBytes: 4096, oomKills: 0))
        #expect(problem == nil)
    }

    @Test func containerMountRootIsAPrefixOfThePath() throws {
        // Mount root /docker/abc, process in /docker/abc/worker: the worker directory and the
        // mount point are read, not the host-view mount with root / (which has no files).
        let (limits, problem) = try Self.read("container-v1")
        #expect(limits == ContainerLimits(cpuQuotaCores: 2, memoryLimitBytes: 1_073_741_824, memoryUsageBytes: 500_000_000, oomKills: 4))
        #expect(problem == nil)
    }

    @Test func containerMountRootEqualsThePath() throws {
        let (limits, problem) = try Self.read("container-v2")
        #expect(limits == ContainerLimits(cpuQuotaCores: 2.5, memoryLimitBytes: 2_147_483_648, memoryUsageBytes: 1_073_741_824, oomKills: 1))
        #expect(problem == nil)
    }

    @Test func octalEscapedMountPoints() throws {
        // `cpu\040controller` and `my\040memory\134x` in mountinfo.
        let (limits, problem) = try Self.read("escaped-v1")
        #expect(limits == ContainerLimits(cpuQuotaCores: 0.75, memoryLimitBytes: 1_048_576, memoryUsageBytes: 8192, oomKills: 0))
        #expect(problem == nil)
    }

    // MARK: - Broken files

    struct Breakage: Sendable, CustomTestStringConvertible {
        var fixture: String
        var file: String
        var edit: ScratchTree.Edit
        var expected: ContainerLimits
        var problem: String
        var testDescription: String { "\(fixture): \(file) \(edit)" }
    }

    static let v1Memory = "sys/fs/cgroup/memory/job/"
    static let v1Cpu = "sys/fs/cgroup/cpu,cpuacct/job/"
    static let v2Job = "sys/fs/cgroup/app.slice/job.service/"
    static let v1Healthy = ContainerLimits(cpuQuotaCores: 0.5, memoryLimitBytes: 268_435_456, memoryUsageBytes: 104_857_600, oomKills: 2)
    static let v2Healthy = ContainerLimits(cpuQuotaCores: 1.5, memoryLimitBytes: 536_870_912, memoryUsageBytes: 123_456_789, oomKills: 3)

    static func without(_ limits: ContainerLimits, _ figure: WritableKeyPath<ContainerLimits, UInt64?>) -> ContainerLimits {
        var copy = limits
        copy[keyPath: figure] = nil
        return copy
    }

    static func withoutCPU(_ limits: ContainerLimits) -> ContainerLimits {
        var copy = limits
        copy.cpuQuotaCores = nil
        return copy
    }

    static let breakages: [Breakage] = [
        Breakage(fixture: "v1", file: v1Cpu + "cpu.cfs_quota_us", edit: .write("garbage"),
                 expected: withoutCPU(v1Healthy), problem: "cpu.cfs_quota_us: \"garbage\""),
        Breakage(fixture: "v1", file: v1Cpu + "cpu.cfs_period_us", edit: .write("0"),
                 expected: withoutCPU(v1Healthy), problem: "cpu.cfs_period_us: \"0\""),
        Breakage(fixture: "v1", file: v1Cpu + "cpu.cfs_period_us", edit: .write("-100000"),
                 expected: withoutCPU(v1Healthy), problem: "cpu.cfs_period_us: \"-100000\""),
        Breakage(fixture: "v1", file: v1Cpu + "cpu.cfs_quota_us", edit: .write("-5"),
                 expected: withoutCPU(v1Healthy), problem: "cpu.cfs_quota_us: \"-5\""),
        Breakage(fixture: "v1", file: v1Cpu + "cpu.cfs_quota_us", edit: .write("9223372036854775808"),
                 expected: withoutCPU(v1Healthy), problem: "cpu.cfs_quota_us"),
        Breakage(fixture: "v1", file: v1Memory + "memory.limit_in_bytes", edit: .write("12abc"),
                 expected: without(v1Healthy, \.memoryLimitBytes), problem: "memory.limit_in_bytes: \"12abc\""),
        Breakage(fixture: "v1", file: v1Memory + "memory.limit_in_bytes", edit: .write(""),
                 expected: without(v1Healthy, \.memoryLimitBytes), problem: "memory/job/memory.limit_in_bytes is empty"),
        Breakage(fixture: "v1", file: v1Memory + "memory.limit_in_bytes", edit: .remove,
                 expected: without(v1Healthy, \.memoryLimitBytes),
                 problem: "sys/fs/cgroup/memory/job/memory.limit_in_bytes: No such file or directory"),
        Breakage(fixture: "v1", file: v1Memory + "memory.limit_in_bytes", edit: .directory,
                 expected: without(v1Healthy, \.memoryLimitBytes), problem: "memory.limit_in_bytes: Is a directory"),
        // An unreadable parent may hold the binding limit, so the figure is unknown.
        Breakage(fixture: "v1", file: "sys/fs/cgroup/memory/memory.limit_in_bytes", edit: .write("lots"),
                 expected: without(v1Healthy, \.memoryLimitBytes), problem: "memory/memory.limit_in_bytes: \"lots\""),
        Breakage(fixture: "v1", file: v1Memory + "memory.usage_in_bytes", edit: .write("99999999999999999999999"),
                 expected: without(v1Healthy, \.memoryUsageBytes), problem: "memory.usage_in_bytes"),
        Breakage(fixture: "v1", file: v1Memory + "memory.oom_control", edit: .write("oom_kill many"),
                 expected: without(v1Healthy, \.oomKills), problem: "memory.oom_control: \"oom_kill many\""),
        Breakage(fixture: "v2", file: v2Job + "cpu.max", edit: .write("50000 0"),
                 expected: withoutCPU(v2Healthy), problem: "cpu.max: \"50000 0\""),
        Breakage(fixture: "v2", file: v2Job + "cpu.max", edit: .write("50000"),
                 expected: withoutCPU(v2Healthy), problem: "cpu.max: \"50000\""),
        Breakage(fixture: "v2", file: v2Job + "cpu.max", edit: .write("\u{0}\u{FFFD} \u{7F}"),
                 expected: withoutCPU(v2Healthy), problem: "cpu.max"),
        Breakage(fixture: "v2", file: v2Job + "cpu.max", edit: .write(" \n"),
                 expected: withoutCPU(v2Healthy), problem: "cpu.max is empty"),
        Breakage(fixture: "v2", file: v2Job + "memory.max", edit: .write("1e9"),
                 expected: without(v2Healthy, \.memoryLimitBytes), problem: "memory.max: \"1e9\""),
        Breakage(fixture: "v2", file: v2Job + "memory.current", edit: .directory,
                 expected: without(v2Healthy, \.memoryUsageBytes), problem: "memory.current: Is a directory"),
        Breakage(fixture: "v2", file: v2Job + "memory.events", edit: .write("oom_kill -3"),
                 expected: without(v2Healthy, \.oomKills), problem: "memory.events"),
    ]

    @Test(arguments: breakages)
    func brokenFileLeavesItsFigureUnknown(_ breakage: Breakage) throws {
        let tree = try ScratchTree(copying: Self.fixture(breakage.fixture))
        try tree.apply(breakage.edit, to: breakage.file)
        let (limits, problem) = CgroupReader(root: tree.path).read()
        #expect(limits == breakage.expected)
        #expect(problem?.contains(breakage.problem) == true, "problem: \(problem ?? "nil")")
    }

    @Test func problemNamesTheFullPath() throws {
        let tree = try ScratchTree(copying: Self.fixture("v1"))
        try tree.apply(.remove, to: Self.v1Memory + "memory.limit_in_bytes")
        let problem = CgroupReader(root: tree.path).read().problem
        #expect(problem == "cannot read \(tree.path)/sys/fs/cgroup/memory/job/memory.limit_in_bytes: No such file or directory")
    }

    @Test func firstProblemIsReported() throws {
        let tree = try ScratchTree(copying: Self.fixture("v1"))
        try tree.apply(.write("x"), to: Self.v1Cpu + "cpu.cfs_quota_us")
        try tree.apply(.write("y"), to: Self.v1Memory + "memory.limit_in_bytes")
        let (limits, problem) = CgroupReader(root: tree.path).read()
        #expect(limits == ContainerLimits(memoryUsageBytes: 104_857_600, oomKills: 2))
        #expect(problem?.contains("cpu.cfs_quota_us") == true)
    }

    @Test func nastyContentInAnyFileNeverTraps() throws {
        let nasty = ["", "\n\n\n", "-", "max max", "1 2 3", "\u{0}", String(repeating: "9", count: 5000), "١٢٣", "oom_kill", "-9223372036854775808 -1"]
        for fixture in ["v1", "v2", "hybrid", "container-v1", "escaped-v1"] {
            let tree = try ScratchTree(copying: Self.fixture(fixture))
            for file in try tree.files() {
                let original = try String(contentsOfFile: tree.path + "/" + file, encoding: .utf8)
                for text in nasty {
                    try tree.apply(.write(text), to: file)
                    let limits = CgroupReader(root: tree.path).read().limits
                    #expect(limits.cpuQuotaCores.map { $0 > 0 && $0.isFinite } ?? true, "\(fixture)/\(file): \(text)")
                }
                try tree.apply(.write(original), to: file)
            }
        }
    }

    // MARK: - Missing or unusual /proc

    @Test func missingProcGivesNothing() throws {
        let tree = try ScratchTree(empty: ())
        let (limits, problem) = CgroupReader(root: tree.path).read()
        #expect(limits == ContainerLimits())
        #expect(problem == "cannot read \(tree.path)/proc/self/cgroup: No such file or directory")
    }

    @Test func vanishedCgroupPath() throws {
        let tree = try ScratchTree(copying: Self.fixture("v1"))
        try tree.apply(.write("7:memory:/gone\n4:cpu,cpuacct:/gone\n"), to: "proc/self/cgroup")
        let (limits, problem) = CgroupReader(root: tree.path).read()
        #expect(limits == ContainerLimits())
        #expect(problem == "cannot read \(tree.path)/sys/fs/cgroup/cpu,cpuacct/gone/cpu.cfs_quota_us: No such file or directory")
    }

    @Test func garbageProcCgroup() throws {
        let tree = try ScratchTree(copying: Self.fixture("v1"))
        try tree.apply(.write("not a cgroup file\n"), to: "proc/self/cgroup")
        let (limits, problem) = CgroupReader(root: tree.path).read()
        #expect(limits == ContainerLimits())
        #expect(problem == "no cgroup listed in \(tree.path)/proc/self/cgroup")
    }

    @Test func mountinfoWithoutTheHierarchy() throws {
        let tree = try ScratchTree(copying: Self.fixture("v1"))
        try tree.apply(.write("25 1 8:1 / / rw - ext4 /dev/sda1 rw\n36 30 0:32 / /x rw"), to: "proc/self/mountinfo")
        let (limits, problem) = CgroupReader(root: tree.path).read()
        #expect(limits == ContainerLimits())
        #expect(problem == "no cgroup mount in /proc/self/mountinfo covers cpu:/job")
    }

    @Test func onlyNamedHierarchiesMeansNoLimit() throws {
        let tree = try ScratchTree(copying: Self.fixture("v1"))
        try tree.apply(.write("1:name=systemd:/job\n"), to: "proc/self/cgroup")
        let (limits, problem) = CgroupReader(root: tree.path).read()
        #expect(limits == ContainerLimits())
        #expect(problem == nil)
    }

    // MARK: - Caching

    @Test func resolvedDirectoriesAreCachedButValuesAreReadEachTime() throws {
        let tree = try ScratchTree(copying: Self.fixture("v1"))
        let reader = CgroupReader(root: tree.path)
        #expect(reader.read().limits.memoryLimitBytes == 268_435_456)
        // With the mount table gone only the cache can find the directories.
        try tree.apply(.remove, to: "proc/self/mountinfo")
        try tree.apply(.write("1073741824"), to: Self.v1Memory + "memory.limit_in_bytes")
        let (limits, problem) = reader.read()
        #expect(limits.memoryLimitBytes == 1_073_741_824)
        #expect(problem == nil)
        // A fresh reader has no cache and says what is missing.
        #expect(CgroupReader(root: tree.path).read().problem?.contains("proc/self/mountinfo") == true)
    }

    @Test func movedProcessIsResolvedAgain() throws {
        let tree = try ScratchTree(copying: Self.fixture("v1"))
        let reader = CgroupReader(root: tree.path)
        #expect(reader.read().limits.cpuQuotaCores == 0.5)
        try tree.apply(.write("-1"), to: "sys/fs/cgroup/cpu,cpuacct/other/cpu.cfs_quota_us")
        try tree.apply(.write("100000"), to: "sys/fs/cgroup/cpu,cpuacct/other/cpu.cfs_period_us")
        try tree.apply(.write("33554432"), to: "sys/fs/cgroup/memory/other/memory.limit_in_bytes")
        try tree.apply(.write("4096"), to: "sys/fs/cgroup/memory/other/memory.usage_in_bytes")
        try tree.apply(.write("oom_kill 0"), to: "sys/fs/cgroup/memory/other/memory.oom_control")
        try tree.apply(.write("7:memory:/other\n4:cpu,cpuacct:/other\n"), to: "proc/self/cgroup")
        try tree.apply(.remove, to: "sys/fs/cgroup/cpu,cpuacct/job")
        try tree.apply(.remove, to: "sys/fs/cgroup/memory/job")
        let (limits, problem) = reader.read()
        #expect(limits == ContainerLimits(memoryLimitBytes: 33_554_432, memoryUsageBytes: 4096, oomKills: 0))
        #expect(problem == nil)
    }

    @Test func failedResolutionIsNotCached() throws {
        let tree = try ScratchTree(empty: ())
        let reader = CgroupReader(root: tree.path)
        #expect(reader.read().problem != nil)
        try FileManager.default.removeItem(atPath: tree.path)
        try FileManager.default.copyItem(atPath: Self.fixture("v2"), toPath: tree.path)
        let (limits, problem) = reader.read()
        #expect(limits == Self.v2Healthy)
        #expect(problem == nil)
    }

    // MARK: - Parsing details

    @Test func octalUnescaping() {
        #expect(CgroupReader.unescapeOctal(#"/a\040b\011c\012d\134e"#) == "/a b\tc\nd\\e")
        // Truncated or invalid escapes stay as written.
        #expect(CgroupReader.unescapeOctal(#"/x\04"#) == #"/x\04"#)
        #expect(CgroupReader.unescapeOctal(#"/x\"#) == #"/x\"#)
        #expect(CgroupReader.unescapeOctal(#"/x\999"#) == #"/x\999"#)
        #expect(CgroupReader.unescapeOctal(#"/x\777"#) == #"/x\777"#)
    }

    @Test func mountinfoOptionalFieldsAndShortLines() {
        let mounts = CgroupReader.parseMountInfo("""
            34 30 0:30 / /sys/fs/cgroup/cpu rw shared:14 master:2 unbindable - cgroup cgroup rw,cpu,cpuacct
            35 30 0:31 / /sys/fs/cgroup/cpuset rw - cgroup
            - cgroup cgroup rw,memory
            36 30 0:32 /a /b rw - cgroup2 none rw

            """)
        #expect(mounts == [
            CgroupReader.CgroupMount(root: "/", mountPoint: "/sys/fs/cgroup/cpu", fileSystem: "cgroup", superOptions: ["rw", "cpu", "cpuacct"]),
            CgroupReader.CgroupMount(root: "/a", mountPoint: "/b", fileSystem: "cgroup2", superOptions: ["rw"]),
        ])
    }

    @Test func mountRootMatchesWholeComponents() {
        let mounts = [
            CgroupReader.CgroupMount(root: "/job", mountPoint: "/m1", fileSystem: "cgroup", superOptions: []),
            CgroupReader.CgroupMount(root: "/", mountPoint: "/m0", fileSystem: "cgroup", superOptions: []),
        ]
        #expect(CgroupReader.directories(for: "/jobx/a", in: mounts, root: "") == ["/m0/jobx/a", "/m0/jobx", "/m0"])
        #expect(CgroupReader.directories(for: "/job/a", in: mounts, root: "/r") == ["/r/m1/a", "/r/m1"])
        #expect(CgroupReader.directories(for: "/", in: mounts, root: "") == ["/m0"])
        #expect(CgroupReader.directories(for: "/x", in: Array(mounts.prefix(1)), root: "") == nil)
    }

    @Test func procCgroupLines() {
        let memberships = CgroupReader.parseProcCgroup("""
            4:cpu,cpuacct:/job:with:colons
            1:name=systemd:/x
            0::/
            junk
            x:memory:/y
            7:memory:relative

            """)
        #expect(memberships == [
            CgroupReader.CgroupMembership(hierarchy: 4, controllers: ["cpu", "cpuacct"], path: "/job:with:colons"),
            CgroupReader.CgroupMembership(hierarchy: 1, controllers: [], path: "/x"),
            CgroupReader.CgroupMembership(hierarchy: 0, controllers: [], path: "/"),
        ])
    }

    // MARK: - This machine

    @Test func realMachineReadDoesNotTrap() {
        let reader = CgroupReader()
        let (limits, problem) = reader.read()
        // A second read goes through the cache and must agree on what is fixed.
        let again = reader.read()
        #expect(again.limits.memoryLimitBytes == limits.memoryLimitBytes)
        #expect(again.limits.cpuQuotaCores == limits.cpuQuotaCores)
        #if os(Linux)
        // Where the v1 memory controller is mounted (this project's CI machines), it resolves.
        if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.usage_in_bytes") {
            #expect(problem == nil)
            #expect((limits.memoryUsageBytes ?? 0) > 0)
            #expect(limits.oomKills != nil)
        }
        #else
        #expect(limits == ContainerLimits())
        #endif
    }
}

/// A private, writable copy of a fixture tree, removed when the test ends.
final class ScratchTree {
    enum Edit: Sendable, CustomStringConvertible {
        case write(String)
        case remove
        /// Replaces the file with a directory, so `read` fails with EISDIR (root reads any mode).
        case directory

        var description: String {
            switch self {
            case .write(let text): "holds \(text.debugDescription.prefix(30))"
            case .remove: "missing"
            case .directory: "is a directory"
            }
        }
    }

    let path: String

    init(empty: Void) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("cgroup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    convenience init(copying fixture: String) throws {
        try self.init(empty: ())
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: fixture, toPath: path)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func apply(_ edit: Edit, to file: String) throws {
        let target = path + "/" + file
        let manager = FileManager.default
        switch edit {
        case .write(let text):
            try manager.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: target))
        case .remove:
            try manager.removeItem(atPath: target)
        case .directory:
            try manager.removeItem(atPath: target)
            try manager.createDirectory(atPath: target, withIntermediateDirectories: false)
        }
    }

    /// Every regular file, relative to the tree.
    func files() throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: path).filter { relative in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path + "/" + relative, isDirectory: &isDirectory) && !isDirectory.boolValue
        }.sorted()
    }
}
