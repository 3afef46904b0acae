#if os(Linux) && canImport(Glibc) && (arch(x86_64) || arch(arm64))
import Glibc
import Synchronization
// On Linux the clang module that owns <sys/ucontext.h> (ucontext_t's members) is CDispatch.
import CDispatch

// The signal side of ``NativeBacktraceCapturer``: the memory the handler writes, the handler,
// and the few libc functions it needs. Everything the handler touches is allocated before the
// handler is installed and never freed, because a signal sent for a capture the monitor has given
// up on can still arrive later.
//
// Why glibc's `backtrace()` in the handler instead of a frame-pointer walk from the ucontext:
// glibc and most C libraries are built without frame pointers, so a frame-pointer walk that
// starts in `read` or `futex` follows whatever the C code left in the frame-pointer register, and
// at best loses the most useful frame, the caller of the blocking call (checked here: the walk from
// a thread in `read(2)` skipped `blockedInKnownFunction` and went straight to its caller).
// `backtrace()` unwinds with the DWARF call-frame information every object carries, through the
// kernel's signal frame, so it shows `read` and then its caller. It is async-signal-safe once
// warmed: its first call loads libgcc_s (`dlopen`, not safe in a handler), which
// ``BacktraceSignal/install(signal:)`` does on the monitor thread before any signal is sent; after
// that, glibc 2.36 only reads an atomic pointer, and libgcc 12 finds each frame's unwind table
// with `_dl_find_object` (lock-free, async-signal-safe by glibc's contract) after a relaxed check
// that no JIT has registered frames; it takes no lock and allocates nothing (checked on Debian 12:
// libgcc_s.so.1 imports `_dl_find_object@GLIBC_2.35`, and `_Unwind_Find_FDE` calls it straight
// after that check). The unwinder stops at the first address outside every loaded object.
// What it cannot survive is a stack that is already corrupt (a saved register pointing at
// unmapped memory), where it would fault like any in-process unwinder; a stalled job whose stack
// is corrupt has already had undefined behaviour, and the capture is opt-in for that reason.

/// `int backtrace(void **buffer, int size)`, async-signal-safe once warmed.
typealias UnwindFunction = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?, Int32) -> Int32
/// `pid_t gettid(void)`: the kernel id of the calling thread.
typealias ThreadIDFunction = @convention(c) () -> Int32
/// `int tgkill(pid_t tgid, pid_t tid, int sig)`: a signal to one thread of one process.
typealias ThreadSignalFunction = @convention(c) (Int32, Int32, Int32) -> Int32

/// The libc functions Swift's Glibc module does not export (`tgkill`, `gettid` and `backtrace`
/// are GNU extensions behind `_GNU_SOURCE`), looked up once by name.
enum LibcExtras {
    static let unwind: UnwindFunction? = lookUp("backtrace")
    static let threadID: ThreadIDFunction? = lookUp("gettid")
    static let signalThread: ThreadSignalFunction? = lookUp("tgkill")

    private static func lookUp<F>(_ name: String) -> F? {
        // RTLD_DEFAULT is ((void *) 0) in glibc.
        guard let symbol = dlsym(nil, name) else { return nil }
        return unsafeBitCast(symbol, to: F.self)
    }
}

/// The kernel id (TID) of the calling thread, as `/proc/self/task/TID` and `tgkill` know it;
/// `nil` where the C library has no `gettid` (glibc before 2.30).
func kernelThreadID() -> Int32? {
    LibcExtras.threadID?()
}

/// The phases of one capture, kept in the low two bits of ``BacktraceSlot/state``. Only these
/// transitions happen: idle→armed (monitor), armed→claimed (handler, compare-exchange),
/// claimed→done (handler), armed→idle (monitor giving up, compare-exchange), done→idle (monitor,
/// after copying the frames out). So the handler writes the buffer only between claimed and done,
/// and the monitor reads it only at done: never both at once, and a handler for a capture the
/// monitor gave up on finds the slot idle (or armed for a later capture of another thread) and
/// returns without writing.
enum CapturePhase: UInt64 {
    case idle = 0
    case armed = 1
    case claimed = 2
    case done = 3
}

/// The slot's state word: the target thread in the high 32 bits, a generation in bits 2–31, the
/// phase in bits 0–1. The thread id lets a handler on any other thread ignore the capture; the
/// generation makes a compare-exchange fail if the slot was re-armed in between.
struct CaptureState: Equatable {
    var raw: UInt64

    init(raw: UInt64) { self.raw = raw }

