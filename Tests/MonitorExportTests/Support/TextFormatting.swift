import Foundation
@testable import MonitorExport
import ProcessMonitor

/// The seed's value renderers as strings, for tests that compare one value's text with what
/// rustc printed: each renders into a ``LineBuffer`` exactly as a line would.
enum TextFormatting {
    static func duration(_ value: Duration) -> String { render { $0.appendDuration(value) } }
    static func bytes(_ value: UInt64?) -> String { render { $0.appendBytes(value) } }
    static func fixed(_ value: Double, fractionDigits: Int) -> String {
        render { $0.appendFixed(value, fractionDigits: fractionDigits) }
    }
    static func progress(current: UInt64, total: UInt64) -> String {
        render { $0.appendProgress(current: current, total: total) }
    }
    static func cpu(_ value: CPUUsage) -> String { render { $0.appendCPU(value) } }
    static func debugQuoted(_ label: String) -> String { render { $0.appendDebugQuoted(label) } }
    static func laneText(_ text: String) -> String { render { $0.appendLaneText(text) } }

    private static func render(_ body: (inout LineBuffer) -> Void) -> String {
        var buffer = LineBuffer(capacity: 32)
        body(&buffer)
        return buffer.text
    }
}
