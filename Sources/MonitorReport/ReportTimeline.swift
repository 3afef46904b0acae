import ProcessMonitor

/// Each lane's innermost phases over time, rebuilt from heartbeats.
///
/// A heartbeat only samples: it says which scope is innermost on each lane *now* and how long
/// it has run. So a bar starts where its scope was entered (heartbeat time − age) and ends at
/// the last heartbeat that still saw the same scope (same label, same entry time); what
/// happened between two heartbeats is not in the log. An outer scope that is innermost again
/// after its inner one ended was entered long ago: its bar starts where the lane's previous
/// bar ends, and its tooltip gives its true age.
struct ReportTimeline {
    /// One scope seen as a lane's innermost at one or more heartbeats.
    struct Bar {
        var label: String
        /// Entry time (seconds since 1970) from the first sighting.
        var entered: Double
        /// Where the bar is drawn from: `entered`, or the end of the lane's previous bar.
        var drawFrom: Double
        /// Time of the last heartbeat that saw it.
        var lastSeen: Double
        var lastAge: Duration
        var sightings: Int
        var depth: Int?
        var progress: ProgressReading?
        var parent: LaneID?
        var activeDescendants: Int
        /// When it became a stall, if any heartbeat listed it as one: the start of the quiet
        /// spell (entry, or the counter's last move) plus the scope's own threshold.
        var stalledFrom: Double?
    }

    /// A STALL-END: where a stalled scope ended, as reported by the next heartbeat.
    struct StallEndMark {
        var time: Double
        var label: String
        var duration: Duration
    }

    struct Track {
        var lane: LaneID
        var firstSeen: Double
        /// The lane this task lane was started from, as its latest phase said.
        var parent: LaneID?
        var bars: [Bar] = []
        var stallEnds: [StallEndMark] = []
    }

    /// Two sightings of a label on a lane are the same scope when their entry times agree to
    /// within this: timestamps are wall-clock and ages monotonic, both in whole milliseconds,
    /// so the same scope's computed entry wobbles by a few milliseconds.
    static let sameScopeTolerance = 0.1

    private(set) var tracks: [Track] = []
    private var trackIndex: [LaneID: Int] = [:]

    /// Heartbeats whose phase list was capped, and the most lanes one of them left out.
    private(set) var cappedHeartbeats = 0
    private(set) var mostOmittedPhases = 0

    /// Builds the tracks from one process's heartbeats in sequence order.
    init(heartbeats: [Heartbeat]) {
        for heartbeat in heartbeats { add(heartbeat) }
    }

    private mutating func add(_ heartbeat: Heartbeat) {
        let time = ReportFormatting.time(heartbeat.timestamp)
        if heartbeat.omittedPhases > 0 {
            cappedHeartbeats += 1
            mostOmittedPhases = max(mostOmittedPhases, heartbeat.omittedPhases)
        }
        // Each stall's start: its quiet spell (the scope's age, or less when its counter moved
        // since) began `quiet` ago, and it passed its own threshold that much later.
        var stalled: [LaneID: (label: String, from: Double)] = [:]
        for stall in heartbeat.stalls {
            let quiet = min(stall.age, stall.progress?.sinceLastMove ?? stall.age)
            stalled[stall.lane] = (stall.label, time - ReportFormatting.seconds(quiet) + ReportFormatting.seconds(stall.threshold))
        }

        // Phases are capped, stalls are not, and the active phase is the oldest: together
        // they name every lane this heartbeat knows about.
        var seen: Set<LaneID> = []
        for phase in heartbeat.phases where seen.insert(phase.lane).inserted {
            observe(phase.lane, label: phase.label, age: phase.age, at: time, depth: phase.depth,
                    progress: phase.progress, parent: phase.parent,
                    activeDescendants: phase.activeDescendants, stalled: stalled)
        }
        for stall in heartbeat.stalls where seen.insert(stall.lane).inserted {
            observe(stall.lane, label: stall.label, age: stall.age, at: time, depth: stall.depth, progress: stall.progress,
                    parent: nil, activeDescendants: 0, stalled: stalled)
        }
        if let active = heartbeat.active, seen.insert(active.lane).inserted {
            observe(active.lane, label: active.label, age: active.age, at: time, depth: nil,
                    progress: active.progress, parent: nil, activeDescendants: 0, stalled: stalled)
        }
        for end in heartbeat.stallEnds {
            let index = track(for: end.lane, at: time)
            // The scope's bar: the lane's latest with that label that began before now.
            var mark = time
            if let bar = tracks[index].bars.last(where: { $0.label == end.label && $0.entered <= time }) {
                let ended = bar.entered + ReportFormatting.seconds(end.duration)
                if ended.isFinite { mark = min(ended, time) }
            }
            tracks[index].stallEnds.append(StallEndMark(time: mark, label: end.label, duration: end.duration))
        }
    }

