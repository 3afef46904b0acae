#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

// MARK: - Thread lanes

/// The pthread key holding the current thread's lane (retained); its destructor retires the
/// lane when the thread exits. `nil` if the OS refused one (a process that used up its
/// `PTHREAD_KEYS_MAX` keys): scopes then go untracked rather than take the host down.
private let threadLaneKey: pthread_key_t? = {
    var key = pthread_key_t()
    let rc = pthread_key_create(&key) { raw in
        guard let raw else { return }
        let lane = Unmanaged<Lane>.fromOpaque(raw).takeRetainedValue()
        LaneRegistry.shared.retire(lane)
    }
    guard rc == 0 else {
        reportToStandardError(
            "[process-monitor] pthread_key_create failed (\(rc)); synchronous scopes will not be tracked\n"
        )
        return nil
    }
    return key
}()

/// Where synchronous scopes go when there is no thread key: registered nowhere, so never read,
/// and every write to it is atomic, so threads sharing it cannot corrupt memory.
private let untrackedLane = Lane(kind: .thread)

/// The current thread's lane, created on first use.
@inlinable @inline(__always)
func currentThreadLane() -> Lane {
    if let raw = threadLaneRaw() {
        return Unmanaged<Lane>.fromOpaque(raw).takeUnretainedValue()
    }
    return makeCurrentThreadLane()
}

/// The current thread's lane, created on first use, without a retain.
///
/// The thread-specific slot holds a +1 reference until the thread exits, so the lane outlives
/// every scope the thread enters: a scope can use it through `_withUnsafeGuaranteedRef` and skip
/// the `swift_retain`/`swift_release` pair (two atomic read-modify-writes on the lane's header)
/// that `takeUnretainedValue()` costs on every enter+exit.
@inlinable @inline(__always)
func currentThreadLaneUnmanaged() -> Unmanaged<Lane> {
    if let raw = threadLaneRaw() {
        return Unmanaged<Lane>.fromOpaque(raw)
    }
    return Unmanaged.passUnretained(makeCurrentThreadLane())
}

/// `threadLaneKey + 1` once the key exists, 0 before: the hot path's copy of the key.
///
/// Reading `threadLaneKey` itself costs a call to `swift_once` on every scope (Linux does not
/// inline the check), and the call into this module that wraps it; a statically initialized
/// atomic is one plain load, so `threadLaneRaw()` inlines into the caller's scope as a load
/// and a call to `pthread_getspecific`. 0 sends the caller to the slow path, which creates the
/// key (through `swift_once`) and publishes it here.
@usableFromInline
let threadLaneKeyPlusOne = Atomic<UInt>(0)

@inlinable @inline(__always)
func threadLaneRaw() -> UnsafeMutableRawPointer? {
    let keyPlusOne = threadLaneKeyPlusOne.load(ordering: .relaxed)
    guard keyPlusOne != 0 else { return nil }
    return pthread_getspecific(pthread_key_t(truncatingIfNeeded: keyPlusOne &- 1))
}

/// The current thread's lane if it has one, without creating it.
func existingThreadLane() -> Lane? {
    threadLaneRaw().map { Unmanaged<Lane>.fromOpaque($0).takeUnretainedValue() }
}

@usableFromInline @inline(never)
func makeCurrentThreadLane() -> Lane {
    guard let key = threadLaneKey else { return untrackedLane }
    // Before the key is published a thread can get here with a lane already set.
    if let raw = pthread_getspecific(key) {
        threadLaneKeyPlusOne.store(UInt(key) &+ 1, ordering: .relaxed)
        return Unmanaged<Lane>.fromOpaque(raw).takeUnretainedValue()
    }
    let lane = LaneRegistry.shared.makeThreadLane(name: currentThreadName())
    pthread_setspecific(key, Unmanaged.passRetained(lane).toOpaque())
    threadLaneKeyPlusOne.store(UInt(key) &+ 1, ordering: .relaxed)
    return lane
}

/// `main` for the main thread; the thread's name otherwise, unless it is only the process name
/// every unnamed thread inherits on Linux (Rust reports those as unnamed too).
func currentThreadName() -> String? {
    if Thread.isMainThread { return "main" }
    #if os(Linux)
    let name = readFirstLine("/proc/thread-self/comm")
    #else
    var buffer = [CChar](repeating: 0, count: 64)
    guard pthread_getname_np(pthread_self(), &buffer, buffer.count) == 0 else { return nil }
    let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    #endif
    if name.isEmpty || name == processName { return nil }
    return name
}

private let processName: String = {
    #if os(Linux)
    return readFirstLine("/proc/self/comm")
    #else
    return ""
    #endif
}()

private func readFirstLine(_ path: String) -> String {
    guard let file = fopen(path, "r") else { return "" }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 256)
    guard fgets(&buffer, Int32(buffer.count), file) != nil else { return "" }
    let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return line.hasSuffix("\n") ? String(line.dropLast()) : line
}
