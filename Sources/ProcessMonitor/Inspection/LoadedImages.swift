#if os(Linux) && canImport(Glibc) && (arch(x86_64) || arch(arm64))
import Foundation
import Glibc
import Runtime

/// The images (executable and shared libraries) the dynamic loader has loaded, as a `Runtime`
/// `ImageMap`, for symbolication.
///
/// Why not `ImageMap.capture()`: on Linux it reads `/proc/self/maps` and takes, per file path,
/// the lowest and highest address of *every* mapping of that file, as the image. The symbolicator
/// itself maps library files (and their `.debug` files) into memory to read their symbol tables,
/// so once it has symbolicated anything in `libc.so.6`, the next `capture()` stretches libc's
/// image down to that read-only copy, computes libc's text from the wrong base, and every libc
/// frame reads "no image" (seen here in most captures after the first, always under load).
/// The loader's own list (`dl_iterate_phdr`) has exactly the loaded images and their load
/// addresses. `ImageMap` has no public initializer, but it is `Codable` as the documented
/// Compact ImageMap Format (swiftlang/swift docs/CompactImageMapFormat.md); this toolchain
/// writes the platform name after the information byte, which the document does not show yet.
/// So the images are written in that format and decoded, and the result is checked against what
/// was written; if a future toolchain reads the bytes differently, `capture()` is used instead.
enum LoadedImages {
    /// One loaded image, as `Runtime` describes it: `base` is the lowest address the image
    /// occupies (its ELF header), `endOfText` the end of its last executable segment.
    struct Image: Equatable {
        var path: String
        var base: UInt64
        var endOfText: UInt64
    }

    /// The loaded images as an `ImageMap`.
    static func imageMap() -> ImageMap {
        let images = list()
        if let map = decode(images), matches(map, images) { return map }
        return ImageMap.capture()
    }

    /// `int dl_iterate_phdr(int (*callback)(struct dl_phdr_info *, size_t, void *), void *data)`,
    /// which Swift's Glibc module does not export.
    private typealias IterateFunction = @convention(c) (
        @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Int32,
        UnsafeMutableRawPointer?
    ) -> Int32

    private static let iterate: IterateFunction? = dlsym(nil, "dl_iterate_phdr").map { unsafeBitCast($0, to: IterateFunction.self) }

    /// Collects images inside the loader's callback (which holds the loader's lock: no `dlopen`).
    private final class Collector {
        var images: [Image] = []
        let executablePath: String

        init(executablePath: String) { self.executablePath = executablePath }
    }

    /// The loader's images, sorted by base address. The vDSO and anything else without a file
    /// path are left out, as `Runtime` leaves them out.
    static func list() -> [Image] {
        guard let iterate else { return [] }
        let executablePath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let collector = Collector(executablePath: executablePath)
        let context = Unmanaged.passUnretained(collector).toOpaque()
        _ = withExtendedLifetime(collector) {
            iterate({ info, _, context in
                guard let info, let context else { return 0 }
                let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
                if let image = LoadedImages.image(from: UnsafeRawPointer(info), executablePath: collector.executablePath) {
                    collector.images.append(image)
                }
                return 0
            }, context)
        }
        return collector.images.sorted { $0.base < $1.base }
    }

