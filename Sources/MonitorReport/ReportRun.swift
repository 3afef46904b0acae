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
///
/// Memory is bounded by the report, not by the log: every sequence number read is remembered
/// (as runs of consecutive numbers, for lost records and duplicates), but at most
/// ``ReportLimits/heartbeatsPerRun`` heartbeats are kept in full. Past that, the run keeps one
/// heartbeat in `stride` by sequence number (the stride doubling as needed), and besides those
/// every heartbeat that shows a stall or a stall's end (thinned the same way only if they alone
/// overflow the budget), and the first and last heartbeat.
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
    /// The most heartbeats kept in full.
    let budget: Int
    /// Kept records by sequence number. Sorted once, when the report is drawn.
    private(set) var entries: [UInt64: Entry] = [:]
    /// Every sequence number read, duplicates once.
    private(set) var seen = SequenceRuns()
    /// Heartbeats read, duplicates not counted: `entries` may hold fewer.
    private(set) var heartbeatsRead = 0
    /// The highest dropped-records count any record carried.
    private(set) var mostDropped: UInt64 = 0
    /// One plain heartbeat in `stride` is kept (by sequence number), one notable one (a stall
    /// or a stall's end) in `notableStride`.
    private(set) var stride: UInt64 = 1
    private(set) var notableStride: UInt64 = 1
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

    init(key: RunKey, budget: Int = ReportLimits().heartbeatsPerRun) {
        self.key = key
        self.budget = max(1, budget)
    }

    /// Adds a record; a sequence number seen before keeps the record that came first (told
    /// apart from it when that one was kept).
    mutating func add(_ record: DecodedRecord, source: String) {
        let sequence = record.heartbeat.sequence
        recordsPerSource[source, default: 0] += 1
        firstSequencePerSource[source] = min(firstSequencePerSource[source] ?? .max, sequence)
        if seen.contains(sequence) {
            duplicates += 1
            if let existing = entries[sequence], existing.heartbeat != record.heartbeat { conflictingDuplicates += 1 }
            return
        }
        let ends = seen.isEmpty ? nil : (first: seen.first, last: seen.last)
        seen.insert(sequence, at: ReportFormatting.time(record.heartbeat.timestamp))
        heartbeatsRead += 1
        mostDropped = max(mostDropped, record.droppedRecords)
        // A record kept only for being the first or the last is let go once it is neither.
        for end in [ends?.first, ends?.last].compactMap({ $0 }) where end != seen.first && end != seen.last {
            if let entry = entries[end], !keeps(entry.heartbeat) { entries[end] = nil }
        }
        guard keeps(record.heartbeat) else { return }
        entries[sequence] = Entry(
            heartbeat: record.heartbeat,
            droppedRecords: record.droppedRecords,
            omittedStalls: record.omittedStalls
        )
        if entries.count > budget { thin() }
    }

    private static func isNotable(_ heartbeat: Heartbeat) -> Bool {
        !heartbeat.stalls.isEmpty || !heartbeat.stallEnds.isEmpty
    }

    private func keeps(_ heartbeat: Heartbeat) -> Bool {
        if heartbeat.sequence == seen.first || heartbeat.sequence == seen.last { return true }
        return heartbeat.sequence % (Self.isNotable(heartbeat) ? notableStride : stride) == 0
    }

    /// Doubles the stride until the kept heartbeats fit the budget again: the plain ones' first,
    /// the notable ones' only while they alone fill more than half of it.
    private mutating func thin() {
        while entries.count > budget {
            let notable = entries.values.count { Self.isNotable($0.heartbeat) }
            if notable * 2 > budget, notableStride < 1 << 62 {
                notableStride *= 2
            } else if stride < 1 << 62 {
                stride *= 2
            } else {
                break
            }
            entries = entries.filter { keeps($0.value.heartbeat) }
        }
    }

    /// Whether only some of the heartbeats read are kept (and drawn).
    var isThinned: Bool { entries.count < heartbeatsRead }

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
    /// when it is not sequence 1: from every number read, kept or not.
    func gaps() -> [Gap] {
        var gaps: [Gap] = []
        guard let first = seen.runs.first else { return gaps }
        if first.first > 1 {
            gaps.append(Gap(first: 1, last: first.first - 1, before: nil, after: first.firstTime))
        }
        for (previous, next) in zip(seen.runs, seen.runs.dropFirst()) {
            gaps.append(Gap(first: previous.last + 1, last: next.first - 1, before: previous.lastTime, after: next.firstTime))
        }
        return gaps
    }

    /// The same from a list of entries (all of them, sorted by sequence number).
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

/// Sequence numbers as sorted runs of consecutive numbers, each with the times of its first
/// and last record: memory grows with the gaps in a log, not with its length.
struct SequenceRuns {
    struct Run: Equatable {
        var first: UInt64
        var firstTime: Double
        var last: UInt64
        var lastTime: Double
    }

    private(set) var runs: [Run] = []

    var isEmpty: Bool { runs.isEmpty }
    /// The lowest number (0 when empty).
    var first: UInt64 { runs.first?.first ?? 0 }
    /// The highest number (0 when empty).
    var last: UInt64 { runs.last?.last ?? 0 }

    /// Index of the first run whose last number is at least `number`.
    private func index(for number: UInt64) -> Int {
        var low = 0
        var high = runs.count
        while low < high {
            let middle = (low + high) / 2
            if runs[middle].last < number { low = middle + 1 } else { high = middle }
        }
        return low
    }

    func contains(_ number: UInt64) -> Bool {
        let at = index(for: number)
        return at < runs.count && runs[at].first <= number
    }

    /// Adds `number`, read at `time`, joining it to the runs next to it.
    mutating func insert(_ number: UInt64, at time: Double) {
        let at = index(for: number)
        if at < runs.count, runs[at].first <= number { return }
        let joinsPrevious = at > 0 && runs[at - 1].last &+ 1 == number
        let joinsNext = at < runs.count && number &+ 1 == runs[at].first
        switch (joinsPrevious, joinsNext) {
        case (true, true):
            runs[at - 1].last = runs[at].last
            runs[at - 1].lastTime = runs[at].lastTime
            runs.remove(at: at)
        case (true, false):
            runs[at - 1].last = number
            runs[at - 1].lastTime = time
        case (false, true):
            runs[at].first = number
            runs[at].firstTime = time
        case (false, false):
            runs.insert(Run(first: number, firstTime: time, last: number, lastTime: time), at: at)
        }
    }
}
