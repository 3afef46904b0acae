import ProcessMonitor

// The one description of a heartbeat record's fields: key, unit, null rule, bounds, nesting,
// and the schema version that introduced each. JSON Lines writes it, logfmt writes it flattened,
// the decoder reads it back, and a test holds it against `schemas/*.json` and the README's key
// table. Adding a heartbeat field is a row here (plus the core, the schema and the text format).

/// How one field's value is written, read and bounded.
struct FieldKind<Root>: Sendable {
    enum Storage: Sendable {
        /// A non-negative integer between `minimum` and `maximum`; `nil` is `null` when nullable.
        case count(
            get: @Sendable (Root) -> UInt64?, set: @Sendable (inout Root, UInt64?) -> Void,
            nullable: Bool, minimum: UInt64, maximum: UInt64
        )
        /// Seconds with exactly three fraction digits.
        case seconds(get: @Sendable (Root) -> Duration?, set: @Sendable (inout Root, Duration?) -> Void, nullable: Bool)
        /// A finite number, at least zero, or above zero when `positive`.
        case number(get: @Sendable (Root) -> Double?, set: @Sendable (inout Root, Double?) -> Void, nullable: Bool, positive: Bool)
        /// One of a fixed set of words (`trigger`, a warning's `resource`).
        case word(get: @Sendable (Root) -> String, set: @Sendable (inout Root, String) -> Bool, allowed: [String])
        /// A label: cut to the label limit when written.
        case label(get: @Sendable (Root) -> String, set: @Sendable (inout Root, String) -> Void)
        /// A lane id, `ThreadId(N)/name` or `TaskId(N)`.
        case lane(get: @Sendable (Root) -> LaneID?, set: @Sendable (inout Root, LaneID?) -> Void, nullable: Bool)
        /// A progress counter: an object of ``RecordFields/progress`` or `null`; flattened with
        /// a `progress_` prefix in logfmt, and left out there when `nil`.
        case progress(get: @Sendable (Root) -> ProgressReading?, set: @Sendable (inout Root, ProgressReading?) -> Void)
        /// The active phase: an object of ``RecordFields/active`` or `null`; flattened with an
        /// `active_` prefix in logfmt, and left out there when `nil`.
        case active(get: @Sendable (Root) -> ActivePhase?, set: @Sendable (inout Root, ActivePhase?) -> Void)
    }

    let storage: Storage
    /// Written for readers' convenience but computed from other fields: the decoder checks its
    /// type and otherwise ignores it.
    let derived: Bool

    static func count(
        _ get: @escaping @Sendable (Root) -> UInt64?, _ set: @escaping @Sendable (inout Root, UInt64?) -> Void,
        nullable: Bool = true, minimum: UInt64 = 0, maximum: UInt64 = .max, derived: Bool = false
    ) -> FieldKind {
        FieldKind(storage: .count(get: get, set: set, nullable: nullable, minimum: minimum, maximum: maximum), derived: derived)
    }

    /// An `Int` property written as a count (negative values, which the core never makes, as 0).
    static func integer(
        _ get: @escaping @Sendable (Root) -> Int, _ set: @escaping @Sendable (inout Root, Int) -> Void,
        minimum: UInt64 = 0
    ) -> FieldKind {
        .count({ UInt64(clamping: get($0)) }, { set(&$0, Int(clamping: $1 ?? 0)) }, nullable: false, minimum: minimum,
               maximum: UInt64(Int.max))
    }

    static func seconds(
        _ get: @escaping @Sendable (Root) -> Duration?, _ set: @escaping @Sendable (inout Root, Duration?) -> Void,
        nullable: Bool = false, derived: Bool = false
    ) -> FieldKind {
        FieldKind(storage: .seconds(get: get, set: set, nullable: nullable), derived: derived)
    }

    static func number(
        _ get: @escaping @Sendable (Root) -> Double?, _ set: @escaping @Sendable (inout Root, Double?) -> Void,
        positive: Bool = false, derived: Bool = false
    ) -> FieldKind {
        FieldKind(storage: .number(get: get, set: set, nullable: true, positive: positive), derived: derived)
    }

