#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

func pthreadSelfBits() -> UInt {
    #if os(Linux)
    return UInt(pthread_self())
    #else
    return UInt(bitPattern: pthread_self())
    #endif
}

/// `CLOCK_MONOTONIC`: what ``SystemMonitorClock`` reads, and the clock real-time waits use
/// (condition variables wait on it).
func monotonicPrecise() -> UInt64 {
    var ts = timespec()
    #if os(Linux)
    clock_gettime(CLOCK_MONOTONIC, &ts)
    #else
    // The precise form of the clock scopes read there (CLOCK_MONOTONIC_RAW_APPROX): Darwin's
    // CLOCK_MONOTONIC also counts time asleep, so it would part from the scopes' after a sleep.
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts)
    #endif
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Names the calling thread for `top -H`, `ps -L` and debuggers (Foundation's `Thread.name` does
/// not reach the OS on Linux). Linux keeps 15 bytes; a longer name is cut, never refused.
func nameCurrentThreadForOS(_ name: String) {
    let short = Array(name.utf8.prefix(15))
    #if os(Linux)
    // Glibc's module does not export pthread_setname_np; the kernel takes the name here too.
    let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    _ = short.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    close(descriptor)
    #else
    _ = pthread_setname_np(String(decoding: short, as: UTF8.self))
    #endif
}

/// The calling thread's kernel id (Linux `gettid()`), or 0 where there is none. Read from
/// `/proc/thread-self`, a link to `PID/task/TID`: Glibc's module exports neither `gettid` nor
/// the variadic `syscall`. Called once per thread lane, never on the hot path.
func currentKernelThreadID() -> Int32 {
    #if os(Linux)
    var buffer = [CChar](repeating: 0, count: 64)
    let count = readlink("/proc/thread-self", &buffer, buffer.count - 1)
    guard count > 0 else { return 0 }
    let text = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let slash = text.lastIndex(of: "/") else { return 0 }
    return Int32(text[text.index(after: slash)...]) ?? 0
    #else
    return 0
    #endif
}
