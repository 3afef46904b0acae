package import ProcessMonitor

// The types the field table (`RecordFields.swift`) is made of: how a value is read, written
// back and bounded (`FieldKind`), and what each format calls it (`RecordField` and the
// columns in `FigureColumns.swift`).

/// How one field's value is read, written back by the decoder, and bounded.
package struct FieldKind<Root>: Sendable {
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
        case active(get: @Sendable (Root) -> Heartbeat.ActivePhase?, set: @Sendable (inout Root, Heartbeat.ActivePhase?) -> Void)
        /// A string or `null`: one of `allowed` when given (the setter refuses others), else
        /// free text cut to the label limit (a system call, a descriptor's target).
        case text(get: @Sendable (Root) -> String?, set: @Sendable (inout Root, String?) -> Bool, allowed: [String]?)
        /// A scope stack: an array of ``RecordFields/frame`` objects, outermost first. Logfmt,
        /// which has no arrays, carries it as that array's JSON text.
        case frames(get: @Sendable (Root) -> [Heartbeat.ScopeFrame], set: @Sendable (inout Root, [Heartbeat.ScopeFrame]) -> Void)
        /// An array of strings (each cut to the label limit) or `null`: a native backtrace.
        /// Logfmt carries it as the array's JSON text.
        case lines(get: @Sendable (Root) -> [String]?, set: @Sendable (inout Root, [String]?) -> Void)
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
        _ get: @escaping @Sendable (Root) -> Heartbeat.ActivePhase?, _ set: @escaping @Sendable (inout Root, Heartbeat.ActivePhase?) -> Void
    ) -> FieldKind {
        FieldKind(storage: .active(get: get, set: set), derived: false)
    }

    static func text(
        _ get: @escaping @Sendable (Root) -> String?, _ set: @escaping @Sendable (inout Root, String?) -> Bool,
        allowed: [String]? = nil
    ) -> FieldKind {
        FieldKind(storage: .text(get: get, set: set, allowed: allowed), derived: false)
    }

    static func frames(
        _ get: @escaping @Sendable (Root) -> [Heartbeat.ScopeFrame], _ set: @escaping @Sendable (inout Root, [Heartbeat.ScopeFrame]) -> Void
    ) -> FieldKind {
        FieldKind(storage: .frames(get: get, set: set), derived: false)
    }

    static func lines(
        _ get: @escaping @Sendable (Root) -> [String]?, _ set: @escaping @Sendable (inout Root, [String]?) -> Void
    ) -> FieldKind {
        FieldKind(storage: .lines(get: get, set: set), derived: false)
    }

    /// The getter alone, for the writers.
    var reader: FieldReader<Root> {
        switch storage {
        case .count(let get, _, _, _, _): .count(get)
        case .seconds(let get, _, _): .seconds(get)
        case .number(let get, _, _, _): .number(get)
        case .word(let get, _, _): .word(get)
        case .label(let get, _): .label(get)
        case .lane(let get, _, _): .lane(get)
        case .progress(let get, _): .progress(get)
        case .active(let get, _): .active(get)
        case .text(let get, _, let allowed): .text(get, isWord: allowed != nil)
        case .frames(let get, _): .frames(get)
        case .lines(let get, _): .lines(get)
        }
    }
}

/// A field's value as every writer sees it: the getter alone. Rendering walks a table once per
/// record, and a case with one closure is cheaper to take apart than one with getter and setter.
package enum FieldReader<Root>: Sendable {
    case count(@Sendable (Root) -> UInt64?)
    case seconds(@Sendable (Root) -> Duration?)
    case number(@Sendable (Root) -> Double?)
    case word(@Sendable (Root) -> String)
    case label(@Sendable (Root) -> String)
    case lane(@Sendable (Root) -> LaneID?)
    case progress(@Sendable (Root) -> ProgressReading?)
    case active(@Sendable (Root) -> Heartbeat.ActivePhase?)
    /// A string or `nil`; a word of a fixed set when `isWord`, else text cut like a label.
    case text(@Sendable (Root) -> String?, isWord: Bool)
    case frames(@Sendable (Root) -> [Heartbeat.ScopeFrame])
    case lines(@Sendable (Root) -> [String]?)

    /// The value as a plain number, for charts and metrics: counts, seconds and numbers;
    /// `nil` for an unknown figure, a non-finite or negative number, and non-numeric kinds.
    package func number(_ root: Root) -> Double? {
        switch self {
        case .count(let get): get(root).map { Double($0) }
        case .seconds(let get): get(root).map { Double($0.wholeMilliseconds) / 1000 }
        case .number(let get): get(root).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        case .word, .label, .lane, .progress, .active, .text, .frames, .lines: nil
        }
    }
}

