/// Names a lane: one thread's or one task's stack of scopes.
///
/// Threads read like Rust's `ThreadId(N)`, with `/name` when the thread has a name; tasks read
/// `TaskId(N)`, with `/name` for a named task. `N` counts from 1 in order of first use.
/// Lanes order by kind (threads first), then numerically by `N`.
///
/// ```swift
/// print(LaneID.thread(1, name: "main"))  // ThreadId(1)/main
/// print(LaneID.task(12))                 // TaskId(12)
/// ```
public struct LaneID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Whether the lane is a thread's or a task's.
    public enum Kind: String, Sendable, Hashable, Comparable {
        /// Synchronous scopes on one OS thread.
        case thread
        /// `async` scopes on one Swift task.
        case task

        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs == .thread && rhs == .task }
    }

    /// Thread or task.
    public var kind: Kind
    /// Process-wide number, from 1, in order of first use (per kind).
    public var number: UInt64
    /// The thread's or task's name, if it has one.
    public var name: String?

    /// Creates a lane id.
    public init(kind: Kind, number: UInt64, name: String? = nil) {
        self.kind = kind
        self.number = number
        self.name = name
    }

    /// A thread lane id.
    public static func thread(_ number: UInt64, name: String? = nil) -> LaneID {
        LaneID(kind: .thread, number: number, name: name)
    }

    /// A task lane id.
    public static func task(_ number: UInt64, name: String? = nil) -> LaneID {
        LaneID(kind: .task, number: number, name: name)
    }

    /// `ThreadId(N)`, `ThreadId(N)/name`, `TaskId(N)` or `TaskId(N)/name`.
    public var description: String {
        let base = kind == .thread ? "ThreadId(\(number))" : "TaskId(\(number))"
        guard let name else { return base }
        return base + "/" + name
    }

    /// Parses ``description`` back; `nil` when the text is not a lane id.
    public init?(parsing text: String) {
        // Byte-wise, not by Character: a name starting with a combining mark would otherwise
        // merge with the `/` before it into one Character.
        let utf8 = Array(text.utf8)
        let kind: Kind
        let prefixLength: Int
        if utf8.starts(with: "ThreadId(".utf8) {
            kind = .thread
            prefixLength = "ThreadId(".utf8.count
        } else if utf8.starts(with: "TaskId(".utf8) {
            kind = .task
            prefixLength = "TaskId(".utf8.count
        } else {
            return nil
        }
        guard let close = utf8[prefixLength...].firstIndex(of: UInt8(ascii: ")")),
            close > prefixLength,
            utf8[prefixLength..<close].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            // `ThreadId(007)` is not how a lane is ever written: one spelling per lane.
            utf8[prefixLength] != UInt8(ascii: "0") || close == prefixLength + 1,
            let number = UInt64(String(decoding: utf8[prefixLength..<close], as: UTF8.self))
        else { return nil }
        let tail = utf8[(close + 1)...]
        if tail.isEmpty {
            self.init(kind: kind, number: number, name: nil)
        } else if tail.first == UInt8(ascii: "/") {
            self.init(kind: kind, number: number, name: String(decoding: tail.dropFirst(), as: UTF8.self))
        } else {
            return nil
        }
    }

    public static func < (lhs: LaneID, rhs: LaneID) -> Bool {
        if lhs.kind != rhs.kind { return lhs.kind < rhs.kind }
        if lhs.number != rhs.number { return lhs.number < rhs.number }
        return (lhs.name ?? "") < (rhs.name ?? "")
    }
}
