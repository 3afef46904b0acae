import MonitorExport
import ProcessMonitor

/// What tells one process's records from another's: its pid and the attributes it stamped on
/// every record (`job`, `rank`, …). Two ranks of a job on different hosts can share a pid;
/// their `rank` attribute tells them apart.
struct RunKey: Hashable {
    var processID: Int32
    var attributes: [String: String]

    /// The attributes in key order, as the report shows them.
    var sortedAttributes: [(key: String, value: String)] {
        attributes.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { (key: $0.key, value: $0.value) }
    }

    /// A total order independent of dictionary order: pid, then attributes as text.
    static func precedes(_ a: RunKey, _ b: RunKey) -> Bool {
        if a.processID != b.processID { return a.processID < b.processID }
        let left = a.sortedAttributes.flatMap { [$0.key, $0.value] }
        let right = b.sortedAttributes.flatMap { [$0.key, $0.value] }
        return left.lexicographicallyPrecedes(right) { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

/// One process's records, gathered from every file they came from, in sequence order with
/// each sequence number once.
struct ReportRun {
    /// What one accepted record contributes.
    struct Entry {
        var heartbeat: Heartbeat
        var droppedRecords: UInt64
        var omittedStalls: Int
    }

    /// A run of missing sequence numbers: records the writer lost (a full disk), or that are in
    /// a file not given to the report.
    struct Gap: Equatable {
        /// First missing sequence number.
        var first: UInt64
        /// Last missing sequence number.
        var last: UInt64
        /// Time of the record before the gap, `nil` when the log begins after sequence 1.
        var before: Double?
        /// Time of the record after the gap.
        var after: Double

        var count: UInt64 { last - first + 1 }
    }

    let key: RunKey
    /// Accepted records by sequence number. Sorted once, when the report is drawn.
    private(set) var entries: [UInt64: Entry] = [:]
    /// Records read per source, duplicates included, so the figure does not depend on the
    /// order the files were given in.
    private(set) var recordsPerSource: [String: Int] = [:]
    /// Lowest sequence number seen per source: sources are listed oldest first, whatever the
    /// order of the command line (a rotated set `hb.jsonl hb.jsonl.2 hb.jsonl.1`).
    private(set) var firstSequencePerSource: [String: UInt64] = [:]
    /// Records whose sequence number was already taken (a file given twice, overlapping copies).
    private(set) var duplicates = 0
    /// Duplicates whose heartbeat differed from the one kept: a sign that two processes share
    /// this pid and attributes, or that the log was edited.
    private(set) var conflictingDuplicates = 0

    init(key: RunKey) {
        self.key = key
    }

    /// Adds a record; a sequence number seen before keeps the record that came first.
    mutating func add(_ record: DecodedRecord, source: String) {
        let sequence = record.heartbeat.sequence
        recordsPerSource[source, default: 0] += 1
        firstSequencePerSource[source] = min(firstSequencePerSource[source] ?? .max, sequence)
        if let existing = entries[sequence] {
            duplicates += 1
            if existing.heartbeat != record.heartbeat { conflictingDuplicates += 1 }
            return
        }
        entries[sequence] = Entry(
            heartbeat: record.heartbeat,
            droppedRecords: record.droppedRecords,
            omittedStalls: record.omittedStalls
        )
    }

    /// The accepted records, in sequence order.
    func sortedEntries() -> [Entry] {
        entries.values.sorted { $0.heartbeat.sequence < $1.heartbeat.sequence }
    }

    /// Sources oldest first (by their lowest sequence number, then by name), with the number
    /// of records read from each.
    func sources() -> [(name: String, records: Int)] {
        recordsPerSource.keys.sorted { a, b in
            let first = firstSequencePerSource[a] ?? 0
            let second = firstSequencePerSource[b] ?? 0
            if first != second { return first < second }
            return a.utf8.lexicographicallyPrecedes(b.utf8)
        }.map { (name: $0, records: recordsPerSource[$0] ?? 0) }
    }

    /// Missing sequence numbers between the first record and the last, and before the first
    /// when it is not sequence 1.
    static func gaps(in entries: [Entry]) -> [Gap] {
        var gaps: [Gap] = []
        guard let first = entries.first else { return gaps }
        if first.heartbeat.sequence > 1 {
            gaps.append(Gap(first: 1, last: first.heartbeat.sequence - 1, before: nil,
                            after: ReportFormatting.time(first.heartbeat.timestamp)))
        }
        for (previous, next) in zip(entries, entries.dropFirst())
        where next.heartbeat.sequence > previous.heartbeat.sequence + 1 {
            gaps.append(Gap(
                first: previous.heartbeat.sequence + 1,
                last: next.heartbeat.sequence - 1,
                before: ReportFormatting.time(previous.heartbeat.timestamp),
                after: ReportFormatting.time(next.heartbeat.timestamp)
            ))
        }
        return gaps
    }
}
