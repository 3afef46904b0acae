import Dispatch
#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// A signal that asks a monitor for a heartbeat now: `kill -USR1 <pid>`, the way an operator
/// checks on a long job. Made by ``ProcessMonitor/emitOnSignal(_:)``; cancel it (or stop the
/// monitor) to give the signal back.
///
/// The signal is received through a `DispatchSource`, never a raw signal handler: the heartbeat
/// is built on a dispatch thread, where taking locks and allocating is safe. While it is active
/// the signal's own disposition is "ignore" (a `DispatchSource` needs that, or the default action
/// would end the process); cancelling restores what it was before.
///
/// ```swift
/// let onDemand = try monitor.emitOnSignal(SIGUSR1)
/// // ...
/// onDemand.cancel()
/// ```
// @unchecked Sendable: `source` is set once in init and then only cancelled, which Dispatch
// allows from any thread; `cancelled` is locked, and `previous` is immutable.
public final class HeartbeatSignal: @unchecked Sendable {
    /// The signal number.
    public let signal: Int32
    private let source: any DispatchSourceSignal
    private let cancelled = LockedValue(false)
    private let previous: sigaction

    init(signal: Int32, previous: sigaction, monitor: ProcessMonitor) {
        self.signal = signal
        self.previous = previous
        source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
        source.setEventHandler { [weak monitor] in
            _ = monitor?.emitNow()
        }
        source.resume()
    }

    /// Stops listening and restores the signal's previous disposition; safe to call more than once.
    public func cancel() {
        let first = cancelled.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        source.cancel()
        var restored = previous
        sigaction(signal, &restored, nil)
    }

    deinit { cancel() }
}

extension ProcessMonitor {
    /// Emits a heartbeat each time the process receives `signal` (default `SIGUSR1`), until the
    /// returned ``HeartbeatSignal`` is cancelled or released. Opt-in: nothing listens unless
    /// you call this.
    ///
    /// A signal the host already handles is left alone: when `signal` has a handler, or is one
    /// the monitor must not take (`SIGKILL`, `SIGSTOP`, `SIGSEGV`, `SIGBUS`, `SIGFPE`, `SIGILL`,
    /// `SIGABRT`, `SIGPIPE`, out of range), this throws and changes nothing. A signal at its
    /// default action or ignored is taken, and its disposition restored on cancel.
    ///
    /// - Throws: ``MonitorError`` with code ``MonitorError/Code/invalidConfiguration``, naming
    ///   the signal and why.
    public func emitOnSignal(_ signal: Int32 = SIGUSR1) throws(MonitorError) -> HeartbeatSignal {
        let refused: Set<Int32> = [SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGPIPE]
        guard signal > 0, signal < 65, !refused.contains(signal) else {
            throw MonitorError(code: .invalidConfiguration, field: "signal",
                               message: "signal \(signal) cannot carry heartbeat requests (use SIGUSR1 or SIGUSR2)")
        }
        var current = sigaction()
        guard sigaction(signal, nil, &current) == 0 else {
            throw MonitorError(code: .invalidConfiguration, field: "signal", message: "signal \(signal) cannot be inspected")
        }
        let handler = unsafeBitCast(current.handler, to: Int.self)
        let defaultAction = unsafeBitCast(SIG_DFL, to: Int.self)
        let ignore = unsafeBitCast(SIG_IGN, to: Int.self)
        guard handler == defaultAction || handler == ignore else {
            throw MonitorError(code: .invalidConfiguration, field: "signal",
                               message: "signal \(signal) already has a handler in this process; it is left alone (pick another signal)")
        }
        var ignoring = sigaction()
        ignoring.handler = SIG_IGN
        sigaction(signal, &ignoring, nil)
        return HeartbeatSignal(signal: signal, previous: current, monitor: self)
    }
}

extension sigaction {
    /// The plain handler, wherever the platform keeps it.
    fileprivate var handler: (@convention(c) (Int32) -> Void)? {
        get {
            #if os(Linux)
            __sigaction_handler.sa_handler
            #else
            __sigaction_u.__sa_handler
            #endif
        }
        set {
            #if os(Linux)
            __sigaction_handler.sa_handler = newValue
            #else
            __sigaction_u.__sa_handler = newValue
            #endif
        }
    }
}