    private mutating func observe(
        _ lane: LaneID, label: String, age: Duration, at time: Double, depth: Int?,
        progress: ProgressReading?, parent: LaneID?, activeDescendants: Int,
        stalled: [LaneID: (label: String, from: Double)]
    ) {
        let index = track(for: lane, at: time)
        if let parent { tracks[index].parent = parent }
        let entered = time - ReportFormatting.seconds(age)
        let stalledFrom = stalled[lane].flatMap { $0.label == label ? max(entered, $0.from) : nil }
        if var bar = tracks[index].bars.last, bar.label == label,
            abs(bar.entered - entered) <= Self.sameScopeTolerance
        {
            bar.lastSeen = max(bar.lastSeen, time)
            bar.lastAge = age
            bar.sightings += 1
            bar.depth = depth ?? bar.depth
            bar.progress = progress ?? bar.progress
            bar.parent = parent ?? bar.parent
            bar.activeDescendants = activeDescendants
            if let stalledFrom, bar.stalledFrom == nil { bar.stalledFrom = stalledFrom }
            tracks[index].bars[tracks[index].bars.count - 1] = bar
            return
        }
        let previousEnd = tracks[index].bars.last?.lastSeen ?? -Double.infinity
        tracks[index].bars.append(Bar(
            label: label,
            entered: entered,
            drawFrom: max(entered, previousEnd),
            lastSeen: time,
            lastAge: age,
            sightings: 1,
            depth: depth,
            progress: progress,
            parent: parent,
            activeDescendants: activeDescendants,
            stalledFrom: stalledFrom
        ))
    }

    private mutating func track(for lane: LaneID, at time: Double) -> Int {
        if let index = trackIndex[lane] { return index }
        tracks.append(Track(lane: lane, firstSeen: time))
        trackIndex[lane] = tracks.count - 1
        return tracks.count - 1
    }

    /// Tracks in order of first appearance (lanes first seen by the same heartbeat in lane
    /// order: threads before tasks, by number), each task lane right under the lane it was
    /// started from, so a task group's children sit under their parent.
    func orderedTracks() -> [Track] {
        orderedTracksWithDepth().map(\.track)
    }

    /// ``orderedTracks()`` with each track's depth in the task tree (0 for a lane with no parent
    /// in the log).
    func orderedTracksWithDepth() -> [(track: Track, depth: Int)] {
        let appearance = tracks.indices.sorted { a, b in
            if tracks[a].firstSeen != tracks[b].firstSeen { return tracks[a].firstSeen < tracks[b].firstSeen }
            if tracks[a].lane != tracks[b].lane { return tracks[a].lane < tracks[b].lane }
            return a < b
        }
        var children: [LaneID: [Int]] = [:]
        var roots: [Int] = []
        for index in appearance {
            if let parent = tracks[index].parent, parent != tracks[index].lane, trackIndex[parent] != nil {
                children[parent, default: []].append(index)
            } else {
                roots.append(index)
            }
        }
        var ordered: [(track: Track, depth: Int)] = []
        ordered.reserveCapacity(tracks.count)
        var placed = Set<Int>()
        func place(_ index: Int, depth: Int) {
            guard placed.insert(index).inserted else { return }
            ordered.append((tracks[index], depth))
            for child in children[tracks[index].lane] ?? [] { place(child, depth: depth + 1) }
        }
        for root in roots { place(root, depth: 0) }
        // Lanes whose parent links form a loop (a log edited by hand) still appear once.
        for index in appearance where !placed.contains(index) { place(index, depth: 0) }
        return ordered
    }
}
