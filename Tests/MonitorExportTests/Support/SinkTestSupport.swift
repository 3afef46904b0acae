import Foundation
import MonitorExport
import ProcessMonitor

#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory per test, removed when the value goes out of scope via `cleanup()`.
struct SinkTempDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/sink-test-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ExportError(code: .cannotOpen, message: "mkdtemp failed: errno \(errno)")
        }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Collects every warning a sink emits.
final class CapturedWarnings: Sendable {
    private let storage = LockedValue<[String]>([])
    var messages: [String] { storage.withLock { $0 } }
    func append(_ message: String) { storage.withLock { $0.append(message) } }
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current = LockedValue(ContinuousClock.now)
    func advance(by duration: Duration) { current.withLock { $0 = $0 + duration } }
    var now: ContinuousClock.Instant { current.withLock { $0 } }
}

/// Diagnostics that capture warnings and read `clock`.
func testDiagnostics(
    _ warnings: CapturedWarnings, clock: ManualClock = ManualClock(), interval: Duration = .seconds(60)
) -> SinkDiagnostics {
    SinkDiagnostics(warningInterval: interval, now: { clock.now }, warn: { warnings.append($0) })
}

func contents(of path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

func exists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

func line(_ text: String) -> RenderedLine { RenderedLine(text: text, level: .info) }