    static func word(
        _ get: @escaping @Sendable (Root) -> String, _ set: @escaping @Sendable (inout Root, String) -> Bool,
        allowed: [String]
    ) -> FieldKind {
        FieldKind(storage: .word(get: get, set: set, allowed: allowed), derived: false)
    }

    static func label(_ get: @escaping @Sendable (Root) -> String, _ set: @escaping @Sendable (inout Root, String) -> Void) -> FieldKind {
        FieldKind(storage: .label(get: get, set: set), derived: false)
    }

    static func lane(
        _ get: @escaping @Sendable (Root) -> LaneID?, _ set: @escaping @Sendable (inout Root, LaneID?) -> Void,
        nullable: Bool = false
    ) -> FieldKind {
        FieldKind(storage: .lane(get: get, set: set, nullable: nullable), derived: false)
    }

    static func progress(
        _ get: @escaping @Sendable (Root) -> ProgressReading?, _ set: @escaping @Sendable (inout Root, ProgressReading?) -> Void
    ) -> FieldKind {
        FieldKind(storage: .progress(get: get, set: set), derived: false)
    }

    static func active(
        _ get: @escaping @Sendable (Root) -> ActivePhase?, _ set: @escaping @Sendable (inout Root, ActivePhase?) -> Void
    ) -> FieldKind {
        FieldKind(storage: .active(get: get, set: set), derived: false)
    }
}

/// One field of a record object.
struct RecordField<Root>: Sendable {
    /// The JSON key; logfmt uses it too, prefixed inside flattened objects.
    let key: String
    /// The first `schema_version` that has the field: older records are read without it.
    let since: Int
    let kind: FieldKind<Root>
    /// `"key":` and ` key=` (with the prefix of a flattened object), ready to copy: rendering
    /// writes one for every field.
    let jsonKey: [UInt8]
    let logfmtKey: [UInt8]

    init(_ key: String, since: Int = 1, _ kind: FieldKind<Root>, logfmtPrefix: String = "") {
        self.key = key
        self.since = since
        self.kind = kind
        self.jsonKey = Array("\"\(key)\":".utf8)
        self.logfmtKey = Array(" \(logfmtPrefix)\(key)=".utf8)
    }

    /// The same field, flattened into logfmt under `prefix` (`active_`, `progress_`).
    func flattened(_ prefix: String) -> RecordField {
        RecordField(key, since: since, kind, logfmtPrefix: prefix)
    }
}

/// The field tables, in output order.
enum RecordFields {
    /// The `schema_version` the formats write; the decoder also reads every older one.
    static let currentVersion = 2
    static let supportedVersions = 1 ... currentVersion

