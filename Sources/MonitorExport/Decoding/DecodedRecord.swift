import Foundation
public import ProcessMonitor

/// One JSON Lines record read back: the heartbeat and what the record carried beside it.
///
/// ```swift
/// let decoded = try HeartbeatRecordDecoder().decode(line: logLine)
/// print(decoded.heartbeat.sequence, decoded.attributes["job"] ?? "-")
/// ```
public struct DecodedRecord: Sendable, Equatable {
    /// The heartbeat, equal to the one rendered when its durations were whole milliseconds,
    /// its timestamp a whole millisecond, its labels under the label limit, and nothing had to
    /// be left out for the line limit.
    public var heartbeat: Heartbeat
    /// The record's `attributes` object.
    public var attributes: [String: String]
    /// The record's `dropped_records`: records the writing sink had lost by then.
    public var droppedRecords: UInt64
    /// The record's `stalls_omitted`: stalls left out of ``heartbeat`` for the line limit.
    package var omittedStalls: Int
    /// The record's `schema_version`: 1 for records written before container and task-tree
    /// figures existed (those figures then read as unknown), 2 for current ones.
    package var schemaVersion: Int

    /// Creates a decoded record.
    public init(
        heartbeat: Heartbeat, attributes: [String: String], droppedRecords: UInt64, omittedStalls: Int = 0,
        schemaVersion: Int = JSONLinesFormat.schemaVersion
    ) {
        self.schemaVersion = schemaVersion
        self.heartbeat = heartbeat
        self.attributes = attributes
        self.droppedRecords = droppedRecords
        self.omittedStalls = omittedStalls
    }
}
