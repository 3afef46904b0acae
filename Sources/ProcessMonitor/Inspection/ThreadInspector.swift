#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One reading of a thread's `/proc/self/task/TID/{stat,syscall,wchan}`.
struct ThreadReading: Equatable {
    /// The system call the thread is in, as `syscall` shows it.
    enum Call: Equatable {
        /// `running`: user code, or on its way in or out of the kernel.
        case none
        /// Blocked in call `number` with these six arguments.
        case blocked(number: Int, arguments: [UInt64])
        /// The file was missing or unreadable (another OS, a hardened kernel).
        case unknown
    }

    /// `stat` field 3: `R`, `S`, `D`, `T`, `t`, `Z`, `X`, `I`, ...
    var state: Character?
    /// `utime + stime` in clock ticks.
    var cpuTicks: UInt64?
    var call: Call
    /// The kernel function it sleeps in; `nil` for `0` (running, or hidden by the kernel).
    var waitChannel: String?
}

/// Reads what a thread of this process is doing from `/proc/self/task/TID`, with no signal and
/// nothing on the thread's own path: the kernel answers for a thread of the reader's own
/// process without ptrace rights. Point `directory` at a fixture tree in tests.
///
/// A read costs a few microseconds per file; the monitor reads only stalled threads and those
/// about to be (capped per heartbeat), once a heartbeat.
struct ThreadInspector: Sendable {
    /// The process directory: `/proc/self`, or a fixture holding `task/TID/…` and `fd/N`.
    let directory: String
    let table: SyscallTable
    let clockTicksPerSecond: Int

    init(directory: String = "/proc/self", table: SyscallTable = .current, clockTicksPerSecond: Int? = nil) {
        self.directory = directory
        self.table = table
        self.clockTicksPerSecond = clockTicksPerSecond ?? ProcSelfSampler.systemClockTicksPerSecond
    }

    /// The thread's reading, or `nil` when it does not exist (it exited).
    func read(threadID: Int32) -> ThreadReading? {
        let base = directory + "/task/\(threadID)/"
        guard let stat = readSmallFile(base + "stat", limit: 4096) else { return nil }
        let (state, ticks) = Self.parseStat(stat)
        let call = readSmallFile(base + "syscall", limit: 512).map(Self.parseSyscall) ?? .unknown
        let wchan = readSmallFile(base + "wchan", limit: 256).flatMap(Self.parseWaitChannel)
        return ThreadReading(state: state, cpuTicks: ticks, call: call, waitChannel: wchan)
    }

    /// The thread's CPU time in clock ticks, or `nil` when it does not exist: `stat` only.
    func cpuTicks(threadID: Int32) -> UInt64? {
        readSmallFile(directory + "/task/\(threadID)/stat", limit: 4096).flatMap { Self.parseStat($0).1 }
    }

    /// What descriptor `fd` refers to (the target of `fd/N`: a path, `socket:[inode]`,
    /// `pipe:[inode]`), or `nil` when it is closed.
    func descriptorTarget(_ fd: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlink(directory + "/fd/\(fd)", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The activity a heartbeat reports for `reading`, with the CPU used since `previous` (the
    /// thread's ticks at an earlier monotonic time), over the window up to `now`.
    func activity(
        threadID: Int32, reading: ThreadReading, previous: (ticks: UInt64, at: UInt64)?, now: UInt64
    ) -> Heartbeat.ThreadActivity {
        var activity = Heartbeat.ThreadActivity(state: Self.state(reading.state), threadID: threadID)
        if case .blocked(let number, let arguments) = reading.call {
            activity.syscall = table.name(number)
            if table.entry(number)?.firstArgumentIsDescriptor == true, let first = arguments.first,
               first <= UInt64(Int32.max) {
                let fd = Int32(first)
                activity.fileDescriptor = fd
                activity.target = descriptorTarget(fd)
            }
        }
        if activity.state != .running { activity.waitChannel = reading.waitChannel }
        if let previous, let ticks = reading.cpuTicks, ticks >= previous.ticks, now > previous.at,
           clockTicksPerSecond > 0 {
            let windowMs = HeartbeatBuilder.milliseconds(from: previous.at, to: now)
            if windowMs > 0 {
                let cpuSeconds = Double(ticks - previous.ticks) / Double(clockTicksPerSecond)
                // A tick's rounding can put a busy thread a hair over one core.
                activity.cpuFraction = min(1, cpuSeconds / (Double(windowMs) / 1000))
                activity.cpuWindow = .milliseconds(windowMs)
            }
        }
        return activity
    }

    static func state(_ code: Character?) -> Heartbeat.ThreadActivity.State {
        switch code {
        case "R": .running
        case "S", "I", "P", "W", "K": .sleeping
        case "D": .diskWait
        case "T", "t": .stopped
        case "Z", "X", "x": .zombie
        default: .unknown
        }
    }

    /// Field 3 (state) and fields 14 + 15 (utime + stime) of `stat`. The second field, the
    /// thread's name in parentheses, may itself hold spaces and `)`: fields are counted after
    /// the *last* `)`.
    static func parseStat(_ text: String) -> (Character?, UInt64?) {
        guard let close = text.lastIndex(of: ")") else { return (nil, nil) }
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is field 3; utime is field 14, stime field 15.
        let state = fields.first.flatMap { $0.count == 1 ? $0.first : nil }
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else {
            return (state, nil)
        }
        let (sum, overflow) = user.addingReportingOverflow(system)
        return (state, overflow ? nil : sum)
    }

    /// `running`, or `NR arg1 … arg6 sp pc` in hex (`-1 sp pc` when blocked outside a call).
    static func parseSyscall(_ text: String) -> ThreadReading.Call {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard let first = words.first else { return .unknown }
        if first == "running" { return .none }
        guard let number = Int(first) else { return .unknown }
        if number < 0 { return .none }
        let arguments = words.dropFirst().prefix(6).map { word -> UInt64 in
            let digits = word.hasPrefix("0x") ? word.dropFirst(2) : word[...]
            return UInt64(digits, radix: 16) ?? 0
        }
        return .blocked(number: number, arguments: Array(arguments))
    }

    /// The kernel function in `wchan`, or `nil` for `0` or an empty file.
    static func parseWaitChannel(_ text: String) -> String? {
        let name = text.split(whereSeparator: { $0 == "\n" }).first.map(String.init) ?? ""
        return name.isEmpty || name == "0" ? nil : name
    }
}
