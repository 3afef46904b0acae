import ProcessMonitor

/// One copy of each label, lane name and source name a report holds. A long log repeats the
/// same few strings in every record, and each decoded copy would otherwise keep memory of its
/// own; an interned one shares the first copy's storage.
struct StringTable {
    private var strings: Set<String> = []
    /// Past this many distinct strings (a label that changes in every record), new ones are
    /// kept as they are: the table must not become the thing that grows.
    static let capacity = 100_000

    /// The table's copy of `text`.
    mutating func intern(_ text: String) -> String {
        // Short strings live inside the String value itself; nothing to share.
        guard text.utf8.count > 15 else { return text }
        if let existing = strings.firstIndex(of: text) { return strings[existing] }
        if strings.count < Self.capacity { strings.insert(text) }
        return text
    }

    /// Interns every label and lane name of `heartbeat`.
    mutating func intern(_ heartbeat: inout Heartbeat) {
        for index in heartbeat.phases.indices {
            heartbeat.phases[index].label = intern(heartbeat.phases[index].label)
            intern(&heartbeat.phases[index].lane)
            if heartbeat.phases[index].parent != nil { intern(&heartbeat.phases[index].parent!) }
        }
        for index in heartbeat.stalls.indices {
            heartbeat.stalls[index].label = intern(heartbeat.stalls[index].label)
            intern(&heartbeat.stalls[index].lane)
        }
        for index in heartbeat.stallEnds.indices {
            heartbeat.stallEnds[index].label = intern(heartbeat.stallEnds[index].label)
            intern(&heartbeat.stallEnds[index].lane)
        }
        if heartbeat.active != nil {
            heartbeat.active!.label = intern(heartbeat.active!.label)
            intern(&heartbeat.active!.lane)
        }
    }

    private mutating func intern(_ lane: inout LaneID) {
        if let name = lane.name { lane.name = intern(name) }
    }
}
