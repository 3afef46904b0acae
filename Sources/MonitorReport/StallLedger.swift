import ProcessMonitor

/// Every stall of one process, one row per stalled scope however many heartbeats listed it.
///
/// A heartbeat lists each lane stalled *now*. Sightings of the same lane and label whose entry
/// times (heartbeat time − age) agree are one stall; its duration is its greatest age seen,
/// or exactly the duration a STALL-END reported. A stall with no STALL-END either lasted to
/// the last heartbeat, or stopped being listed (the STALL-END record was lost, or the log is
/// a v1 log, which has none): the table says which.
struct StallLedger {
    struct Episode {
        var lane: LaneID
        var label: String
        /// Entry time of the scope (seconds since 1970); `nil` when only a STALL-END was seen.
        var entered: Double?
        /// First heartbeat that listed it as a stall.
        var firstSeen: Double?
        /// Last heartbeat that listed it.
        var lastSeen: Double?
        /// Longest age seen, or the STALL-END's exact duration.
        var duration: Duration
        /// Time of the heartbeat that carried its STALL-END.
        var endReported: Double?
        /// Listed by the process's last heartbeat.
        var atLastHeartbeat = false
    }

    private(set) var episodes: [Episode] = []
    /// Open (no STALL-END yet) episodes per lane, most recent last, at most 16.
    private var open: [LaneID: [Int]] = [:]
    /// Stalls the records left out for the line limit (`stalls_omitted`), summed.
    private(set) var omittedStalls = 0

    init(entries: [ReportRun.Entry]) {
        for entry in entries {
            // Saturating: the count comes from the log and may be anything an Int holds.
            let (sum, overflow) = omittedStalls.addingReportingOverflow(max(entry.omittedStalls, 0))
            omittedStalls = overflow ? .max : sum
            add(entry.heartbeat)
        }
        if let last = entries.last?.heartbeat {
            let time = ReportFormatting.time(last.timestamp)
            for index in episodes.indices where episodes[index].lastSeen == time && episodes[index].endReported == nil {
                episodes[index].atLastHeartbeat = true
            }
        }
    }

    private mutating func add(_ heartbeat: Heartbeat) {
        let time = ReportFormatting.time(heartbeat.timestamp)
        for stall in heartbeat.stalls {
            let entered = time - ReportFormatting.seconds(stall.age)
            if let index = open[stall.lane]?.last(where: {
                episodes[$0].label == stall.label
                    && abs((episodes[$0].entered ?? .infinity) - entered) <= ReportTimeline.sameScopeTolerance
            }) {
                episodes[index].lastSeen = time
                episodes[index].duration = max(episodes[index].duration, stall.age)
                continue
            }
            episodes.append(Episode(lane: stall.lane, label: stall.label, entered: entered, firstSeen: time,
                                    lastSeen: time, duration: stall.age))
            open[stall.lane, default: []].append(episodes.count - 1)
            // A lane has one innermost scope at a time; only an outer scope that is innermost
            // again can resume an older stall, so a few open ones per lane are plenty to match.
            if let count = open[stall.lane]?.count, count > 16 { open[stall.lane]?.removeFirst() }
        }
        for end in heartbeat.stallEnds {
            if let position = open[end.lane]?.lastIndex(where: { episodes[$0].label == end.label }),
                let index = open[end.lane]?[position]
            {
                episodes[index].duration = end.duration
                episodes[index].endReported = time
                open[end.lane]?.remove(at: position)
                continue
            }
            // Its stall sightings are in lost records (or before the log begins).
            episodes.append(Episode(lane: end.lane, label: end.label, entered: nil, firstSeen: nil,
                                    lastSeen: nil, duration: end.duration, endReported: time))
        }
    }

    /// Episodes in the order they were first seen (STALL-END-only ones by their end).
    func ordered() -> [Episode] {
        episodes.enumerated().sorted { a, b in
            let left = a.element.firstSeen ?? a.element.endReported ?? 0
            let right = b.element.firstSeen ?? b.element.endReported ?? 0
            if left != right { return left < right }
            return a.offset < b.offset
        }.map(\.element)
    }
}
