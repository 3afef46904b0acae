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


/// A `write(2)` stand-in that behaves like a disk filling up in the middle of chosen records:
/// the kernel takes the first `keep` bytes of such a record, then refuses the rest with
/// ENOSPC. Every other write goes to the real `write(2)`.
final class ShortWriter: Sendable {
    private struct State {
        var refuseNext = false
        var shortWrites = 0
    }

    private let state = LockedValue(State())
    private let keep: Int
    private let shortens: @Sendable (String) -> Bool

    /// `shortens` sees each write's bytes as text and says whether the disk fills during it.
    init(keep: Int, shortens: @escaping @Sendable (String) -> Bool) {
        self.keep = keep
        self.shortens = shortens
    }

    /// How many records were cut short.
    var shortWrites: Int { state.withLock { $0.shortWrites } }

    var call: @Sendable (Int32, UnsafeRawPointer, Int) -> (result: Int, error: Int32) {
        { [self] descriptor, bytes, count in
            if state.withLock({ state in defer { state.refuseNext = false }; return state.refuseNext }) {
                return (-1, ENOSPC)
            }
            let text = String(decoding: UnsafeRawBufferPointer(start: bytes, count: count), as: UTF8.self)
            if shortens(text), count > keep {
                state.withLock {
                    $0.refuseNext = true
                    $0.shortWrites += 1
                }
                return (write(descriptor, bytes, keep), 0)
            }
            let result = write(descriptor, bytes, count)
            return (result, result < 0 ? errno : 0)
        }
    }
}
