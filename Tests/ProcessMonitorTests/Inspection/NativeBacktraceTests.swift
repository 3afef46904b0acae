#if os(Linux) && canImport(Glibc) && (arch(x86_64) || arch(arm64))
import Dispatch
import Glibc
import Runtime
import Synchronization
import Testing
import TestSupport

@testable import ProcessMonitor

// Real threads, real signals: each test starts a thread of its own, waits (on a condition, with
// a generous bound) until it is where the test wants it, captures its stack, then releases it.
// The capture timeouts are bounds, never assertions about speed.

/// The thread sanitizer defers signal handlers to its next interception point.
private let underThreadSanitizer = dlsym(nil, "__tsan_init") != nil

/// A generous capture bound: a loaded machine must never hit it.
private let patience: Duration = .seconds(60)

/// A pthread whose kernel thread id is known once it runs.
private final class KernelThread: Sendable {
    private let tid = Atomic<Int32>(0)
    private let finished = Atomic<Bool>(false)
    // nonisolated(unsafe): written once in init before the thread can be joined, read by join().
    nonisolated(unsafe) private var thread = pthread_t()

    private final class Start: @unchecked Sendable {   // handed to the new thread once, then owned by it
        let owner: KernelThread
        let body: @Sendable () -> Void
        init(owner: KernelThread, body: @escaping @Sendable () -> Void) { self.owner = owner; self.body = body }
    }

    init(_ body: @escaping @Sendable () -> Void) {
        let start = Unmanaged.passRetained(Start(owner: self, body: body)).toOpaque()
        let created = pthread_create(&thread, nil, { raw in
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            start.owner.tid.store(kernelThreadID() ?? -1, ordering: .releasing)
            start.body()
            start.owner.finished.store(true, ordering: .releasing)
            return nil
        }, start)
        precondition(created == 0, "pthread_create failed: \(created)")
    }

    /// The thread's TID, waiting until it has started.
    var threadID: Int32 {
        _ = waitUntil { tid.load(ordering: .acquiring) != 0 }
        return tid.load(ordering: .acquiring)
    }

    var hasFinished: Bool { finished.load(ordering: .acquiring) }

    func join() { pthread_join(thread, nil) }

    var pthread: pthread_t { thread }
}

/// The system call a thread is blocked in, from `/proc/self/task/TID/syscall` (nil when running).
private func currentSyscall(of threadID: Int32) -> Int? {
    guard let text = readSmallFile("/proc/self/task/\(threadID)/syscall"),
          let first = text.split(separator: " ").first else { return nil }
    return Int(first)
}

#if arch(x86_64)
private let readSyscall = 0
#else
private let readSyscall = 63
#endif

/// A pipe nobody writes to until the test says so.
private final class Pipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    init() {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0)
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    func send(_ byte: UInt8) {
        var byte = byte
        _ = write(writeEnd, &byte, 1)
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }
}

/// The byte read, or minus errno: a read cut short by the signal (no SA_RESTART) shows as -EINTR.
@inline(never) func blockedInKnownFunction(_ fd: Int32) -> Int {
    var byte: UInt8 = 0
    let count = read(fd, &byte, 1)
    return count == 1 ? Int(byte) : -Int(errno)
}


private final class Spinner: Sendable {
    let stop = Atomic<Bool>(false)
    let laps = Atomic<Int>(0)
}

@inline(never) private func spinningInKnownFunction(_ spinner: Spinner) {
    while !spinner.stop.load(ordering: .relaxed) {
        spinner.laps.add(1, ordering: .relaxed)
    }
}

/// A thread blocked in `read(2)` on a pipe, through ``callsBlockedInKnownFunction(_:)``.
private final class BlockedReader: Sendable {
    let pipe = Pipe()
    let result = Atomic<Int>(Int.min)
}

