#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ProcessMonitor

/// One sink's rate limiter over its ``SinkDiagnostics``.
// @unchecked Sendable: the mutable fields are only touched while `lock` is held.
package final class WarningLimiter: @unchecked Sendable {
    private let diagnostics: SinkDiagnostics
    private let lock = PosixLock()
    private var lastWarning: ContinuousClock.Instant?
    private var held = 0

    package init(_ diagnostics: SinkDiagnostics) {
        self.diagnostics = diagnostics
    }

    /// Passes `message` on unless this sink warned less than an interval ago; a held-back
    /// warning is counted and the count is reported with the next one that goes out.
    ///
    /// Call it without holding the sink's own lock: a handler that logs back into the same
    /// sink must not deadlock.
    package func warn(_ message: String) {
        let now = diagnostics.now()
        lock.lock()
        if let lastWarning, lastWarning + diagnostics.warningInterval > now {
            held += 1
            lock.unlock()
            return
        }
        let heldBack = held
        held = 0
        lastWarning = now
        lock.unlock()
        if heldBack > 0 {
            diagnostics.warn("\(message) (\(heldBack) more warning\(heldBack == 1 ? "" : "s") from this sink held back)")
        } else {
            diagnostics.warn(message)
        }
    }

    /// The sink's clock, shared so file sinks pace their path checks on the same time line.
    var now: ContinuousClock.Instant { diagnostics.now() }
}
