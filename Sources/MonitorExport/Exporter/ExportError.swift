/// An error from an exporter: a bad limit, a path that cannot be opened, a bad flag value.
///
/// ```swift
/// do { _ = try FileSink(path: "/no/such/dir/log.jsonl") } catch { print(error) }
/// ```
public struct ExportError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of error this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: Hashable, Sendable {
            case invalidConfiguration
            case cannotOpen
            case invalidRecord
        }

        private let storage: Storage

        /// A limit or option is out of range.
        public static let invalidConfiguration = Code(storage: .invalidConfiguration)
        /// A destination could not be opened.
        public static let cannotOpen = Code(storage: .cannotOpen)
        /// A record could not be parsed.
        public static let invalidRecord = Code(storage: .invalidRecord)

        public var description: String {
            switch storage {
            case .invalidConfiguration: "invalid configuration"
            case .cannotOpen: "cannot open"
            case .invalidRecord: "invalid record"
            }
        }
    }

    /// The kind of error.
    public let code: Code
    /// A sentence naming what is wrong: the field and value, or the path and the reason.
    public let message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