/// The caller of ``blockedInKnownFunction(_:)``, so the order of the lines can be checked.
@inline(never) private func callsBlockedInKnownFunction(_ reader: BlockedReader) {
    reader.result.store(blockedInKnownFunction(reader.pipe.readEnd), ordering: .releasing)
}

/// Starts a thread in ``blockedInKnownFunction(_:)`` and returns once it sits in `read`. The
/// thread inherits the signal mask of the test's thread, a Swift concurrency pool thread that
/// blocks every real-time signal (as libdispatch's threads do): tests that send one unblock it,
/// and `blocking` blocks one more.
private func startBlockedReader(unblocking unblockedSignal: Int32? = nil, blocking blockedSignal: Int32? = nil) -> (BlockedReader, KernelThread) {
    let reader = BlockedReader()
    let thread = KernelThread {
        for (signal, how) in [(unblockedSignal, SIG_UNBLOCK), (blockedSignal, SIG_BLOCK)] {
            guard let signal else { continue }
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, signal)
            pthread_sigmask(how, &set, nil)
        }
        callsBlockedInKnownFunction(reader)
    }
    let tid = thread.threadID
    #expect(waitUntil { currentSyscall(of: tid) == readSyscall }, "the thread reaches read(2)")
    return (reader, thread)
}

/// Lets the reader's `read` return `byte`, joins the thread, and returns what `read` gave.
private func release(_ reader: BlockedReader, _ thread: KernelThread, with byte: UInt8 = 42) -> Int {
    reader.pipe.send(byte)
    thread.join()
    return reader.result.load(ordering: .acquiring)
}

/// A signal's disposition: the handler's bits and the flags.
private func disposition(of signal: Int32) -> (handler: UInt, flags: Int32) {
    var current = sigaction()
    sigaction(signal, nil, &current)
    return (unsafeBitCast(current.__sigaction_handler.sa_sigaction, to: UInt.self), current.sa_flags)
}

/// Calls to the host handler the tests install.
private let hostHandlerCalls = Atomic<Int>(0)
private let hostHandler: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = { _, _, _ in
    hostHandlerCalls.add(1, ordering: .relaxed)
}

private func setHostHandler(on signal: Int32) {
    var action = sigaction()
    action.__sigaction_handler.sa_sigaction = hostHandler
    action.sa_flags = SA_SIGINFO
    sigemptyset(&action.sa_mask)
    sigaction(signal, &action, nil)
}

private func sigrtmin(_ offset: Int32) -> Int32 { __libc_current_sigrtmin() + offset }

/// Dispositions are process-wide and the capturer keeps one slot per signal: these run one at a
/// time. The shared capturer uses SIGPROF; tests that need a capturer of their own (a host
/// handler, an injected sender) use SIGRTMIN+9 to +15, one each, which nothing else here uses.
@Suite(.serialized) struct NativeBacktraceTests {
    @Test func aThreadBlockedInReadShowsTheFunctionThatCalledIt() throws {
        let (reader, thread) = startBlockedReader()
        let tid = thread.threadID
        let captured = NativeBacktraceCapturer.shared.capture(threadID: tid, maxFrames: 32, timeout: patience)
        let result = release(reader, thread)

        let lines = try captured.get()
        let blocked = try #require(lines.firstIndex { $0.hasPrefix("blockedInKnownFunction(") }, "\(lines)")
        let caller = try #require(lines.firstIndex { $0.contains("callsBlockedInKnownFunction(") }, "\(lines)")
        #expect(lines[0].contains("read") && lines[0].contains("libc.so"), "innermost first: the libc call it is blocked in, got \(lines[0])")
        #expect(blocked < caller, "innermost first")
        #expect(lines[blocked].contains(" in ProcessMonitorPackageTests.xctest at NativeBacktraceTests.swift:"), "\(lines[blocked])")
        #expect(!lines.contains { $0.contains("handleBacktraceSignal") || $0.contains("__restore_rt") }, "the handler's own frames are dropped: \(lines)")
        #expect(result == 42, "the interrupted read was restarted (SA_RESTART) and returned the byte written later, not -EINTR")
    }