/// One field of a record object, with its name in every format.
package struct RecordField<Root>: Sendable {
    /// The JSON key; logfmt uses it too, prefixed inside flattened objects, and OTLP log
    /// attributes under `processmonitor.` (nested objects joined with dots).
    package let key: String
    /// The first `schema_version` that has the field: older records are read without it.
    let since: Int
    let kind: FieldKind<Root>
    /// The getter of ``kind``, taken out once.
    package let reader: FieldReader<Root>
    /// `"key":`, ` key=` (with the prefix of a flattened object) and `{"key":"<otlp key>","value":`,
    /// ready to copy: rendering writes one for every field.
    let jsonKey: RenderedBytes
    let logfmtKey: RenderedBytes
    let otlpKey: RenderedBytes
    /// The logfmt and OTLP attribute names, for tests and documentation.
    package let logfmtName: String
    package let otlpName: String
    /// What the other formats and the report make of a headline figure; `nil` for a field of
    /// an element (a stall, a phase), which only the record formats carry.
    package let columns: FigureColumns?

    /// A field of an element or nested object: JSON Lines, logfmt, the decoder and OTLP log
    /// attributes carry it.
    init(_ key: String, since: Int = 1, _ kind: FieldKind<Root>) {
        self.init(key, since: since, kind, logfmtPrefix: "", otlpName: key, columns: nil)
    }

    /// A headline figure: every format and the report say what they make of it.
    init(
        _ key: String, since: Int = 1, swift: String, _ kind: FieldKind<Root>,
        otlpAttribute: OTLPAttribute = .logAttribute,
        prometheus: PrometheusColumn, otlp: OTLPMetricColumn, report: ReportColumn
    ) {
        let columns = FigureColumns(swift: swift, otlpAttribute: otlpAttribute, prometheus: prometheus, otlp: otlp, report: report)
        let otlpName: String = switch otlpAttribute {
        case .logAttribute: OTLPAttribute.prefix + key
        case .resource(let name): name
        }
        self.init(key, since: since, kind, logfmtPrefix: "", otlpName: otlpName, columns: columns)
    }

    private init(_ key: String, since: Int, _ kind: FieldKind<Root>, logfmtPrefix: String, otlpName: String, columns: FigureColumns?) {
        self.key = key
        self.since = since
        self.kind = kind
        self.reader = kind.reader
        self.logfmtName = logfmtPrefix + key
        self.otlpName = otlpName
        var json = LineBuffer(capacity: key.utf8.count + 3)
        json.append("\"\(key)\":")
        self.jsonKey = RenderedBytes(json.bytes.array())
        var logfmt = LineBuffer(capacity: logfmtName.utf8.count + 2)
        logfmt.append(" \(logfmtName)=")
        self.logfmtKey = RenderedBytes(logfmt.bytes.array())
        var otlp = LineBuffer(capacity: 48)
        otlp.openKeyValue(dynamic: otlpName)
        self.otlpKey = RenderedBytes(otlp.bytes.array())
        self.columns = columns
    }

    /// The same field inside a flattened object: `prefix` before its logfmt key (`active_`),
    /// `otlpPrefix` before its OTLP attribute key (`processmonitor.active.`).
    func nested(logfmt prefix: String, otlp otlpPrefix: String) -> RecordField {
        RecordField(key, since: since, kind, logfmtPrefix: prefix, otlpName: otlpPrefix + key, columns: columns)
    }
}