    init(threadID: Int32, generation: UInt64, phase: CapturePhase) {
        raw = UInt64(UInt32(bitPattern: threadID)) << 32 | (generation & 0x3FFF_FFFF) << 2 | phase.rawValue
    }

    var phase: CapturePhase {
        // A total switch, not `init(rawValue:)!`: the handler reads this, and keeps no trap path.
        switch raw & 3 {
        case 0: .idle
        case 1: .armed
        case 2: .claimed
        default: .done
        }
    }
    var threadID: Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: raw >> 32)) }
    var generation: UInt64 { (raw >> 2) & 0x3FFF_FFFF }

    func with(_ phase: CapturePhase) -> CaptureState { CaptureState(raw: (raw & ~3) | phase.rawValue) }
}

/// Memory shared by the monitor and the signal handler, for one signal. Plain pointers and C
/// function pointers only, so copying it in the handler retains nothing.
struct BacktraceSlot {
    /// A ``CaptureState``.
    let state: UnsafeMutablePointer<Atomic<UInt64>>
    /// How many frames the handler may unwind: written by the monitor before it arms the slot.
    let depth: UnsafeMutablePointer<Int32>
    /// How many frames the handler unwound: written by the handler before it marks the slot done.
    let count: UnsafeMutablePointer<Int32>
    /// The interrupted program counter, from the signal's ucontext (0 when there was none).
    let interruptedPC: UnsafeMutablePointer<UInt>
    /// The unwound addresses, innermost first, starting with the handler's own frames.
    let frames: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    let capacity: Int32
    /// Deliveries the handler ignored (no capture armed for its thread): a diagnostic for tests.
    let ignored: UnsafeMutablePointer<Atomic<UInt64>>
    let unwind: UnwindFunction
    let threadID: ThreadIDFunction

    /// Allocates a slot that is never freed (see the top of this file for why).
    static func allocate(capacity: Int32, unwind: @escaping UnwindFunction, threadID: @escaping ThreadIDFunction) -> UnsafeMutablePointer<BacktraceSlot> {
        let state = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: 1)
        state.initialize(to: Atomic(0))
        let ignored = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: 1)
        ignored.initialize(to: Atomic(0))
        let depth = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        depth.initialize(to: 0)
        let count = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        count.initialize(to: 0)
        let interruptedPC = UnsafeMutablePointer<UInt>.allocate(capacity: 1)
        interruptedPC.initialize(to: 0)
        let frames = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: Int(capacity))
        frames.initialize(repeating: nil, count: Int(capacity))
        let slot = UnsafeMutablePointer<BacktraceSlot>.allocate(capacity: 1)
        slot.initialize(to: BacktraceSlot(state: state, depth: depth, count: count, interruptedPC: interruptedPC,
                                          frames: frames, capacity: capacity, ignored: ignored,
                                          unwind: unwind, threadID: threadID))
        return slot
    }
}

/// Installing the handler for a signal, and the handler itself.
enum BacktraceSignal {
    /// Each signal's slot address (0 = none), indexed by signal number: the handler finds its
    /// slot here. Atomic so the monitor's store before installing happens-before the handler's
    /// load (also for the thread sanitizer). Initialized before any handler is installed, so the
    /// handler never runs this global's one-time initializer (`swift_once` is then a load and a
    /// test: checked in libswiftCore's disassembly).
    // nonisolated(unsafe): the pointer itself never changes; what it points to is atomics.
    nonisolated(unsafe) static let slots: UnsafeMutablePointer<Atomic<UInt>> = {
        let table = UnsafeMutablePointer<Atomic<UInt>>.allocate(capacity: slotTableSize)
        for index in 0..<slotTableSize { (table + index).initialize(to: Atomic(0)) }
        return table
    }()
    static let slotTableSize = 65

    /// The handler, as the one C function pointer that is installed and compared against.
    static let handler: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = handleBacktraceSignal

    /// What the signal's disposition currently is.
    enum Disposition: Equatable {
        case defaultAction
        case ours
        /// Ignored, or a handler someone else installed.
        case host
    }

    static func disposition(of signal: Int32) -> Disposition? {
        var current = sigaction()
        guard sigaction(signal, nil, &current) == 0 else { return nil }
        let installed = unsafeBitCast(current.__sigaction_handler.sa_sigaction, to: UInt.self)
        if installed == 0 { return .defaultAction }   // SIG_DFL
        if installed == unsafeBitCast(handler, to: UInt.self) { return .ours }
        return .host
    }

