#if canImport(Glibc)
public import Glibc
#elseif canImport(Musl)
public import Musl
#elseif canImport(Darwin)
public import Darwin
#endif
import Foundation
public import Synchronization

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
/// and every write to it is atomic, so threads sharing it cannot corrupt memory. Its clock
/// reads nothing, so no thread writes the lane's one clock buffer either.
private let untrackedLane = Lane(kind: .thread, clock: ScopeClock(clockGettime: { _, _ in 0 }))

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

/// The current thread's lane name: `main`, the name its creator gave it, or what Dispatch
/// runs on it (see ``threadLaneName(isMain:comm:fullName:queueLabel:processName:)``).
func currentThreadName() -> String? {
    if Thread.isMainThread { return "main" }
    #if os(Linux)
    let comm = readFirstLine("/proc/thread-self/comm")
    #else
    var buffer = [CChar](repeating: 0, count: 64)
    guard pthread_getname_np(pthread_self(), &buffer, buffer.count) == 0 else { return nil }
    let comm = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    #endif
    return threadLaneName(isMain: false, comm: comm, queueLabel: currentQueueLabel(), processName: processName)
}

/// A thread lane's name from what the OS and Dispatch say about the thread:
/// - `main` for the main thread;
/// - the name the thread was given (`Thread.current.name = …` inside it, or
///   `pthread_setname_np`; Linux keeps at most 15 bytes, and Foundation drops a longer name
///   altogether, so ``nameCurrentThread(_:)`` is the way to a longer one);
/// - `dispatch:default-qos`, `dispatch:utility-qos.overcommit`, ... for Dispatch's worker
///   threads (which serve `concurrentPerform`, global queues and Swift's global executor),
///   whose kernel names are the last 15 bytes of their root queue's label
///   (`oot.default-qos`); `queueLabel` tells the overcommit pools apart;
/// - `nil` for a thread with no name of its own (Linux gives unnamed threads the process's).
func threadLaneName(isMain: Bool, comm: String, queueLabel: String?, processName: String) -> String? {
    if isMain { return "main" }
    let rootPrefix = "com.apple.root."
    let rootLabel = queueLabel.flatMap { $0.hasPrefix(rootPrefix) ? String($0.dropFirst(rootPrefix.count)) : nil }
    if comm.isEmpty || comm == processName { return nil }
    let roots = ["maintenance", "background", "utility", "default", "user-initiated", "user-interactive"]
        .flatMap { ["\($0)-qos", "\($0)-qos.overcommit"] }
    let matching = roots.filter { String((rootPrefix + $0).utf8.suffix(15)) == comm }
    if !matching.isEmpty {
        if let rootLabel, matching.contains(rootLabel) { return "dispatch:" + rootLabel }
        return matching.count == 1 ? "dispatch:" + matching[0] : "dispatch:" + (comm.hasSuffix("overcommit") ? "overcommit" : comm)
    }
    return comm
}

/// Names the calling thread's lane, as heartbeats show it (`ThreadId(7)/checkpoint-writer`),
/// and the thread itself for `top -H` and debuggers (the OS keeps 15 bytes of it). Call it
/// whenever the thread takes on a role; the lane keeps the whole name, up to 256 bytes.
///
/// On Linux, Foundation's `Thread.name` reaches the OS only when set from inside the thread
/// and at most 15 bytes long (a longer one is silently dropped); a thread's first scope picks
/// up such a name by itself. This function has neither limit.
///
/// ```swift
/// for shard in shards {
///     Thread {
///         nameCurrentThread("checkpoint-writer-\(shard.id)")
///         withScope("write checkpoint") { checkpoint() }
///     }.start()
/// }
/// ```
public func nameCurrentThread(_ name: String) {
    let kept = String(decoding: name.utf8.prefix(256), as: UTF8.self)
    nameCurrentThreadForOS(kept)
    LaneRegistry.shared.rename(currentThreadLane(), to: kept.isEmpty ? nil : kept)
}

/// The label of the Dispatch queue the calling thread runs, if any. `dispatch_queue_get_label`
/// is not imported into Swift on Linux, so it is looked up by name, once.
private func currentQueueLabel() -> String? {
    guard let getLabel = queueLabelFunction else { return nil }
    return getLabel(nil).map { String(cString: $0) }
}

private typealias QueueLabelFunction = @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?

private let queueLabelFunction: QueueLabelFunction? = {
    #if os(Linux)
    guard let symbol = dlsym(nil, "dispatch_queue_get_label") else { return nil }
    return unsafeBitCast(symbol, to: QueueLabelFunction.self)
    #else
    return nil
    #endif
}()

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
