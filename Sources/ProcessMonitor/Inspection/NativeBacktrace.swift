#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Why a native backtrace of a thread could not be captured. Never fatal: the caller reports
/// the reason where the stack would have gone.
package struct BacktraceUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of reason, for callers that act on it.
    package enum Code: Sendable, Equatable {
        /// Not Linux on x86_64 or arm64 with glibc, or the C library lacks `backtrace`/`gettid`.
        case notSupported
        /// The signal has a disposition the host set (a handler, or ignored): it is left alone.
        case signalInUse
        /// No thread with that id in this process (it exited, or never existed).
        case noSuchThread
        /// The thread blocks the signal, so it would never run the handler.
        case signalBlocked
        /// The thread did not run the handler within the timeout (uninterruptible sleep, or a
        /// thread that is not being scheduled).
        case timedOut
        /// A handler from an earlier capture that timed out is still writing its frames.
        case busy
        /// Anything else the system refused (sending the signal, decoding the frames).
        case failed
    }

    /// The kind of reason.
    package let code: Code
    /// The reason in words, e.g. "thread 4711 has exited (no /proc/self/task/4711)".
    package let reason: String

    /// The reason in words.
    package var description: String { reason }

    package init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}

/// Captures a symbolicated native backtrace of another thread of this process, given its kernel
/// thread id (TID): what a stalled thread is doing, down to the function and line, for the
/// heartbeat's opt-in `captureStacks`.
///
/// How: `SIGPROF` (``defaultSignal``) is sent to that one thread with `tgkill`; its handler
/// records the return addresses of the thread's stack (glibc's `backtrace()`, which unwinds
/// through the signal frame with DWARF call-frame information) into a buffer allocated in
/// advance, and marks it done; the caller's thread waits for that, copies the addresses out, and
/// symbolicates them with the toolchain's `Runtime` module.
///
/// Why `SIGPROF` and not a real-time signal: libdispatch blocks every signal on its worker
/// threads except the synchronous faults, `SIGPIPE` and `SIGPROF` (`_dispatch_sigmask`, which
/// leaves `SIGPROF` to profilers), and Swift concurrency's cooperative pool is such threads on
/// Linux; so are the threads they start, which inherit the mask. A real-time signal would reach
/// none of them (checked: `SigBlk: fffffffe3bfbea27` on a `DispatchQueue.global()` thread and in
/// a `Task`). `SIGPROF` is the signal for sampling a thread's stack, which is what this does;
/// the Swift runtime's crash handler falls back to it for the same reason.
///
/// What it costs and disturbs:
/// - Nothing until the first capture, which installs the handler (only if the signal is at its
///   default action: a host's own handler, such as a CPU profiler's, or `SIG_IGN` is left
///   alone, and every capture then says so instead of sending anything), loads libgcc_s, and
///   reads the symbol tables of the images on the stack.
/// - Per capture, on the target thread: one signal delivery and an unwind, a few microseconds.
///   A system call the thread was blocked in is interrupted as by any signal: restarted by the
///   kernel where it can be (`SA_RESTART`: `read`/`write` on pipes and sockets, `wait`, `futex`
///   waits, so locks, conditions and semaphores), otherwise it returns `EINTR`, which code must
///   already handle for any signal (`poll`, `epoll_wait`, `select`, `nanosleep`, sockets with a
///   timeout; signal(7) has the list).
/// - Per capture, on the calling thread: the wait (bounded by `timeout`) and symbolication, a
///   few milliseconds the first time an image is read (its symbol table and DWARF line table
///   stay cached on that thread afterwards, which is memory of the order of those tables) and
///   well under a millisecond after.
/// - Once installed the handler stays installed for the life of the process (a signal sent for
///   a capture that timed out can arrive at any later time, and at the default action `SIGPROF`
///   ends the process); a `SIGPROF` from anywhere else (`kill -PROF`, an `ITIMER_PROF` timer
///   nobody handles) is then ignored instead of ending the process.
///
/// Linux with glibc on x86_64 and arm64 only (tested on x86_64); elsewhere every capture returns
/// ``BacktraceUnavailable/Code/notSupported``.
// @unchecked Sendable: every stored property is immutable except `generation`, which is only
// read and written with `lock` held; the slot it arms is shared with the signal handler through
// atomics (see BacktraceSignal.swift).
package final class NativeBacktraceCapturer: @unchecked Sendable {
    /// The capturer the monitor uses, on ``defaultSignal``.
    package static let shared = NativeBacktraceCapturer()

    /// The signal used: `SIGPROF` (see the type's discussion for why).
    package static var defaultSignal: Int32 { SIGPROF }

    /// Return addresses the handler may record per capture (2 KiB, allocated once).
    static let frameCapacity: Int32 = 256
    /// Frames unwound beyond `maxFrames`: the handler's own three, Swift thunks that are
    /// skipped, and a sanitizer's frames when one runs the handler.
    static let extraFrames = 16

    /// The signal this capturer sends.
    package let signal: Int32
    private let send: @Sendable (_ threadID: Int32, _ signal: Int32) -> Int32
    private let lock = PosixLock()
    private var generation: UInt64 = 0

    /// A capturer on `signal`. Tests use other signals and inject `send` (returns 0 or an
    /// errno) to stand in for `tgkill`; one capturer per signal per process.
    init(signal: Int32 = NativeBacktraceCapturer.defaultSignal,
         send: (@Sendable (_ threadID: Int32, _ signal: Int32) -> Int32)? = nil) {
        self.signal = signal
        self.send = send ?? { threadID, signal in
            #if os(Linux) && canImport(Glibc)
            guard let signalThread = LibcExtras.signalThread else { return ENOSYS }
            return signalThread(getpid(), threadID, signal) == 0 ? 0 : errno
            #else
            return ENOSYS
            #endif
        }
    }

    /// The signal as people write it, e.g. `SIGPROF (27)` or `SIGRTMIN+6 (40)`.
    package var signalName: String {
        if signal == SIGPROF { return "SIGPROF (\(signal))" }
        #if os(Linux) && canImport(Glibc)
        let offset = signal - __libc_current_sigrtmin()
        if offset >= 0 && signal <= __libc_current_sigrtmax() { return "SIGRTMIN+\(offset) (\(signal))" }
        #endif
        return "signal \(signal)"
    }

    /// Captures the stack of thread `threadID` of this process: up to `maxFrames` symbolicated
    /// lines, innermost first, such as `blockedInKnownFunction() + 52 in
    /// ProcessMonitorPackageTests.xctest at NativeBacktraceTests.swift:31` (Swift names
    /// demangled; the first line is the interrupted function, e.g. `read` in libc.so.6), or why
    /// not. Waits at most `timeout` for the thread (a negative one counts as zero); a
    /// `maxFrames` of zero or less gives no lines and sends nothing. Blocking: call it from the
    /// monitor's thread, never from a task. Safe to call from several threads (captures take
    /// turns), though meant for one.
    package func capture(threadID: Int32, maxFrames: Int, timeout: Duration) -> Result<[String], BacktraceUnavailable> {
        #if os(Linux) && canImport(Glibc) && (arch(x86_64) || arch(arm64))
        guard maxFrames > 0 else { return .success([]) }
        guard threadID > 0 else {
            return .failure(BacktraceUnavailable(.noSuchThread, "thread id \(threadID) is not a thread of this process"))
        }
        let deadline = monotonicPrecise().adding(saturating: timeout)
        let recorded: (unwound: [UInt], interruptedPC: UInt)
        switch lock.withLock({ record(threadID: threadID, maxFrames: maxFrames, timeout: timeout, deadline: deadline) }) {
        case .failure(let unavailable): return .failure(unavailable)
        case .success(let frames): recorded = frames
        }
        guard let lines = BacktraceSymbolication.lines(unwound: recorded.unwound, interruptedPC: recorded.interruptedPC,
                                                       maxLines: maxFrames) else {
            return .failure(BacktraceUnavailable(.failed, "the \(recorded.unwound.count) recorded addresses could not be symbolicated"))
        }
        return .success(lines)
        #else
        return .failure(BacktraceUnavailable(.notSupported, "not supported on this platform (Linux with glibc on x86_64 or arm64 only)"))
        #endif
    }

    #if os(Linux) && canImport(Glibc) && (arch(x86_64) || arch(arm64))
    /// The signal's slot, installing the handler if the signal is at its default action.
    private func slot() -> Result<UnsafeMutablePointer<BacktraceSlot>, BacktraceUnavailable> {
        switch BacktraceSignal.disposition(of: signal) {
        case nil:
            return .failure(BacktraceUnavailable(.notSupported, "\(signalName) cannot be inspected on this system"))
        case .host:
            return .failure(BacktraceUnavailable(.signalInUse, "\(signalName) in use by the host (it has its own handler or ignores it); it is left alone"))
        case .ours:
            let address = (BacktraceSignal.slots + Int(signal)).pointee.load(ordering: .acquiring)
            if let slot = UnsafeMutablePointer<BacktraceSlot>(bitPattern: address) { return .success(slot) }
            return .failure(BacktraceUnavailable(.failed, "\(signalName) has this library's handler but no buffer"))
        case .defaultAction:
            return BacktraceSignal.install(signal: signal, capacity: Self.frameCapacity)
        }
    }

    /// Signals the thread and copies out what its handler recorded. Called with `lock` held.
    private func record(threadID: Int32, maxFrames: Int, timeout: Duration, deadline: UInt64)
        -> Result<(unwound: [UInt], interruptedPC: UInt), BacktraceUnavailable> {
        let slot: UnsafeMutablePointer<BacktraceSlot>
        switch self.slot() {
        case .failure(let unavailable): return .failure(unavailable)
        case .success(let found): slot = found
        }
        if let unavailable = checkThread(threadID) { return .failure(unavailable) }
        let state = slot.pointee.state

        // A handler from an earlier capture that timed out may still be writing: let it finish.
        guard waitUntil(deadline, { CaptureState(raw: state.pointee.load(ordering: .acquiring)).phase != .claimed }) else {
            return .failure(BacktraceUnavailable(.busy, "a handler from an earlier capture was still recording after \(describe(timeout))"))
        }
        generation &+= 1
        slot.pointee.depth.pointee = Int32(min(maxFrames + Self.extraFrames, Int(slot.pointee.capacity)))
        let armed = CaptureState(threadID: threadID, generation: generation, phase: .armed)
        state.pointee.store(armed.raw, ordering: .releasing)

        let error = send(threadID, signal)
        guard error == 0 else {
            _ = state.pointee.compareExchange(expected: armed.raw, desired: armed.with(.idle).raw, ordering: .relaxed)
            if error == ESRCH { return .failure(BacktraceUnavailable(.noSuchThread, "thread \(threadID) has exited")) }
            return .failure(BacktraceUnavailable(.failed, "sending \(signalName) to thread \(threadID) failed: \(String(cString: strerror(error)))"))
        }

        let done = armed.with(.done).raw
        if !waitUntil(deadline, { state.pointee.load(ordering: .acquiring) == done }) {
            // Give up, unless the handler claimed the capture meanwhile: then it is writing and the
            // buffer is its own until it marks it done.
            let (abandoned, seen) = state.pointee.compareExchange(expected: armed.raw, desired: armed.with(.idle).raw,
                                                                  ordering: .acquiring)
            if abandoned || seen != done {
                if checkThread(threadID)?.code == .noSuchThread {
                    return .failure(BacktraceUnavailable(.noSuchThread, "thread \(threadID) exited before it took the signal"))
                }
                return .failure(BacktraceUnavailable(.timedOut, "timed out after \(describe(timeout)) (thread \(threadID) did not take \(signalName))"))
            }
        }
        let count = Int(min(max(slot.pointee.count.pointee, 0), slot.pointee.capacity))
        let unwound = (0..<count).map { UInt(bitPattern: slot.pointee.frames[$0]) }
        let interruptedPC = slot.pointee.interruptedPC.pointee
        state.pointee.store(armed.with(.idle).raw, ordering: .releasing)
        guard interruptedPC != 0 else {
            return .failure(BacktraceUnavailable(.failed, "the signal reached thread \(threadID) without its register state"))
        }
        return .success((unwound, interruptedPC))
    }

    /// Why `threadID` cannot take the signal, read from `/proc/self/task/TID/status`, or nil.
    private func checkThread(_ threadID: Int32) -> BacktraceUnavailable? {
        guard let status = readSmallFile("/proc/self/task/\(threadID)/status") else {
            return BacktraceUnavailable(.noSuchThread, "thread \(threadID) is not a thread of this process (it has exited, or never was)")
        }
        // SigBlk is the blocked mask in hex, bit n-1 for signal n.
        for line in status.split(separator: "\n") where line.hasPrefix("SigBlk:") {
            let hex = line.dropFirst("SigBlk:".count).trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            if let mask = UInt64(hex, radix: 16), signal >= 1, signal <= 64, mask & (1 << UInt64(signal - 1)) != 0 {
                return BacktraceUnavailable(.signalBlocked, "thread \(threadID) blocks \(signalName), so it cannot be asked for its stack")
            }
        }
        return nil
    }

    /// Polls `condition` with a growing pause (20 µs doubling to 1 ms: a capture usually takes
    /// tens of microseconds) until it holds or `deadline` (precise monotonic nanoseconds) passes.
    /// A poll, not a semaphore the handler posts, so a late handler leaves nothing behind.
    private func waitUntil(_ deadline: UInt64, _ condition: () -> Bool) -> Bool {
        var pause: UInt64 = 20_000
        while !condition() {
            let now = monotonicPrecise()
            guard now < deadline else { return condition() }
            var request = timespec(tv_sec: 0, tv_nsec: Int(min(pause, deadline - now)))
            nanosleep(&request, nil)
            pause = min(pause * 2, 1_000_000)
        }
        return true
    }
    #endif

    private func describe(_ timeout: Duration) -> String {
        let milliseconds = max(timeout.wholeMilliseconds, 0)
        return milliseconds < 10_000 ? "\(milliseconds) ms" : "\(milliseconds / 1000) s"
    }

    /// Test access: overwrites the slot's state word, to stand for a handler that is still
    /// writing; false before the handler is installed.
    func overwriteStateForTesting(_ state: CaptureState) -> Bool {
        #if os(Linux) && canImport(Glibc) && (arch(x86_64) || arch(arm64))
        guard signal > 0, signal < Int32(BacktraceSignal.slotTableSize) else { return false }
        let address = (BacktraceSignal.slots + Int(signal)).pointee.load(ordering: .acquiring)
        guard let slot = UnsafeMutablePointer<BacktraceSlot>(bitPattern: address) else { return false }
        slot.pointee.state.pointee.store(state.raw, ordering: .releasing)
        return true
        #else
        return false
        #endif
    }

    /// Test access: deliveries the handler ignored on this capturer's signal, and the slot's
    /// state word (nil before the handler is installed).
    var diagnostics: (ignored: UInt64, state: UInt64)? {
        #if os(Linux) && canImport(Glibc) && (arch(x86_64) || arch(arm64))
        guard signal > 0, signal < Int32(BacktraceSignal.slotTableSize) else { return nil }
        let address = (BacktraceSignal.slots + Int(signal)).pointee.load(ordering: .acquiring)
        guard let slot = UnsafeMutablePointer<BacktraceSlot>(bitPattern: address) else { return nil }
        return (slot.pointee.ignored.pointee.load(ordering: .relaxed), slot.pointee.state.pointee.load(ordering: .acquiring))
        #else
        return nil
        #endif
    }
}
