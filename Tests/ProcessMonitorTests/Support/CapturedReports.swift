import Foundation
import ProcessMonitorTesting
import Synchronization
import Testing
import TestSupport

@testable import ProcessMonitor

/// Collects a monitor's own warnings instead of printing them.
final class CapturedReports: Sendable {
    private let kept = LockedValue<[String]>([])

    var lines: [String] { kept.withLock { $0 } }

    var append: @Sendable (String) -> Void {
        { [kept] line in kept.withLock { $0.append(line) } }
    }
}
