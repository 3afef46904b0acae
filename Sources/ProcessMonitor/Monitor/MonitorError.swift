/// An error from the monitor: a bad configuration value, or a monitor started twice.
///
/// The message names the field and the bad value, so it can go straight into a log.
///
/// ```swift
/// do {
///     try MonitorConfiguration(interval: .zero).validate()
/// } catch {
///     print(error)  // invalid configuration: interval must be ... (got 0 seconds)
/// }
/// ```
public struct MonitorError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of error this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: Hashable, Sendable {
            case invalidConfiguration
            case alreadyRunning
        }

        private let storage: Storage

        /// A configuration field is zero, negative or absurd.
        public static let invalidConfiguration = Code(storage: .invalidConfiguration)
        /// ``ProcessMonitor/start(configuration:observers:)`` was called while one runs.
        public static let alreadyRunning = Code(storage: .alreadyRunning)

        public var description: String {
            switch storage {
            case .invalidConfiguration: "invalid configuration"
            case .alreadyRunning: "already running"
            }
        }
    }

    /// The kind of error.
    public let code: Code
    /// The configuration field at fault, for ``Code/invalidConfiguration``.
    public let field: String?
    /// A sentence naming what is wrong and the bad value.
    public let message: String

    /// Creates an error.
    public init(code: Code, field: String? = nil, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