    /// Installs the handler on `signal`, whose disposition the caller saw at its default action,
    /// after warming `backtrace()` on this thread. Returns the signal's slot (made on the first
    /// install and reused after), or why it could not.
    static func install(signal: Int32, capacity: Int32) -> Result<UnsafeMutablePointer<BacktraceSlot>, BacktraceUnavailable> {
        guard signal > 0, signal < Int32(slotTableSize) else {
            return .failure(BacktraceUnavailable(.notSupported, "signal \(signal) is out of range"))
        }
        guard let unwind = LibcExtras.unwind, let threadID = LibcExtras.threadID else {
            return .failure(BacktraceUnavailable(.notSupported, "the C library has no backtrace() or gettid()"))
        }
        // The first call loads libgcc_s and resolves the unwinder: never in a handler.
        var warm = [UnsafeMutableRawPointer?](repeating: nil, count: 4)
        _ = unwind(&warm, Int32(warm.count))

        let entry = slots + Int(signal)
        var slot = UnsafeMutablePointer<BacktraceSlot>(bitPattern: entry.pointee.load(ordering: .acquiring))
        if slot == nil {
            let made = BacktraceSlot.allocate(capacity: capacity, unwind: unwind, threadID: threadID)
            entry.pointee.store(UInt(bitPattern: made), ordering: .releasing)
            slot = made
        }
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = handler
        // SA_RESTART: the interrupted system call is restarted where the kernel allows, as for any
        // restartable signal. No SA_ONSTACK: an alternate stack someone else sized (often a few
        // KiB) is a worse bet than the thread's own stack for the unwinder's few KiB.
        action.sa_flags = SA_SIGINFO | SA_RESTART
        sigemptyset(&action.sa_mask)
        guard sigaction(signal, &action, nil) == 0 else {
            return .failure(BacktraceUnavailable(.failed, "installing a handler for signal \(signal) failed: \(String(cString: strerror(errno)))"))
        }
        return .success(slot!)
    }
}

/// The signal handler. Async-signal-safe: it allocates nothing, takes no lock, retains nothing
/// (the slot is a struct of raw pointers), and calls only `getpid`, `gettid` and a warmed
/// `backtrace` (checked in the -Onone object code: besides those, only `memset` of its own
/// frame, the `errno` accessors, `swift_once`'s already-done path and this file's helpers). It records a capture only for a signal this process sent with `tgkill` to this
/// thread while a capture of this thread is armed; anything else (a late signal after the
/// monitor gave up, `kill -PROF` from outside, a profiling timer) is counted and ignored.
private func handleBacktraceSignal(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
    let savedErrno = errno
    defer { errno = savedErrno }
    guard signal > 0, signal < Int32(BacktraceSignal.slotTableSize) else { return }
    let address = (BacktraceSignal.slots + Int(signal)).pointee.load(ordering: .acquiring)
    guard let slotPointer = UnsafeMutablePointer<BacktraceSlot>(bitPattern: address) else { return }
    let slot = slotPointer.pointee
    guard let info, info.pointee.si_code == SI_TKILL, info.pointee._sifields._kill.si_pid == getpid() else {
        slot.ignored.pointee.add(1, ordering: .relaxed)
        return
    }
    let seen = CaptureState(raw: slot.state.pointee.load(ordering: .acquiring))
    guard seen.phase == .armed, seen.threadID == slot.threadID() else {
        slot.ignored.pointee.add(1, ordering: .relaxed)
        return
    }
    guard slot.state.pointee.compareExchange(expected: seen.raw, desired: seen.with(.claimed).raw,
                                             ordering: .acquiring).exchanged else {
        slot.ignored.pointee.add(1, ordering: .relaxed)
        return
    }
    slot.interruptedPC.pointee = interruptedProgramCounter(context)
    // Plain comparisons rather than the generic `min`/`max`, which -Onone leaves unspecialized.
    var depth = slot.depth.pointee
    if depth > slot.capacity { depth = slot.capacity }
    slot.count.pointee = depth > 0 ? slot.unwind(slot.frames, depth) : 0
    slot.state.pointee.store(seen.with(.done).raw, ordering: .releasing)
}

/// The program counter the signal interrupted, from the ucontext the kernel passed.
private func interruptedProgramCounter(_ context: UnsafeMutableRawPointer?) -> UInt {
    guard let context else { return 0 }
    let ucontext = context.assumingMemoryBound(to: ucontext_t.self)
    #if arch(x86_64)
    return UInt(bitPattern: Int(ucontext.pointee.uc_mcontext.gregs.16))   // REG_RIP
    #else
    return UInt(ucontext.pointee.uc_mcontext.pc)
    #endif
}
#endif
