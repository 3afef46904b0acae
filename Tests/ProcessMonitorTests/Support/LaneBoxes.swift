import Dispatch
import Foundation
import Testing
import TestSupport

@testable import ProcessMonitor

/// Hands a thread's lane to the test that started the thread.
final class LaneBox: @unchecked Sendable {
    // @unchecked Sendable: written once by the thread before it signals, read after the wait.
    var lane: Lane?
}

/// Moves a guard between threads for the misuse test.
final class GuardBox: @unchecked Sendable {
    // @unchecked Sendable: accessed by one thread at a time, handed over by a semaphore.
    var scope: ScopeGuard?

    func endScope() {
        scope.take()?.end()
    }
}