    /// Before the headline fields come `timestamp`, `level`, `message` and `schema_version`,
    /// which every line of every format starts with; after them the arrays and the tail.
    static let headline: [RecordField<Heartbeat>] = [
        RecordField("seq", .count({ $0.sequence }, { $0.sequence = $1 ?? 0 }, nullable: false, minimum: 1)),
        RecordField("pid", .count({ UInt64(clamping: $0.processID) }, { $0.processID = Int32(clamping: $1 ?? 0) },
                                  nullable: false, maximum: UInt64(Int32.max))),
        RecordField("trigger", .word({ $0.trigger.rawValue }, { heartbeat, word in
            guard let trigger = Heartbeat.Trigger(rawValue: word) else { return false }
            heartbeat.trigger = trigger
            return true
        }, allowed: Heartbeat.Trigger.allCases.map(\.rawValue))),
        RecordField("elapsed_s", .seconds({ $0.elapsed }, { $0.elapsed = $1 ?? .zero })),
        RecordField("rss_bytes", .count({ $0.resources.rssBytes }, { $0.resources.rssBytes = $1 })),
        RecordField("peak_rss_bytes", .count({ $0.resources.peakRSSBytes }, { $0.resources.peakRSSBytes = $1 })),
        RecordField("process_threads", .count({ $0.resources.threads }, { $0.resources.threads = $1 })),
        RecordField("read_bytes", .count({ $0.resources.readBytes }, { $0.resources.readBytes = $1 })),
        RecordField("write_bytes", .count({ $0.resources.writeBytes }, { $0.resources.writeBytes = $1 })),
        RecordField("memory_limit_bytes", since: 2,
                    .count({ $0.resources.memoryLimitBytes }, { $0.resources.memoryLimitBytes = $1 })),
        RecordField("memory_usage_bytes", since: 2,
                    .count({ $0.resources.memoryUsageBytes }, { $0.resources.memoryUsageBytes = $1 })),
        RecordField("memory_headroom_bytes", since: 2,
                    .count({ $0.resources.memoryHeadroomBytes }, { _, _ in }, derived: true)),
        RecordField("oom_kills", since: 2, .count({ $0.resources.oomKills }, { $0.resources.oomKills = $1 })),
        RecordField("open_fds", since: 2,
                    .count({ $0.resources.openFileDescriptors }, { $0.resources.openFileDescriptors = $1 })),
        RecordField("fd_limit", since: 2,
                    .count({ $0.resources.fileDescriptorLimit }, { $0.resources.fileDescriptorLimit = $1 })),
        RecordField("cpu_cores", .number({ $0.cpu.coresBusy }, { $0.cpu.coresBusy = $1 })),
        RecordField("cpu_available_cores", .number({ $0.cpu.availableCores }, { $0.cpu.availableCores = $1 }, positive: true)),
        RecordField("cpu_affinity_cores", since: 2,
                    .count({ $0.cpu.affinityCores.map { UInt64(clamping: $0) } },
                           { $0.cpu.affinityCores = $1.map { Int(clamping: $0) } }, minimum: 1)),
        RecordField("cpu_quota_cores", since: 2, .number({ $0.cpu.quotaCores }, { $0.cpu.quotaCores = $1 }, positive: true)),
        RecordField("cpu_window_s", .seconds({ $0.cpu.window }, { $0.cpu.window = $1 }, nullable: true)),
        RecordField("cpu_time_s", since: 2, .seconds({ $0.cpu.totalTime }, { $0.cpu.totalTime = $1 }, nullable: true)),
        RecordField("instrumented_threads", .integer({ $0.instrumentedLanes }, { $0.instrumentedLanes = $1 })),
        RecordField("active", .active({ $0.active }, { $0.active = $1 })),
        RecordField("stall_threshold_s", .seconds({ $0.stallThreshold }, { $0.stallThreshold = $1 ?? .zero })),
    ]

    /// The `active` object.
    static let active: [RecordField<ActivePhase>] = [
        RecordField("lane", .lane({ $0.lane }, { $0.lane = $1 ?? $0.lane })),
        RecordField("label", .label({ $0.label }, { $0.label = $1 })),
        RecordField("age_s", .seconds({ $0.age }, { $0.age = $1 ?? .zero })),
        RecordField("progress", .progress({ $0.progress }, { $0.progress = $1 })),
    ].map { $0.flattened("active_") }

    /// A `progress` object. `total` is `null` when unknown (0 in the core); rate and ETA are
    /// derived from the rest.
    static let progress: [RecordField<ProgressReading>] = [
        RecordField("current", .count({ $0.current }, { $0.current = $1 ?? 0 }, nullable: false)),
        RecordField("total", .count({ $0.total == 0 ? nil : $0.total }, { $0.total = $1 ?? 0 }, minimum: 1)),
        RecordField("elapsed_s", .seconds({ $0.elapsed }, { $0.elapsed = $1 ?? .zero })),
        RecordField("rate_per_s", .number({ $0.unitsPerSecond }, { _, _ in }, derived: true)),
        RecordField("eta_s", .seconds({ $0.estimatedRemaining }, { _, _ in }, nullable: true, derived: true)),
    ].map { $0.flattened("progress_") }

    /// An element of `stalls`.
    static let stall: [RecordField<Stall>] = [
        RecordField("thread", .lane({ $0.lane }, { $0.lane = $1 ?? $0.lane })),
        RecordField("label", .label({ $0.label }, { $0.label = $1 })),
        RecordField("stuck_s", .seconds({ $0.age }, { $0.age = $1 ?? .zero })),
    ]

