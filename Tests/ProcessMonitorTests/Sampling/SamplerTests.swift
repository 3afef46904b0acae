import Foundation
import Testing

@testable import ProcessMonitor

#if canImport(Glibc)
import Glibc
// A clean build resolves `timespec`'s members to this module (MemberImportVisibility); an
// incremental one may find it through another file of the batch. Import it so both build.
import SwiftOverlayShims
#endif

@Suite struct SamplerTests {
    static var fixtureDirectory: String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/proc").path
    }

    @Test func fixtureFilesGiveEveryFigure() {
        let sample = ProcSelfSampler(directory: Self.fixtureDirectory, clockTicksPerSecond: 100).sample()
        #expect(sample.resources.rssBytes == 1_536_000 * 1024)
        #expect(sample.resources.peakRSSBytes == 2_097_152 * 1024)
        #expect(sample.resources.threads == 72)
        #expect(sample.resources.readBytes == 1_073_741_824)
        #expect(sample.resources.writeBytes == 1023)
        // utime 6829 + stime 1203 ticks at 100 Hz; the command name holds spaces and parens.
        #expect(sample.cpuTime == .milliseconds(80_320))
        #expect(sample.affinityCores == 40)
    }

    @Test func clockTickRateIsHonouredNotAssumed() {
        let sample = ProcSelfSampler(directory: Self.fixtureDirectory, clockTicksPerSecond: 250).sample()
        #expect(sample.cpuTime == .milliseconds(32_128))
    }

    @Test func missingFilesLeaveFiguresUnknown() {
        let sample = ProcSelfSampler(directory: "/nonexistent/proc", clockTicksPerSecond: 100, affinityCores: 3).sample()
        // The descriptor limit is the process's own (getrlimit), whatever the directory.
        #expect(sample.resources == ResourceUsage(fileDescriptorLimit: sample.resources.fileDescriptorLimit))
        #expect(sample.cpuTime == nil)
        #expect(sample.affinityCores == 3)
    }

    @Test(arguments: [
        ("1 (x) S 0 0 0 0 0 0 0 0 0 0 7 8", 15 as UInt64?),
        ("1 (a ) b) S 0 0 0 0 0 0 0 0 0 0 7 8 0", 15),
        ("1 (x) S 0 0", nil),
        ("garbage", nil),
        ("1 (x) S 0 0 0 0 0 0 0 0 0 0 x 8", nil),
        ("1 (x) S 0 0 0 0 0 0 0 0 0 0 18446744073709551615 1", nil),
    ])
    func statParsing(text: String, ticks: UInt64?) {
        #expect(ProcSelfSampler.parseCPUTicks(text) == ticks)
    }

    @Test func malformedStatusAndIOLinesAreIgnored() {
        var usage = ResourceUsage()
        ProcSelfSampler.parseStatus("VmRSS: lots kB\nThreads:\t\nVmHWM:\t18446744073709551615 kB\n", into: &usage)
        #expect(usage.rssBytes == nil)
        #expect(usage.threads == nil)
        #expect(usage.peakRSSBytes == nil, "kB * 1024 overflowing is unknown, not wrapped")
        ProcSelfSampler.parseIO("read_bytes: -1\nwrite_bytes: 12\n", into: &usage)
        #expect(usage.readBytes == nil)
        #expect(usage.writeBytes == 12)
        #expect(ProcSelfSampler.parseAllowedCores("Cpus_allowed:\t0\n") == nil)
        #expect(ProcSelfSampler.parseAllowedCores("Cpus_allowed:\t00000000,00000005\n") == 2)
    }

    #if os(Linux)
    /// Spins until this thread's own CPU clock has advanced by `amount`; returns the advance.
    static func burnThreadCPU(_ amount: Duration) -> Duration {
        func now() -> Duration {
            var spec = Glibc.timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
            return .seconds(spec.tv_sec) + .nanoseconds(spec.tv_nsec)
        }
        let start = now()
        var x = 0.0
        var i = 0.0
        while now() - start < amount {
            for _ in 0 ..< 10_000 {
                x += i.squareRoot()
                i += 1
            }
        }
        withExtendedLifetime(x) {}
        return now() - start
    }

    @Test func liveProcReportsThisProcess() throws {
        let sample = ProcSelfSampler().sample()
        #expect((sample.resources.rssBytes ?? 0) > 1 << 20)
        #expect((sample.resources.peakRSSBytes ?? 0) >= (sample.resources.rssBytes ?? 0))
        #expect((sample.resources.threads ?? 0) >= 1)
        #expect(sample.resources.readBytes != nil)
        #expect(sample.cpuTime != nil)
        #expect((sample.availableCores ?? 0) >= 1)
        // The process's CPU time grows by at least what this thread spends (its own clock, not
        // the wall clock), less a tick either side: /proc counts in ticks.
        let spent = Self.burnThreadCPU(.milliseconds(300))
        let later = ProcSelfSampler().sample()
        let grown = try #require(later.cpuTime) - (try #require(sample.cpuTime))
        let tick = sample.cpuTimeResolution ?? .milliseconds(10)
        #expect(grown >= spent - tick * 2, "grew \(grown) while this thread alone spent \(spent)")
    }
    #endif
}
