import Dispatch
import Foundation
import Testing
import TestSupport

@testable import ProcessMonitor

/// Snapshot helpers: tests run in parallel and share the process-wide registry, so each test
/// looks only at lanes carrying its own labels.
func openLanes() -> [(record: LaneRecord, label: String)] {
    let snapshot = Snapshotter().take()
    return snapshot.lanes.map { ($0, snapshot.resolve($0.label)) }
}

func lanes(labelled label: String) -> [LaneRecord] {
    openLanes().filter { $0.label == label }.map(\.record)
}