    /// An element of `stall_ends`.
    static let stallEnd: [RecordField<StallEnd>] = [
        RecordField("thread", since: 2, .lane({ $0.lane }, { $0.lane = $1 ?? $0.lane })),
        RecordField("label", since: 2, .label({ $0.label }, { $0.label = $1 })),
        RecordField("after_s", since: 2, .seconds({ $0.duration }, { $0.duration = $1 ?? .zero })),
    ]

    /// An element of `warnings`, derived from the headline's figures.
    static let warning: [RecordField<ResourceWarning>] = [
        RecordField("resource", since: 2, .word({ $0.resource.rawValue }, { warning, word in
            guard let resource = ResourceWarning.Resource(rawValue: word) else { return false }
            warning.resource = resource
            return true
        }, allowed: ResourceWarning.Resource.allCases.map(\.rawValue))),
        RecordField("used", since: 2, .count({ $0.used }, { $0.used = $1 ?? 0 }, nullable: false)),
        RecordField("limit", since: 2, .count({ $0.limit }, { $0.limit = $1 ?? 0 }, nullable: false)),
    ]

    /// An element of `phases`.
    static let phase: [RecordField<Phase>] = [
        RecordField("thread", .lane({ $0.lane }, { $0.lane = $1 ?? $0.lane })),
        RecordField("depth", .integer({ $0.depth }, { $0.depth = $1 }, minimum: 1)),
        RecordField("label", .label({ $0.label }, { $0.label = $1 })),
        RecordField("in_frame_s", .seconds({ $0.age }, { $0.age = $1 ?? .zero })),
        RecordField("updated_ago_s", .seconds({ $0.sinceLastChange }, { $0.sinceLastChange = $1 ?? .zero })),
        RecordField("progress", .progress({ $0.progress }, { $0.progress = $1 })),
        RecordField("parent", since: 2, .lane({ $0.parent }, { $0.parent = $1 }, nullable: true)),
        RecordField("waiting_on", since: 2, .integer({ $0.activeDescendants }, { $0.activeDescendants = $1 })),
    ]

    /// The fields a record of `version` has, in order.
    static func fields<Root>(_ table: [RecordField<Root>], version: Int) -> [RecordField<Root>] {
        version >= currentVersion ? table : table.filter { $0.since <= version }
    }

    /// The top-level keys of a JSON Lines record of `version`, in order.
    static func topLevelKeys(version: Int) -> [String] {
        var keys = ["timestamp", "level", "message", "schema_version"]
        keys += fields(headline, version: version).map(\.key)
        keys += ["stalls", "stalls_omitted"]
        if version >= 2 { keys += ["stall_ends", "stall_ends_omitted", "warnings"] }
        keys += ["phases", "phases_omitted", "dropped_records", "attributes"]
        return keys
    }
}

/// The placeholder values the decoder fills in before reading each field.
extension ActivePhase {
    static let blank = ActivePhase(lane: .thread(0), label: "", age: .zero)
}

extension ProgressReading {
    static let blank = ProgressReading(current: 0, total: 0, elapsed: .zero)
}

extension Stall {
    static let blank = Stall(lane: .thread(0), label: "", age: .zero)
}

extension StallEnd {
    static let blank = StallEnd(lane: .thread(0), label: "", duration: .zero)
}

extension ResourceWarning {
    static let blank = ResourceWarning(resource: .memory, used: 0, limit: 0)
}

extension Phase {
    static let blank = Phase(lane: .thread(0), depth: 0, label: "", age: .zero, sinceLastChange: .zero)
}

extension Heartbeat {
    static let blank = Heartbeat(
        sequence: 0, timestamp: .init(timeIntervalSince1970: 0), trigger: .scheduled, processID: 0,
        elapsed: .zero, resources: ResourceUsage(), cpu: CPUUsage(), instrumentedLanes: 0, active: nil,
        stalls: [], phases: [], omittedPhases: 0, stallThreshold: .zero
    )
}