    @Test func aDispatchWorkerThreadCanBeCaptured() throws {
        // libdispatch blocks all signals but the faults, SIGPIPE and SIGPROF on its threads.
        let reader = BlockedReader()
        let tid = Atomic<Int32>(0)
        let finished = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            tid.store(kernelThreadID() ?? -1, ordering: .releasing)
            callsBlockedInKnownFunction(reader)
            finished.signal()
        }
        #expect(waitUntil { tid.load(ordering: .acquiring) != 0 })
        let threadID = tid.load(ordering: .acquiring)
        #expect(waitUntil { currentSyscall(of: threadID) == readSyscall })
        let captured = NativeBacktraceCapturer.shared.capture(threadID: threadID, maxFrames: 32, timeout: patience)
        reader.pipe.send(7)
        finished.wait()

        let lines = try captured.get()
        #expect(lines.contains { $0.hasPrefix("blockedInKnownFunction(") }, "\(lines)")
        #expect(reader.result.load(ordering: .acquiring) == 7)
    }

    @Test func aSpinningThreadShowsTheFunctionItSpinsIn() throws {
        let spinner = Spinner()
        let thread = KernelThread { spinningInKnownFunction(spinner) }
        let tid = thread.threadID
        #expect(waitUntil { spinner.laps.load(ordering: .relaxed) > 0 })
        let captured = NativeBacktraceCapturer.shared.capture(threadID: tid, maxFrames: 32, timeout: patience)
        spinner.stop.store(true, ordering: .relaxed)
        thread.join()

        let lines = try captured.get()
        let spinning = try #require(lines.firstIndex { $0.contains("spinningInKnownFunction(") }, "\(lines)")
        if !underThreadSanitizer {
            // The sanitizer runs handlers at its next interception point, below its own frames.
            #expect(spinning <= 1, "the spinning function is the interrupted frame (or just below an inlined atomic): \(lines)")
        }
        #expect(!lines.contains { $0.contains("handleBacktraceSignal") }, "\(lines)")
    }

    @Test func aThreadThatHasExitedIsReportedAsGone() throws {
        let thread = KernelThread {}
        let tid = thread.threadID
        thread.join()
        #expect(waitUntil { access("/proc/self/task/\(tid)", F_OK) != 0 })

        let captured = NativeBacktraceCapturer.shared.capture(threadID: tid, maxFrames: 8, timeout: patience)
        #expect(throws: BacktraceUnavailable.self) { try captured.get() }
        guard case .failure(let unavailable) = captured else { return }
        #expect(unavailable.code == .noSuchThread)
        #expect(unavailable.reason.contains("thread \(tid)"), "\(unavailable.reason)")
    }

    @Test(arguments: [Int32(0), -1, Int32.min, Int32.max])
    func threadIDsThatAreNoThreadOfOursAreRefused(threadID: Int32) {
        let captured = NativeBacktraceCapturer.shared.capture(threadID: threadID, maxFrames: 8, timeout: patience)
        guard case .failure(let unavailable) = captured else {
            Issue.record("captured \(captured) for thread id \(threadID)")
            return
        }
        #expect(unavailable.code == .noSuchThread)
        #expect(unavailable.reason.contains("\(threadID)"), "\(unavailable.reason)")
    }

    @Test func maxFramesCapsTheLines() throws {
        let (reader, thread) = startBlockedReader()
        defer { _ = release(reader, thread) }
        let tid = thread.threadID
        let full = try NativeBacktraceCapturer.shared.capture(threadID: tid, maxFrames: 64, timeout: patience).get()
        #expect(full.count > 3, "\(full)")
        for cap in [1, 2, 3] {
            let capped = try NativeBacktraceCapturer.shared.capture(threadID: tid, maxFrames: cap, timeout: patience).get()
            #expect(capped == Array(full.prefix(cap)), "the innermost \(cap) of the same stack")
        }
        #expect(try NativeBacktraceCapturer.shared.capture(threadID: tid, maxFrames: 0, timeout: patience).get() == [])
        #expect(try NativeBacktraceCapturer.shared.capture(threadID: tid, maxFrames: -5, timeout: patience).get() == [])
    }

    @Test func aSignalWithAHostHandlerIsLeftAlone() throws {
        let signal = sigrtmin(9)
        setHostHandler(on: signal)
        defer { signalToDefault(signal) }
        let before = disposition(of: signal)
        let calls = hostHandlerCalls.load(ordering: .relaxed)
        let (reader, thread) = startBlockedReader()
        defer { _ = release(reader, thread) }

        let capturer = NativeBacktraceCapturer(signal: signal)
        let captured = capturer.capture(threadID: thread.threadID, maxFrames: 8, timeout: patience)
        guard case .failure(let unavailable) = captured else {
            Issue.record("captured \(captured) although the host handles the signal")
            return
        }
        #expect(unavailable.code == .signalInUse)
        #expect(unavailable.reason == "SIGRTMIN+9 (\(signal)) in use by the host (it has its own handler or ignores it); it is left alone")
        let after = disposition(of: signal)
        #expect(after.handler == before.handler && after.flags == before.flags, "the host's handler is untouched")
        #expect(after.handler == unsafeBitCast(hostHandler, to: UInt.self))
        #expect(hostHandlerCalls.load(ordering: .relaxed) == calls, "nothing was sent to the host's handler")
    }

    @Test func anIgnoredSignalIsLeftAlone() throws {
        let signal = sigrtmin(10)
        var ignore = sigaction()
        ignore.__sigaction_handler.sa_handler = SIG_IGN
        sigaction(signal, &ignore, nil)
        defer { signalToDefault(signal) }
        let (reader, thread) = startBlockedReader()
        defer { _ = release(reader, thread) }

        let captured = NativeBacktraceCapturer(signal: signal).capture(threadID: thread.threadID, maxFrames: 8, timeout: patience)
        guard case .failure(let unavailable) = captured else {
            Issue.record("captured \(captured) although the host ignores the signal")
            return
        }
        #expect(unavailable.code == .signalInUse)
        #expect(disposition(of: signal).handler == unsafeBitCast(SIG_IGN, to: UInt.self))
    }

    @Test func aHandlerTheHostInstallsLaterWinsAndIsNeverSignalled() throws {
        let signal = sigrtmin(11)
        let (reader, thread) = startBlockedReader(unblocking: signal)
        defer { _ = release(reader, thread) }
        let capturer = NativeBacktraceCapturer(signal: signal)
        #expect(try capturer.capture(threadID: thread.threadID, maxFrames: 4, timeout: patience).get().count == 4)
        var ours = sigaction()
        sigaction(signal, nil, &ours)
        defer { sigaction(signal, &ours, nil) }   // back to our handler: a signal in flight must not kill the tests

        setHostHandler(on: signal)
        let calls = hostHandlerCalls.load(ordering: .relaxed)
        let captured = capturer.capture(threadID: thread.threadID, maxFrames: 4, timeout: patience)
        guard case .failure(let unavailable) = captured else {
            Issue.record("captured \(captured) through the host's handler")
            return
        }
        #expect(unavailable.code == .signalInUse)
        #expect(disposition(of: signal).handler == unsafeBitCast(hostHandler, to: UInt.self))
        #expect(hostHandlerCalls.load(ordering: .relaxed) == calls)
    }

    @Test func aThreadThatBlocksTheSignalIsReportedWithoutSendingIt() throws {
        let signal = NativeBacktraceCapturer.defaultSignal
        let (reader, thread) = startBlockedReader(blocking: signal)
        let tid = thread.threadID
        let captured = NativeBacktraceCapturer.shared.capture(threadID: tid, maxFrames: 8, timeout: patience)
        let pending = readSmallFile("/proc/self/task/\(tid)/status")?.split(separator: "\n").first { $0.hasPrefix("SigPnd:") }
        #expect(release(reader, thread) == 42)

        guard case .failure(let unavailable) = captured else {
            Issue.record("captured \(captured) from a thread that blocks the signal")
            return
        }
        #expect(unavailable.code == .signalBlocked)
        #expect(unavailable.reason == "thread \(tid) blocks SIGPROF (\(signal)), so it cannot be asked for its stack")
        #expect(pending.map { UInt64($0.dropFirst("SigPnd:".count).trimmingPrefix(while: { $0 == "\t" || $0 == " " }), radix: 16) } == 0,
                "no signal was left pending on the thread")
    }

    @Test func aSignalThatArrivesAfterTheCaptureGaveUpIsIgnored() throws {
        let signal = sigrtmin(12)
        let deliver = Atomic<Bool>(false)
        let capturer = NativeBacktraceCapturer(signal: signal) { threadID, signal in
            // Held back until the test sends it itself, after the capture has given up.
            guard deliver.load(ordering: .acquiring) else { return 0 }
            return LibcExtras.signalThread!(getpid(), threadID, signal) == 0 ? 0 : errno
        }
        let (reader, thread) = startBlockedReader(unblocking: signal)
        defer { _ = release(reader, thread) }
        let tid = thread.threadID

        let gaveUp = capturer.capture(threadID: tid, maxFrames: 8, timeout: .milliseconds(1))
        guard case .failure(let unavailable) = gaveUp else {
            Issue.record("captured \(gaveUp) without a signal")
            return
        }
        #expect(unavailable.code == .timedOut)
        #expect(unavailable.reason == "timed out after 1 ms (thread \(tid) did not take SIGRTMIN+12 (\(signal)))")
        let idle = try #require(capturer.diagnostics)
        #expect(CaptureState(raw: idle.state).phase == .idle, "the capture was disarmed")

        // The late signal reaches the handler, which finds nothing armed and writes nothing.
        #expect(LibcExtras.signalThread!(getpid(), tid, signal) == 0)
        #expect(waitUntil { (capturer.diagnostics?.ignored ?? 0) == idle.ignored + 1 }, "the late handler ran and ignored the signal")
        #expect(capturer.diagnostics?.state == idle.state, "and left the slot as it was")

        deliver.store(true, ordering: .releasing)
        let lines = try capturer.capture(threadID: tid, maxFrames: 32, timeout: patience).get()
        #expect(lines.contains { $0.hasPrefix("blockedInKnownFunction(") }, "\(lines)")
        #expect(capturer.diagnostics?.ignored == idle.ignored + 1, "the next capture's signal was taken, not ignored")
    }

    /// A capture armed for one thread, and a signal that must not answer it: the same signal
    /// sent to another thread of ours, or queued to the right thread by something other than
    /// tgkill. The sender waits until the handler has run before the capture looks, so the answer
    /// does not depend on timing: the capture must time out, with the handler's ignored count up.
    @Test(arguments: ["another thread", "not tgkill"])
    func aSignalThatIsNotTheCapturesOwnDoesNotAnswerIt(kind: String) throws {
        let signal = sigrtmin(kind == "another thread" ? 13 : 14)
        let (reader, thread) = startBlockedReader(unblocking: signal)
        defer { _ = release(reader, thread) }
        let (otherReader, otherThread) = startBlockedReader(unblocking: signal)
        defer { _ = release(otherReader, otherThread) }
        let box = CapturerBox()
        let capturer = NativeBacktraceCapturer(signal: signal) { _, signal in
            let before = box.capturer?.diagnostics?.ignored ?? 0
            let sent: Int32
            if kind == "another thread" {
                sent = LibcExtras.signalThread!(getpid(), otherThread.threadID, signal)
            } else {
                typealias Queue = @convention(c) (pthread_t, Int32, UnsafeMutableRawPointer?) -> Int32
                let queue = unsafeBitCast(dlsym(nil, "pthread_sigqueue"), to: Queue.self)
                sent = queue(thread.pthread, signal, nil)
            }
            guard sent == 0 else { return errno }
            // Until the handler has run and either ignored the signal or answered the capture.
            _ = waitUntil {
                (box.capturer?.diagnostics?.ignored ?? 0) > before
                    || box.capturer.map { CaptureState(raw: $0.diagnostics?.state ?? 0).phase != .armed } ?? false
            }
            return 0
        }
        box.capturer = capturer
        _ = capturer.capture(threadID: otherThread.threadID, maxFrames: 1, timeout: patience)   // installs the handler
        let ignored = try #require(capturer.diagnostics).ignored

        let captured = capturer.capture(threadID: thread.threadID, maxFrames: 8, timeout: .milliseconds(1))
        guard case .failure(let unavailable) = captured else {
            Issue.record("\(kind): the capture was answered with \(captured)")
            return
        }
        #expect(unavailable.code == .timedOut)
        #expect(capturer.diagnostics?.ignored == ignored + 1, "\(kind): the handler ran and ignored it")
    }

    @Test func aCaptureWaitsForAHandlerThatIsStillWritingAndNeverSignalsMeanwhile() throws {
        let signal = sigrtmin(15)
        let sent = Atomic<Int>(0)
        let capturer = NativeBacktraceCapturer(signal: signal) { threadID, signal in
            sent.add(1, ordering: .relaxed)
            return LibcExtras.signalThread!(getpid(), threadID, signal) == 0 ? 0 : errno
        }
        let (reader, thread) = startBlockedReader(unblocking: signal)
        defer { _ = release(reader, thread) }
        let tid = thread.threadID
        _ = try capturer.capture(threadID: tid, maxFrames: 1, timeout: patience).get()   // installs the handler
        #expect(sent.load(ordering: .relaxed) == 1)

        // A handler of an earlier capture that timed out, still writing its frames.
        let writing = CaptureState(threadID: tid, generation: 999, phase: .claimed)
        #expect(capturer.overwriteStateForTesting(writing))
        let busy = capturer.capture(threadID: tid, maxFrames: 8, timeout: .milliseconds(1))
        guard case .failure(let unavailable) = busy else {
            Issue.record("captured \(busy) while the buffer was being written")
            return
        }
        #expect(unavailable.code == .busy)
        #expect(sent.load(ordering: .relaxed) == 1, "nothing was armed or sent")
        #expect(capturer.diagnostics?.state == writing.raw, "the writer's slot was left alone")

        // The writer finishes; the next capture takes the slot over.
        #expect(capturer.overwriteStateForTesting(writing.with(.done)))
        let lines = try capturer.capture(threadID: tid, maxFrames: 32, timeout: patience).get()
        #expect(lines.contains { $0.hasPrefix("blockedInKnownFunction(") })
        #expect(sent.load(ordering: .relaxed) == 2)
    }

    @Test func aSignalFromOutsideIsIgnored() throws {
        let (reader, thread) = startBlockedReader()
        defer { _ = release(reader, thread) }
        let capturer = NativeBacktraceCapturer.shared
        _ = try capturer.capture(threadID: thread.threadID, maxFrames: 1, timeout: patience).get()   // installed
        let before = try #require(capturer.diagnostics)
        // kill(2) is what `kill -PROF <pid>` does: no capture is armed, and it is not tgkill.
        #expect(kill(getpid(), NativeBacktraceCapturer.defaultSignal) == 0)
        #expect(waitUntil { (capturer.diagnostics?.ignored ?? 0) == before.ignored + 1 })
        #expect(capturer.diagnostics?.state == before.state)
    }

    @Test func theImageMapHasTheLoadedLibcEvenWhenItsFileIsMappedAgainBelowIt() throws {
        // What the symbolicator does to read symbols: map the library file again, read-only.
        // /proc/self/maps then shows two ranges for libc.so.6; only the loader's is the image.
        // libc's own read(), not a sanitizer's interceptor of the same name.
        let libcHandle = try #require(dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD))
        defer { dlclose(libcHandle) }
        let readSymbol: UnsafeMutableRawPointer? = dlsym(libcHandle, "read")
        let readPointer: UnsafeMutableRawPointer = try #require(readSymbol)
        let readAddress = UInt64(UInt(bitPattern: readPointer))
        let libc = try #require(LoadedImages.list().first { $0.base <= readAddress && readAddress < $0.endOfText })
        #expect(libc.path.hasSuffix("/libc.so.6"))
        let fd = open(libc.path, O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        var status = stat()
        try #require(fstat(fd, &status) == 0)
        let length = Int(status.st_size)
        let hint = UnsafeMutableRawPointer(bitPattern: UInt(libc.base) - UInt(length) - 64 * 4096)
        let copy = try #require(mmap(hint, length, PROT_READ, MAP_PRIVATE, fd, 0))
        try #require(copy != MAP_FAILED)
        defer { munmap(copy, length) }
        try #require(UInt64(UInt(bitPattern: copy)) < libc.base, "the copy lies below the loaded image, as the symbolicator's did")

        let map = LoadedImages.imageMap()
        let index = try #require(map.indexOfImage(at: Backtrace.Address(readAddress)), "read() is in an image")
        #expect(map[index].name == "libc.so.6")
        #expect(UInt64(map[index].baseAddress) == libc.base)
        #expect(LoadedImages.matches(map, LoadedImages.list()), "the map decoded from the compact format holds what was written")
    }

    @Test func imagesRoundTripThroughTheCompactImageMapFormat() throws {
        let images = [
            LoadedImages.Image(path: "/usr/lib/x86_64-linux-gnu/libc.so.6", base: 0x7f00_0000_0000, endOfText: 0x7f00_0017_b0fc),
            LoadedImages.Image(path: "/" + String(repeating: "long-directory-name/", count: 9) + "libfoo.so", base: 0x7fff_f000_0000, endOfText: 0x7fff_f000_1000),
        ]
        let map = try #require(LoadedImages.decode(images))
        #expect(LoadedImages.matches(map, images))
        #expect(map[1].name == "libfoo.so", "a path longer than one 63-byte chunk")
        #expect(!LoadedImages.matches(map, [images[0]]))

        // More than 127 images: the count takes two 7-bit groups.
        let many = (0..<130).map { LoadedImages.Image(path: "/lib/lib\($0).so", base: 0x7f00_0000_0000 + UInt64($0) << 20, endOfText: 0x7f00_0000_8000 + UInt64($0) << 20) }
        let manyMap = try #require(LoadedImages.decode(many))
        #expect(LoadedImages.matches(manyMap, many))
    }

    @Test func captureStatesPackThreadGenerationAndPhase() {
        let state = CaptureState(threadID: Int32.max, generation: 0x3FFF_FFFF, phase: .claimed)
        #expect(state.threadID == Int32.max)
        #expect(state.generation == 0x3FFF_FFFF)
        #expect(state.phase == .claimed)
        #expect(state.with(.done).phase == .done)
        #expect(state.with(.done).threadID == Int32.max && state.with(.done).generation == 0x3FFF_FFFF)
        #expect(CaptureState(threadID: 7, generation: 0x4000_0001, phase: .armed).generation == 1, "the generation wraps")
    }
}

/// Lets a sender closure reach the capturer it was given to.
private final class CapturerBox: @unchecked Sendable {   // set once before any capture, then only read
    var capturer: NativeBacktraceCapturer?
}

private func signalToDefault(_ signal: Int32) {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = SIG_DFL
    sigaction(signal, &action, nil)
}
#endif
