import Synchronization

// The storage behind `LineBuffer`, and the pieces rendered once (field keys) copied into it.

/// A growable run of bytes that a ``LineBuffer`` owns alone: raw memory, freed with the value.
///
/// Rendering appends a few hundred short pieces per heartbeat, and `Array.append(contentsOf:)`
/// paid for its generality on each one (a generic copy loop, a capacity check in another
/// function, a uniqueness check for copy-on-write). A `LineBytes` cannot be copied (it is
/// `~Copyable`: the compiler refuses a second owner), so an append is a capacity check and a
/// copy, and the base address, count and capacity sit in the value itself.
struct LineBytes: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Number of bytes.
    private(set) var count: Int

    /// Empty, with room for `capacity` bytes before it grows.
    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
        count = 0
    }

    deinit {
        base.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    /// The last byte, if any.
    var last: UInt8? { count > 0 ? base[count - 1] : nil }

    /// The bytes, read in place; valid only inside `body`.
    func withUnsafeBufferPointer<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// The bytes from `start` to the end as an array.
    func array(from start: Int = 0) -> [UInt8] {
        precondition(start >= 0 && start <= count, "LineBytes: start \(start) outside 0...\(count)")
        return Array(UnsafeBufferPointer(start: base + start, count: count - start))
    }

    // MARK: Writing

    /// Room for `extra` more bytes; returns where they go. The caller writes them and adds to
    /// `count` (see ``append(upTo:_:)``).
    @inline(__always)
    private mutating func reserve(_ extra: Int) -> UnsafeMutablePointer<UInt8> {
        if _slowPath(capacity - count < extra) { grow(extra) }
        return base + count
    }

    /// Room for `extra` more bytes: at least twice the old room, the bytes moved over.
    @inline(never)
    private mutating func grow(_ extra: Int) {
        let newCapacity = max(count + extra, capacity * 2)
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        fresh.initialize(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = newCapacity
    }

    /// Lets `write` put at most `maximum` bytes at the end in one go (digits written from the
    /// right, a number and its unit); it returns how many it wrote.
    @inline(__always)
    mutating func append(upTo maximum: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        let written = write(reserve(maximum))
        // Checked in release builds too: a writer past its bound would corrupt the heap
        // silently, and one compare per number is lost in the noise of rendering.
        precondition(written >= 0 && written <= maximum, "LineBytes: wrote \(written) of at most \(maximum) bytes")
        count += written
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1).initialize(to: byte)
        count += 1
    }

    /// Appends `length` bytes from `source`, which must not point into this buffer (it may move
    /// when growing).
    @inline(__always)
    mutating func append(_ source: UnsafePointer<UInt8>, count length: Int) {
        guard length > 0 else { return }
        reserve(length).initialize(from: source, count: length)
        count += length
    }

    /// Appends `length` bytes from `source` in 16-byte blocks, without a call to `memcpy`:
    /// `source` must be readable up to `length` rounded up to 16 (``RenderedBytes`` are padded
    /// so). The block may write past the new end; those bytes are not part of the buffer.
    @inline(__always)
    mutating func append(blocksFrom source: UnsafePointer<UInt8>, count length: Int) {
        let rounded = (length + 15) & ~15
        let target = UnsafeMutableRawPointer(reserve(rounded))
        let origin = UnsafeRawPointer(source)
        var offset = 0
        while offset < rounded {
            let block = origin.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self)
            target.storeBytes(of: block, toByteOffset: offset, as: SIMD16<UInt8>.self)
            offset += 16
        }
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

    mutating func append(contentsOf other: borrowing LineBytes) {
        append(other.base, count: other.count)
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
        count = 0
        if !keepingCapacity, capacity > 16 {
            base.deallocate()
            capacity = 16
            base = .allocate(capacity: capacity)
        }
    }
}

/// Bytes rendered once (a field's `"key":` or ` key=`) and copied into many lines.
///
/// The bytes are interned: each distinct run is allocated once, for the life of the process,
/// and never changes (the field tables hold a few kilobytes of them). So a value is a plain
/// pointer and count, and copying a key out of a field table into a line retains and releases
/// nothing, where an array of bytes cost a retain and a release per field. The memory is
/// padded with zeros to whole 16-byte blocks, which ``LineBytes/append(blocksFrom:count:)``
/// copies without a call.
struct RenderedBytes: @unchecked Sendable {  // points at interned bytes, never written or freed
    let start: UnsafePointer<UInt8>
    let count: Int

    private static let interned = Mutex<[[UInt8]: RenderedBytes]>([:])

    /// The interned copy of `bytes`.
    init(_ bytes: [UInt8]) {
        self = Self.interned.withLock { table in
            if let known = table[bytes] { return known }
            let padded = max(16, (bytes.count + 15) & ~15)
            let memory = UnsafeMutablePointer<UInt8>.allocate(capacity: padded)
            memory.initialize(from: bytes, count: bytes.count)
            (memory + bytes.count).initialize(repeating: 0, count: padded - bytes.count)
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
