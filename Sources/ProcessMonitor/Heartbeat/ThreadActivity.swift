extension Heartbeat {
    /// What the thread under a stalled scope is doing, read from `/proc/self/task/TID` without a
    /// signal: its scheduler state, the system call it is blocked in and on which descriptor, the
    /// kernel function it sleeps in, and how much CPU it used over the last window.
    ///
    /// That is the *why* of a stall: `running` at ~100 % CPU is an endless loop; `sleeping` in
    /// `futex` is a lock or a condition variable; `sleeping` in `read` on `socket:[…]` is a peer
    /// that does not answer; `disk-wait` is storage. An `async` task's scopes have no thread while
    /// the task is suspended: its stall says ``State/suspended`` and the scope stack says where.
    ///
    /// ```swift
    /// for stall in heartbeat.stalls {
    ///     if let thread = stall.thread, thread.state == .running, (thread.cpuFraction ?? 0) > 0.9 {
    ///         print("\(stall.label) is spinning")
    ///     }
    /// }
    /// ```
    public struct ThreadActivity: Sendable, Equatable {
        /// A thread's scheduler state (`/proc/…/stat` field 3), or a task's lack of one.
        public enum State: String, Sendable, Equatable, CaseIterable {
            /// On a CPU or ready to run (`R`).
            case running
            /// Waiting in an interruptible sleep: a lock, a condition, I/O, a timer (`S`).
            case sleeping
            /// Waiting uninterruptibly, nearly always for storage (`D`).
            case diskWait = "disk-wait"
            /// Stopped by a signal or a debugger (`T`, `t`).
            case stopped
            /// Exited, not yet reaped (`Z`, `X`).
            case zombie
            /// An `async` task suspended at an `await`: no thread runs it.
            case suspended
            /// A state this version does not know, or the thread could not be read.
            case unknown
        }

        /// The scheduler state.
        public var state: State
        /// The kernel thread id (`gettid()`), for `top -H`, `gdb` or `py-spy`-style tools; `nil` for a
        /// suspended task.
        public var threadID: Int32?
        /// The system call the thread is in (`read`, `futex`, `clock_nanosleep`, or `syscall_N` for
        /// one this version does not name); `nil` when it is running user code or unknown.
        public var syscall: String?
        /// The descriptor that call works on, when its first argument is one.
        public var fileDescriptor: Int32?
        /// What that descriptor is: a path, `socket:[inode]`, `pipe:[inode]`,
        /// `anon_inode:[eventpoll]`.
        public var target: String?
        /// The kernel function the thread sleeps in (`/proc/…/wchan`, e.g. `pipe_read`,
        /// `futex_wait_queue`); `nil` when running or when the kernel hides it.
        public var waitChannel: String?
        /// The thread's CPU time over ``cpuWindow`` divided by that window (1.0 = one whole core);
        /// `nil` when there is no earlier reading to compare with.
        public var cpuFraction: Double?
        /// The window ``cpuFraction`` was measured over.
        public var cpuWindow: Duration?

        /// Creates a thread-activity value.
        public init(
            state: State,
            threadID: Int32? = nil,
            syscall: String? = nil,
            fileDescriptor: Int32? = nil,
            target: String? = nil,
            waitChannel: String? = nil,
            cpuFraction: Double? = nil,
            cpuWindow: Duration? = nil
        ) {
            self.state = state
            self.threadID = threadID
            self.syscall = syscall
            self.fileDescriptor = fileDescriptor
            self.target = target
            self.waitChannel = waitChannel
            self.cpuFraction = cpuFraction
            self.cpuWindow = cpuWindow
        }

        /// A suspended `async` task's activity: no thread.
        public static let suspended = ThreadActivity(state: .suspended)
    }
}