    /// One `struct dl_phdr_info` (glibc, 64-bit: `dlpi_addr` at 0, `dlpi_name` at 8, `dlpi_phdr`
    /// at 16, `dlpi_phnum` at 24) with its `Elf64_Phdr` table (56 bytes each: `p_type` at 0,
    /// `p_flags` at 4, `p_vaddr` at 16, `p_memsz` at 40).
    private static func image(from info: UnsafeRawPointer, executablePath: String) -> Image? {
        let loadBias = info.load(fromByteOffset: 0, as: UInt64.self)
        let namePointer = info.load(fromByteOffset: 8, as: UnsafePointer<CChar>?.self)
        guard let headers = info.load(fromByteOffset: 16, as: UnsafeRawPointer?.self) else { return nil }
        let count = Int(info.load(fromByteOffset: 24, as: UInt16.self))
        let name = namePointer.map { String(cString: $0) } ?? ""
        // The executable is the image with an empty name.
        let path = name.isEmpty ? executablePath : name
        guard path.hasPrefix("/") else { return nil }

        let load: UInt32 = 1          // PT_LOAD
        let executable: UInt32 = 1    // PF_X
        var lowest = UInt64.max
        var textEnd: UInt64 = 0
        for index in 0..<count {
            let header = headers + index * 56
            guard header.load(fromByteOffset: 0, as: UInt32.self) == load else { continue }
            let vaddr = header.load(fromByteOffset: 16, as: UInt64.self)
            let memsz = header.load(fromByteOffset: 40, as: UInt64.self)
            lowest = min(lowest, vaddr)
            if header.load(fromByteOffset: 4, as: UInt32.self) & executable != 0 {
                textEnd = max(textEnd, vaddr &+ memsz)
            }
        }
        guard lowest != .max, textEnd > 0 else { return nil }
        // `Runtime` takes the image's lowest mapped page as its base and measures the text from
        // there (getElfImageInfo: base + p_vaddr + p_memsz); do the same.
        let pageSize = UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 4096))
        let base = (loadBias &+ lowest) & ~(pageSize - 1)
        return Image(path: path, base: base, endOfText: base &+ textEnd)
    }

    /// Compact ImageMap Format, version 0, 64-bit, as this toolchain reads it: the information
    /// byte, the platform name, the image count, then per image a header byte (absolute, 8-byte
    /// base, 8-byte end-of-text offset), the base, the offset, no build ID, and the path as raw
    /// string chunks of at most 63 bytes ended by a zero byte. Counts are 7-bit groups, most
    /// significant first, the top bit set on all but the last.
    static func compactImageMapFormat(_ images: [Image], platform: String) -> [UInt8] {
        var bytes: [UInt8] = [0x02]
        appendCount(platform.utf8.count, to: &bytes)
        bytes.append(contentsOf: platform.utf8)
        appendCount(images.count, to: &bytes)
        for image in images {
            bytes.append(0x3F)     // r = 0, acount = 7 (8 bytes), ecount = 7 (8 bytes)
            appendBigEndian(image.base, to: &bytes)
            appendBigEndian(image.endOfText &- image.base, to: &bytes)
            bytes.append(0)        // no build ID
            var path = Array(image.path.utf8)[...]
            while !path.isEmpty {
                let chunk = path.prefix(63)
                bytes.append(UInt8(chunk.count))
                bytes.append(contentsOf: chunk)
                path = path.dropFirst(chunk.count)
            }
            bytes.append(0)        // end of path
        }
        return bytes
    }

    private static func appendCount(_ count: Int, to bytes: inout [UInt8]) {
        var groups: [UInt8] = [UInt8(count & 0x7F)]
        var rest = count >> 7
        while rest > 0 {
            groups.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(contentsOf: groups.reversed())
    }

    private static func appendBigEndian(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    /// The platform name `Runtime` puts in its image maps, read once.
    private static let platform = ImageMap.capture().platform

    /// `images` as an `ImageMap`, through its `Codable` form (a base64 string).
    static func decode(_ images: [Image]) -> ImageMap? {
        let encoded = Data(compactImageMapFormat(images, platform: platform)).base64EncodedString()
        guard let json = try? JSONEncoder().encode(encoded) else { return nil }
        return try? JSONDecoder().decode(ImageMap.self, from: json)
    }

    /// Whether `map` holds exactly `images`.
    static func matches(_ map: ImageMap, _ images: [Image]) -> Bool {
        guard map.count == images.count, !images.isEmpty else { return false }
        return zip(map, images).allSatisfy { decoded, image in
            decoded.path == image.path && UInt64(decoded.baseAddress) == image.base
                && UInt64(decoded.endOfText) == image.endOfText
        }
    }
}
#endif
