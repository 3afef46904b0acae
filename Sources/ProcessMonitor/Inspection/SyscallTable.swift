/// The system calls a stalled thread is most often found in, by number, for the two
/// architectures Swift on Linux runs on. The numbers differ between them (x86-64 keeps its
/// historical table, arm64 uses the generic one), so each has its own column; a number not
/// listed is shown as `syscall_N`.
///
/// Each entry says whether its first argument is a file descriptor, so the heartbeat can name
/// what a thread waits on (`read fd=7 target="socket:[4711]"`).
struct SyscallTable: Sendable {
    struct Entry: Sendable, Equatable {
        var name: String
        /// The first argument is a descriptor (read, write, recvfrom, accept, fsync, ...).
        var firstArgumentIsDescriptor: Bool
    }

    private let entries: [Int: Entry]
    /// The architecture's name, for messages and tests.
    let architecture: String

    /// The table of the architecture this process runs on; empty where it is neither.
    static var current: SyscallTable {
        #if arch(x86_64)
        return .x86_64
        #elseif arch(arm64)
        return .arm64
        #else
        return SyscallTable(architecture: "unknown", entries: [:])
        #endif
    }

    private init(architecture: String, entries: [Int: Entry]) {
        self.architecture = architecture
        self.entries = entries
    }

    /// The call's name and whether it takes a descriptor first, or `nil` when not listed.
    func entry(_ number: Int) -> Entry? { entries[number] }

    /// The call's name, or `syscall_N` for one not listed.
    func name(_ number: Int) -> String { entries[number]?.name ?? "syscall_\(number)" }

    // (name, x86-64 number, arm64 number, first argument is a descriptor); from the kernel's
    // `asm/unistd_64.h` and `asm-generic/unistd.h`. `-1`: the call does not exist there.
    private static let rows: [(String, Int, Int, Bool)] = [
        ("read", 0, 63, true), ("write", 1, 64, true), ("close", 3, 57, true), ("lseek", 8, 62, true),
        ("poll", 7, -1, false), ("ppoll", 271, 73, false), ("select", 23, -1, false), ("pselect6", 270, 72, false),
        ("readv", 19, 65, true), ("writev", 20, 66, true), ("pread64", 17, 67, true), ("pwrite64", 18, 68, true),
        ("preadv", 295, 69, true), ("pwritev", 296, 70, true), ("preadv2", 327, 286, true), ("pwritev2", 328, 287, true),
        ("sendfile", 40, 71, true), ("splice", 275, 76, true), ("copy_file_range", 326, 285, true),
        ("nanosleep", 35, 101, false), ("clock_nanosleep", 230, 115, false), ("pause", 34, -1, false),
        ("sched_yield", 24, 124, false), ("futex", 202, 98, false), ("futex_waitv", 449, 449, false),
        ("epoll_wait", 232, -1, true), ("epoll_pwait", 281, 22, true), ("epoll_pwait2", 441, 441, true),
        ("accept", 43, 202, true), ("accept4", 288, 242, true), ("connect", 42, 203, true),
        ("sendto", 44, 206, true), ("recvfrom", 45, 207, true), ("sendmsg", 46, 211, true), ("recvmsg", 47, 212, true),
        ("recvmmsg", 299, 243, true), ("sendmmsg", 307, 269, true),
        ("wait4", 61, 260, false), ("waitid", 247, 95, false), ("flock", 73, 32, true), ("fcntl", 72, 25, true),
        ("fsync", 74, 82, true), ("fdatasync", 75, 83, true), ("sync", 162, 81, false), ("msync", 26, 227, false),
        ("io_getevents", 208, 4, false), ("io_uring_enter", 426, 426, true), ("msgrcv", 70, 188, false),
        ("semtimedop", 220, 192, false), ("mq_timedreceive", 243, 183, true),
        ("rt_sigsuspend", 130, 133, false), ("rt_sigtimedwait", 128, 137, false),
        ("open", 2, -1, false), ("openat", 257, 56, false), ("getrandom", 318, 278, false),
    ]

    /// The x86-64 table.
    static let x86_64 = SyscallTable(
        architecture: "x86_64",
        entries: Dictionary(uniqueKeysWithValues: rows.filter { $0.1 >= 0 }.map { ($0.1, Entry(name: $0.0, firstArgumentIsDescriptor: $0.3)) })
    )

    /// The arm64 (aarch64) table.
    static let arm64 = SyscallTable(
        architecture: "arm64",
        entries: Dictionary(uniqueKeysWithValues: rows.filter { $0.2 >= 0 }.map { ($0.2, Entry(name: $0.0, firstArgumentIsDescriptor: $0.3)) })
    )
}
