import Synchronization

// The storage behind `LineBuffer`, and the pre-rendered pieces (field keys) copied into it.

/// A growable run of bytes: the storage of a ``LineBuffer``.
///
/// Rendering appends a few hundred short pieces per heartbeat, and `Array.append(contentsOf:)`
/// paid for its generality on each one (a generic copy loop, a capacity check in another
/// function, a retain of an array argument); here an append is a uniqueness check, a bounds
/// check and a copy. The base address, count and capacity live in this value, so writing
/// touches no object but for that check. Copies share the memory and copy it on their first
/// write (a copy made only to change its count, by removing, copies nothing), so a
/// `LineBytes` behaves as a value like `[UInt8]`.
struct LineBytes {
    /// Owns the memory; freed with the last value that shares it.
    private final class Storage {
        let base: UnsafeMutablePointer<UInt8>

        init(capacity: Int) {
            base = .allocate(capacity: capacity)
        }

        deinit {
            base.deallocate()
        }
    }

    private var storage: Storage
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Number of bytes.
    private(set) var count: Int

    /// Empty, with room for `capacity` bytes before it grows.
    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        storage = Storage(capacity: self.capacity)
        base = storage.base
        count = 0
    }

    var isEmpty: Bool { count == 0 }

    /// The last byte, if any.
    var last: UInt8? { count > 0 ? base[count - 1] : nil }

    /// The bytes, read in place; valid only inside `body`.
    func withUnsafeBufferPointer<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try withExtendedLifetime(storage) { try body(UnsafeBufferPointer(start: base, count: count)) }
    }

    /// The bytes from `start` to the end as an array.
    func array(from start: Int = 0) -> [UInt8] {
        precondition(start >= 0 && start <= count, "LineBytes: start \(start) outside 0...\(count)")
        return withUnsafeBufferPointer { Array($0[start...]) }
    }

    // MARK: Writing

    /// Where the next `extra` bytes go, once this value owns its memory alone and has room for
    /// them. The caller writes them and adds `extra` to `count`.
    @inline(__always)
    private mutating func reserve(_ extra: Int) -> UnsafeMutablePointer<UInt8> {
        if _slowPath(capacity - count < extra || !isKnownUniquelyReferenced(&storage)) {
            grow(extra)
        }
        return base + count
    }

    /// New memory of its own with room for `extra` more bytes (at least twice the old room
    /// when it had to grow), the bytes copied over.
    @inline(never)
    private mutating func grow(_ extra: Int) {
        let needed = count + extra
        let newCapacity = needed <= capacity ? capacity : max(needed, capacity * 2)
        let fresh = Storage(capacity: newCapacity)
        fresh.base.update(from: base, count: count)
        storage = fresh
        base = fresh.base
        capacity = newCapacity
    }

    mutating func append(_ byte: UInt8) {
        reserve(1).initialize(to: byte)
        count += 1
    }

    /// Appends `length` bytes from `source`, which must not point into this value's memory
    /// (it may move when growing).
    @inline(__always)
    mutating func append(_ source: UnsafePointer<UInt8>, count length: Int) {
        guard length > 0 else { return }
        reserve(length).update(from: source, count: length)
        count += length
    }

    mutating func append(contentsOf source: UnsafeBufferPointer<UInt8>) {
        guard let start = source.baseAddress else { return }
        append(start, count: source.count)
    }

    mutating func append(contentsOf source: Slice<UnsafeBufferPointer<UInt8>>) {
        append(contentsOf: UnsafeBufferPointer(rebasing: source))
    }

    mutating func append(contentsOf source: [UInt8]) {
        source.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    mutating func append(contentsOf other: LineBytes) {
        other.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    /// Appends a sequence byte by byte: for the rare string without contiguous UTF-8.
    mutating func append(contentsOf bytes: some Sequence<UInt8>) {
        for byte in bytes { append(byte) }
    }

    mutating func reserveCapacity(_ minimum: Int) {
        if minimum > count { _ = reserve(minimum - count) }
    }

    mutating func swapAt(_ first: Int, _ second: Int) {
        precondition(first >= 0 && first < count && second >= 0 && second < count, "LineBytes: swap outside 0..<\(count)")
        _ = reserve(0)  // owns its memory alone
        let byte = base[first]
        base[first] = base[second]
        base[second] = byte
    }

    // MARK: Removing (the count only: the bytes left behind are overwritten by later appends)

    mutating func removeLast() {
        precondition(count > 0, "LineBytes: removeLast on an empty buffer")
        count -= 1
    }

    /// Removes the bytes from `range.lowerBound` to the end.
    mutating func removeSubrange(_ range: PartialRangeFrom<Int>) {
        precondition(range.lowerBound >= 0 && range.lowerBound <= count, "LineBytes: remove from \(range.lowerBound) outside 0...\(count)")
        count = range.lowerBound
    }

    mutating func removeAll(keepingCapacity: Bool = false) {
        if keepingCapacity {
            count = 0
        } else {
            self = LineBytes(capacity: 16)
        }
    }
}

/// Bytes rendered once (a field's `"key":` or ` key=`) and copied into many lines.
///
/// The bytes are interned: each distinct run is allocated once, for the life of the process,
/// and never changes (the field tables hold a few kilobytes of them). So a value is a plain
/// pointer and count, and copying a key out of a field table into a line retains and releases
/// nothing, where an array of bytes cost a retain and a release per field.
struct RenderedBytes: @unchecked Sendable {  // points at interned bytes, never written or freed
    let start: UnsafePointer<UInt8>
    let count: Int

    private static let interned = Mutex<[[UInt8]: RenderedBytes]>([:])

    /// The interned copy of `bytes`.
    init(_ bytes: [UInt8]) {
        self = Self.interned.withLock { table in
            if let known = table[bytes] { return known }
            let memory = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
            memory.initialize(from: bytes, count: bytes.count)
            let made = RenderedBytes(start: memory, count: bytes.count)
            table[bytes] = made
            return made
        }
    }

    private init(start: UnsafePointer<UInt8>, count: Int) {
        self.start = start
        self.count = count
    }

    /// The bytes as an array, for tests and checks.
    var array: [UInt8] { Array(UnsafeBufferPointer(start: start, count: count)) }
}
