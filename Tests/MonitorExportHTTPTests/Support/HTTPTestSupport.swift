import Dispatch
import Foundation
import MonitorExport
@testable import MonitorExportHTTP
import ProcessMonitor
import Testing

/// A transport that answers from a script, records every attempt, and can hold attempts until
/// released (a server that hangs) or until `cancelAll()`.
final class ScriptedTransport: HTTPTransport {
    private struct State {
        var posts: [HTTPPostRequest] = []
        var cancelled = false
        var held = false
    }

    private let state = LockedValue(State())
    private let answer: @Sendable (HTTPPostRequest, Int) -> HTTPOutcome

    /// `answer` gets the request and the zero-based index of this attempt among all attempts.
    init(holding: Bool = false, _ answer: @escaping @Sendable (HTTPPostRequest, Int) -> HTTPOutcome = { _, _ in .ok }) {
        self.answer = answer
        state.withLock { $0.held = holding }
    }

    func post(_ request: HTTPPostRequest, timeout: Duration) -> HTTPOutcome {
        let index: Int = state.withLock {
            $0.posts.append(request)
            return $0.posts.count - 1
        }
        while state.withLock({ $0.held && !$0.cancelled }) { usleep(500) }
        if state.withLock({ $0.cancelled }) { return .failed(reason: "cancelled", retryable: true) }
        return answer(request, index)
    }

    func cancelAll() { state.withLock { $0.cancelled = true } }

    /// Lets held attempts (and later ones) through.
    func release() { state.withLock { $0.held = false } }

    var posts: [HTTPPostRequest] { state.withLock { $0.posts } }
    var wasCancelled: Bool { state.withLock { $0.cancelled } }
}

extension HTTPOutcome {
    static let ok = HTTPOutcome.response(status: 200, retryAfter: nil, body: Data("{}".utf8))
    static func status(_ code: Int, retryAfter: String? = nil) -> HTTPOutcome {
        .response(status: code, retryAfter: retryAfter, body: Data())
    }
}

/// A clock that moves only when the queue sleeps, recording each sleep.
final class ManualTiming: Sendable {
    private let state: LockedValue<(now: ContinuousClock.Instant, sleeps: [Duration])>
    let wallStart = Date(timeIntervalSince1970: 1_800_000_000)
    let randomDraw: Double

    init(random: Double = 0) {
        state = LockedValue((ContinuousClock.now, []))
        randomDraw = random
    }

    var timing: HTTPPostQueue.Timing {
        let start = state.withLock { $0.now }
        return HTTPPostQueue.Timing(
            now: { [state] in state.withLock { $0.now } },
            wallNow: { [state, wallStart] in wallStart + start.duration(to: state.withLock { $0.now }).secondsAsDouble },
            random: { [randomDraw] in randomDraw },
            sleep: { [state] duration in
                state.withLock {
                    $0.now += duration
                    $0.sleeps.append(duration)
                }
            }
        )
    }

    var sleeps: [Duration] { state.withLock { $0.sleeps } }
}

/// Collects warnings instead of printing them.
final class WarningRecorder: Sendable {
    private let messages = LockedValue<[String]>([])

    var diagnostics: SinkDiagnostics {
        SinkDiagnostics(warningInterval: .zero, warn: { [messages] message in messages.withLock { $0.append(message) } })
    }

    var all: [String] { messages.withLock { $0 } }
}

func request(_ number: Int, path: String = "/v1/logs") -> HTTPPostRequest {
    HTTPPostRequest(url: URL(string: "http://127.0.0.1:4318\(path)")!, body: Data("{\"n\":\(number)}".utf8))
}

/// A scheduled heartbeat whose figures follow from its sequence number.
func heartbeat(_ sequence: UInt64, trigger: Heartbeat.Trigger = .scheduled) -> Heartbeat {
    Heartbeat(
        sequence: sequence, timestamp: Date(timeIntervalSince1970: 1_714_564_800 + Double(sequence)), trigger: trigger,
        processID: 99, elapsed: .seconds(Int64(sequence)), resources: ResourceUsage(rssBytes: 1 << 20, threads: 3),
        cpu: CPUUsage(), instrumentedLanes: 0, active: nil, stalls: [], phases: [], omittedPhases: 0,
        stallThreshold: .seconds(120)
    )
}
