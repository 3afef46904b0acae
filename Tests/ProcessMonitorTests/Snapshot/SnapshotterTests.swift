import Dispatch
import Foundation
import Testing
import TestSupport

@testable import ProcessMonitor

/// A monitor keeps one snapshotter, which copies the registry's list only when it changed:
/// a lane that joins or leaves between two of its snapshots must still show up, or go.
@Suite struct SnapshotterTests {
    @Test func oneSnapshotterSeesLanesThatJoinAndLeaveBetweenSnapshots() {
        let snapshotter = Snapshotter()
        let label = "snapshotter-reuse-\(UUID())"
        func shown() -> Int {
            let snapshot = snapshotter.take()
            return snapshot.lanes.filter { snapshot.resolve($0.label) == label }.count
        }
        func registered(_ lane: Lane?) -> Bool {
            var all: [Lane] = []
            LaneRegistry.shared.lanes(into: &all)
            return all.contains { $0 === lane }
        }
        #expect(shown() == 0)
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let box = LaneBox()
        let thread = Thread {
            let lane = currentThreadLane()
            box.lane = lane
            // Never popped: the thread exits with the frame open, so only retirement hides it.
            lane.push(string: label)
            inside.signal()
            release.wait()
        }
        thread.start()
        inside.wait()
        #expect(shown() == 1, "a new thread's lane joined the list")
        #expect(shown() == 1, "and stays in it")
        release.signal()
        #expect(waitUntil { !registered(box.lane) })
        #expect(shown() == 0, "the retired lane left the list, open frame and all")
    }

    @Test func oneSnapshotterSeesAThreadRenamedBetweenSnapshots() {
        let snapshotter = Snapshotter()
        let label = "snapshotter-rename-\(UUID())"
        func names() -> [String?] {
            let snapshot = snapshotter.take()
            return snapshot.lanes.filter { snapshot.resolve($0.label) == label }.map(\.id.name)
        }
        _ = names()
        let renamed = DispatchSemaphore(value: 0)
        let checked = DispatchSemaphore(value: 0)
        let inside = DispatchSemaphore(value: 0)
        let thread = Thread {
            nameCurrentThread("before")
            withScope(label: label) {
                inside.signal()
                checked.wait()
                nameCurrentThread("after")
                renamed.signal()
                checked.wait()
            }
        }
        thread.start()
        inside.wait()
        #expect(names() == ["before"])
        checked.signal()
        renamed.wait()
        #expect(names() == ["after"], "a rename changes the list the snapshotter keeps")
        checked.signal()
    }
}
