#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Open file descriptors against the `RLIMIT_NOFILE` soft limit.
///
/// A job that leaks descriptors fails far from the leak, with `EMFILE` on some unrelated
/// `open` or `accept`; the count next to the limit shows the leak coming. Linux only for the
/// count (`/proc/self/fd`); the limit comes from `getrlimit` everywhere.
enum FileDescriptorUsage {
    /// Counts the entries of `procFDDirectory` (the process's own descriptor table) and reads
    /// the soft limit. `open` is `nil` when the directory cannot be listed, `softLimit` when
    /// there is none.
    static func sample(procFDDirectory: String = "/proc/self/fd") -> (open: UInt64?, softLimit: UInt64?) {
        (countDescriptors(in: procFDDirectory), softLimit())
    }

    private static func countDescriptors(in directory: String) -> UInt64? {
        guard let stream = opendir(directory) else { return nil }
        defer { closedir(stream) }
        // Listing the table opens a descriptor for the listing itself; it is not the job's.
        let own = dirfd(stream)
        var count: UInt64 = 0
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                // NULL is both the end and an error; only errno tells them apart.
                return errno == 0 ? count : nil
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                descriptorNumber(raw.prefix(while: { $0 != 0 }))
            }
            switch name {
            case .dot: continue
            case .number(let fd) where fd == own: continue
            case .number, .other: count += 1
            }
        }
    }

    private enum EntryName {
        case dot
        case number(Int32)
        case other
    }

    // Parsed from the bytes rather than through `String`: a leaking job may have thousands of
    // entries, and this runs on every heartbeat.
    private static func descriptorNumber(_ name: Slice<UnsafeRawBufferPointer>) -> EntryName {
        if name.first == UInt8(ascii: ".") { return .dot }
        var value: Int32 = 0
        for byte in name {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return .other }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int32(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return .other }
            value = sum
        }
        return name.isEmpty ? .other : .number(value)
    }

    private static func softLimit() -> UInt64? {
        var limits = rlimit()
        #if canImport(Glibc)
        let rc = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limits)
        #else
        let rc = getrlimit(RLIMIT_NOFILE, &limits)
        #endif
        #if canImport(Darwin)
        let infinity = rlim_t(Int64.max)  // Darwin's RLIM_INFINITY is 2^63 - 1, not all ones.
        #else
        let infinity = rlim_t.max
        #endif
        guard rc == 0, limits.rlim_cur != infinity else { return nil }
        return UInt64(limits.rlim_cur)
    }
}
