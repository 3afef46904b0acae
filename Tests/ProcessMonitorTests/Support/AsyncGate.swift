import Foundation
import Testing

@testable import ProcessMonitor

/// Lets a test wait until every child has reached a point, then release them all.
actor AsyncGate {
    private let count: Int
    private var arrived = 0
    private var released = false
    private var arrivalWaiters: [CheckedContinuation<Void, Never>] = []
    private var releaseWaiters: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { self.count = count }

    func arrive() async {
        arrived += 1
        if arrived == count { arrivalWaiters.forEach { $0.resume() }; arrivalWaiters = [] }
        if released { return }
        await withCheckedContinuation { releaseWaiters.append($0) }
    }

    func waitForAll() async {
        if arrived >= count { return }
        await withCheckedContinuation { arrivalWaiters.append($0) }
    }

    func release() {
        released = true
        releaseWaiters.forEach { $0.resume() }
        releaseWaiters = []
    }
}
