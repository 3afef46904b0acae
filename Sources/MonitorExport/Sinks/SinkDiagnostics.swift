#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ProcessMonitor

/// How a sink reports its own faults: where warnings go, how often, and which clock it reads.
///
/// A sink never throws or traps on the write path, so a disk that fills up would otherwise go
/// unnoticed; and a warning per dropped record would flood stderr with the very fault it
/// reports. Each sink therefore emits at most one warning per `warningInterval` and says how
/// many it held back. The clock is injectable so tests can step past the interval; file sinks
/// also use it to pace their check that the path still names their file.
///
/// ```swift
/// let logger = Logger(label: "heartbeat")
/// let diagnostics = SinkDiagnostics(warningInterval: .seconds(10)) { message in
///     logger.warning("\(message)")
/// }
/// let sink = try FileSink(path: "/var/log/job/heartbeat.jsonl", diagnostics: diagnostics)
/// ```
public struct SinkDiagnostics: Sendable {
    /// The shortest time between two warnings from one sink.
    package var warningInterval: Duration
    /// The sink's clock: for the warning interval and the once-a-second path check; tests
    /// stop it.
    package var now: @Sendable () -> ContinuousClock.Instant
    /// Receives each warning, without a trailing newline. Called outside the sink's lock, so it
    /// may log through the sink itself. A sink of your own calls it too, at most once in a
    /// while: it is not rate-limited for you.
    public package(set) var warn: @Sendable (String) -> Void

    /// Warnings to stderr, at most one a minute per sink, on the real clock.
    public static var standard: SinkDiagnostics { SinkDiagnostics() }

    /// Creates diagnostics; every argument has a production default.
    public init(
        warningInterval: Duration = .seconds(60),
        warn: @escaping @Sendable (String) -> Void = SinkDiagnostics.writeToStandardError
    ) {
        self.init(warningInterval: warningInterval, now: { ContinuousClock.now }, warn: warn)
    }

    /// Diagnostics on a clock of the caller's: a test's, which moves only when told.
    package init(
        warningInterval: Duration = .seconds(60),
        now: @escaping @Sendable () -> ContinuousClock.Instant,
        warn: @escaping @Sendable (String) -> Void = SinkDiagnostics.writeToStandardError
    ) {
        self.warningInterval = warningInterval
        self.now = now
        self.warn = warn
    }

    /// Writes `message` and a newline to stderr in one `write`, under the same lock as
    /// ``StandardStreamSink/standardError`` so a warning never lands inside a heartbeat line.
    public static let writeToStandardError: @Sendable (String) -> Void = { message in
        StandardStreamSink.standardError.writeUncounted(message)
    }
}
