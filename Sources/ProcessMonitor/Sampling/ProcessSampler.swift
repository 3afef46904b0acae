#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the process's resources for a heartbeat. Injectable so tests can use fixtures.
///
/// ```swift
/// struct ConstantSampler: ProcessSampler {
///     func sample() -> ProcessSample { ProcessSample(cpuTime: .seconds(1)) }
/// }
/// ```
public protocol ProcessSampler: Sendable {
    /// Takes one reading. Called on the monitor's thread, never on a scope's.
    func sample() -> ProcessSample
}
