#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits until `condition` holds, checking it every millisecond, and gives up only after
/// `bound`: a bound generous enough (two minutes by default) that a loaded machine never hits
/// it, so a test that waits on a condition never fails for being slow, only for being wrong.
///
/// ```swift
/// #expect(waitUntil { recorder.heartbeats.count >= 3 })
/// ```
package func waitUntil(atMost bound: Duration = .seconds(120), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + bound
    while !condition() {
        if ContinuousClock.now >= deadline { return condition() }
        usleep(1000)
    }
    return true
}

/// `async` form of ``waitUntil(atMost:_:)``: sleeps between checks instead of blocking a thread.
///
/// ```swift
/// #expect(await waitUntil { monitor.isRunning })
/// ```
package func waitUntil(atMost bound: Duration = .seconds(120), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + bound
    while !condition() {
        if ContinuousClock.now >= deadline { return condition() }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return true
}
