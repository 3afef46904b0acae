import Foundation
import ProcessMonitor

/// Reads a ``JSONLinesFormat`` record back into a ``Heartbeat``, strictly.
///
/// Strict means: well-formed JSON (RFC 8259: no `NaN`, no trailing commas, no duplicate keys),
/// `schema_version` 1, every field present with its type, and no unknown field, exactly as
/// `schemas/heartbeat.schema.json` says. An error's message names the field, with its path
/// (`phases[2].in_frame_s`). Durations are read from their decimal text, so `142.318` becomes
/// exactly 142 318 milliseconds, and integers are read exactly up to `UInt64.max`.
///
/// ```swift
/// let decoder = HeartbeatRecordDecoder()
/// for line in try String(contentsOfFile: "heartbeats.jsonl", encoding: .utf8).split(separator: "\n") {
///     let record = try decoder.decode(line: String(line))
///     print(TextFormat().render(record.heartbeat, context: FormatContext()))
/// }
/// ```
public struct HeartbeatRecordDecoder: Sendable {
    /// Longest line accepted, in UTF-8 bytes: 1 MiB, the largest ``ExportLimits/maxLineBytes``.
    ///
    /// ```swift
    /// HeartbeatRecordDecoder.maxLineBytes  // 1_048_576
    /// ```
    public static let maxLineBytes = 1 << 20

    /// Creates a decoder.
    ///
    /// ```swift
    /// let decoder = HeartbeatRecordDecoder()
    /// ```
    public init() {}

    /// Decodes one record; a trailing `\n` (or `\r\n`) is allowed.
    ///
    /// - Throws: ``ExportError`` with code `invalidRecord` and a message that names the field.
    ///
    /// ```swift
    /// do {
    ///     let record = try HeartbeatRecordDecoder().decode(line: #"{"timestamp":…}"#)
    /// } catch {
    ///     print(error.message)  // "missing field 'rss_bytes'"
    /// }
    /// ```
    public func decode(line: String) throws(ExportError) -> DecodedRecord {
        var line = line
        let size = line.utf8.count
        guard size <= Self.maxLineBytes else {
            throw invalid("line is \(size) bytes; records longer than \(Self.maxLineBytes) bytes are rejected")
        }
        // `withUTF8` only rethrows untyped errors, so carry the typed one out in a Result.
        let parsed = line.withUTF8 { utf8 -> Result<JSONValue, ExportError> in
            var parser = StrictJSONParser(utf8)
            do throws(ExportError) {
                return .success(try parser.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        let value = try parsed.get()
        var record = try ObjectReader(value, path: "")
        let version = try record.integer("schema_version", as: Int64.self)
        guard version == 1 else {
            throw invalid("unsupported schema_version \(version); this decoder reads version 1")
        }
        let timestampText = try record.string("timestamp")
        guard let timestamp = parseRFC3339Milliseconds(timestampText) else {
            throw invalid("timestamp: expected RFC 3339 UTC with 3 fraction digits like "
                + "2024-05-01T12:00:00.000Z, found \(timestampText.debugDescription)")
        }
        let level = try record.string("level")
        guard HeartbeatLevel(rawValue: level) != nil else {
            throw invalid("level: expected \"info\" or \"warn\", found \(level.debugDescription)")
        }
        _ = try record.string("message")
        let sequence = try record.integer("seq", as: UInt64.self)
        let processID = try record.integer("pid", as: Int32.self)
        let triggerText = try record.string("trigger")
        guard let trigger = Heartbeat.Trigger(rawValue: triggerText) else {
            throw invalid("trigger: expected \"scheduled\", \"requested\" or \"final\", found \(triggerText.debugDescription)")
        }
        let elapsed = try record.duration("elapsed_s")
        let resources = ResourceUsage(
            rssBytes: try record.optionalInteger("rss_bytes", as: UInt64.self),
            peakRSSBytes: try record.optionalInteger("peak_rss_bytes", as: UInt64.self),
            threads: try record.optionalInteger("process_threads", as: UInt64.self),
            readBytes: try record.optionalInteger("read_bytes", as: UInt64.self),
            writeBytes: try record.optionalInteger("write_bytes", as: UInt64.self)
        )
        let cpu = CPUUsage(
            coresBusy: try record.optionalDouble("cpu_cores"),
            availableCores: try record.optionalDouble("cpu_available_cores"),
            window: try record.optionalDuration("cpu_window_s")
        )
        let instrumented = try record.integer("instrumented_threads", as: Int.self)
        var active: ActivePhase?
        if var object = try record.optionalObject("active") {
            active = ActivePhase(
                lane: try object.lane("lane"),
                label: try object.string("label"),
                age: try object.duration("age_s"),
                progress: try object.progress("progress")
            )
            try object.finish()
        }
        let threshold = try record.duration("stall_threshold_s")
        var stalls: [Stall] = []
        for var object in try record.objects("stalls") {
            stalls.append(Stall(lane: try object.lane("thread"), label: try object.string("label"),
                                age: try object.duration("stuck_s")))
            try object.finish()
        }
        let omittedStalls = try record.integer("stalls_omitted", as: Int.self)
        var phases: [Phase] = []
        for var object in try record.objects("phases") {
            phases.append(Phase(
                lane: try object.lane("thread"),
                depth: try object.integer("depth", as: Int.self),
                label: try object.string("label"),
                age: try object.duration("in_frame_s"),
                sinceLastChange: try object.duration("updated_ago_s"),
                progress: try object.progress("progress")
            ))
            try object.finish()
        }
        let omittedPhases = try record.integer("phases_omitted", as: Int.self)
        let dropped = try record.integer("dropped_records", as: UInt64.self)
        var attributes: [String: String] = [:]
        guard var attributeObject = try record.optionalObject("attributes") else {
            throw invalid("attributes: expected an object, found null")
        }
        for key in attributeObject.keys {
            attributes[key] = try attributeObject.string(key)
        }
        try record.finish()
        let heartbeat = Heartbeat(
            sequence: sequence, timestamp: timestamp, trigger: trigger, processID: processID,
            elapsed: elapsed, resources: resources, cpu: cpu, instrumentedLanes: instrumented,
            active: active, stalls: stalls, phases: phases, omittedPhases: omittedPhases,
            stallThreshold: threshold
        )
        return DecodedRecord(heartbeat: heartbeat, attributes: attributes, droppedRecords: dropped,
                             omittedStalls: omittedStalls)
    }
}

func invalid(_ message: String) -> ExportError {
    ExportError(code: .invalidRecord, message: message)
}

// MARK: - Typed field access

/// Reads the fields of one JSON object, each exactly once, and complains about the rest.
private struct ObjectReader {
    private var fields: [String: JSONValue]
    private let path: String
    /// Keys in document order, for error messages and attribute maps.
    let keys: [String]

    init(_ value: JSONValue, path: String) throws(ExportError) {
        guard case .object(let pairs) = value else {
            throw invalid("\(path.isEmpty ? "record" : path): expected an object, found \(value.kindName)")
        }
        var fields: [String: JSONValue] = [:]
        fields.reserveCapacity(pairs.count)
        for (key, value) in pairs { fields[key] = value }
        self.fields = fields
        self.keys = pairs.map(\.key)
        self.path = path
    }

    private func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private mutating func take(_ key: String) throws(ExportError) -> JSONValue {
        guard let value = fields.removeValue(forKey: key) else {
            throw invalid("missing field '\(name(key))'")
        }
        return value
    }

    private func mistyped(_ key: String, _ expected: String, _ value: JSONValue) -> ExportError {
        invalid("\(name(key)): expected \(expected), found \(value.kindName)")
    }

    /// Fails on the first field nobody asked for: a misspelled key must not pass silently.
    func finish() throws(ExportError) {
        if let extra = keys.first(where: { fields[$0] != nil }) {
            throw invalid("unknown field '\(name(extra))'")
        }
    }

    mutating func string(_ key: String) throws(ExportError) -> String {
        let value = try take(key)
        guard case .string(let text) = value else { throw mistyped(key, "a string", value) }
        return text
    }

    mutating func integer<T: FixedWidthInteger>(_ key: String, as type: T.Type) throws(ExportError) -> T {
        let value = try take(key)
        return try integer(key, value, as: type)
    }

    mutating func optionalInteger<T: FixedWidthInteger>(_ key: String, as type: T.Type) throws(ExportError) -> T? {
        let value = try take(key)
        if case .null = value { return nil }
        return try integer(key, value, as: type)
    }

    private func integer<T: FixedWidthInteger>(_ key: String, _ value: JSONValue, as type: T.Type) throws(ExportError) -> T {
        guard case .number(let text) = value else { throw mistyped(key, "an integer", value) }
        // The number grammar was checked by the parser; an integer has no fraction or exponent.
        guard !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else {
            throw invalid("\(name(key)): expected an integer, found \(text)")
        }
        if text.hasPrefix("-") {
            throw invalid("\(name(key)): expected a non-negative integer, found \(text)")
        }
        guard let result = T(text) else {
            throw invalid("\(name(key)): \(text) is out of range (\(T.min) through \(T.max))")
        }
        return result
    }

    mutating func optionalDouble(_ key: String) throws(ExportError) -> Double? {
        let value = try take(key)
        if case .null = value { return nil }
        guard case .number(let text) = value, let result = Double(text), result.isFinite else {
            throw mistyped(key, "a number or null", value)
        }
        return result
    }

    mutating func duration(_ key: String) throws(ExportError) -> Duration {
        let value = try take(key)
        return try duration(key, value)
    }

    mutating func optionalDuration(_ key: String) throws(ExportError) -> Duration? {
        let value = try take(key)
        if case .null = value { return nil }
        return try duration(key, value)
    }

    /// Seconds with at most millisecond precision, read from the decimal text: `142.318` is
    /// exactly 142 318 ms however large, which a `Double` could not promise.
    private func duration(_ key: String, _ value: JSONValue) throws(ExportError) -> Duration {
        guard case .number(let text) = value else { throw mistyped(key, "seconds as a number", value) }
        guard let milliseconds = Self.milliseconds(fromSeconds: text) else {
            throw invalid("\(name(key)): expected non-negative seconds with at most 3 fraction digits, found \(text)")
        }
        return .milliseconds(milliseconds)
    }

    static func milliseconds(fromSeconds text: String) -> Int64? {
        let utf8 = Array(text.utf8)
        var index = 0
        var whole: Int64 = 0
        while index < utf8.count, utf8[index] >= UInt8(ascii: "0"), utf8[index] <= UInt8(ascii: "9") {
            let (times, overflow) = whole.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdding) = times.addingReportingOverflow(Int64(utf8[index] - UInt8(ascii: "0")))
            guard !overflow, !overflowAdding else { return nil }
            whole = sum
            index += 1
        }
        guard index > 0 else { return nil }
        var fraction: Int64 = 0
        var digits = 0
        if index < utf8.count {
            guard utf8[index] == UInt8(ascii: ".") else { return nil }
            index += 1
            while index < utf8.count {
                let byte = utf8[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                if digits < 3 {
                    fraction = fraction * 10 + Int64(byte - UInt8(ascii: "0"))
                } else if byte != UInt8(ascii: "0") {
                    return nil
                }
                digits += 1
                index += 1
            }
        }
        while digits < 3 {
            fraction *= 10
            digits += 1
        }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return nil }
        let (total, overflowAdding) = scaled.addingReportingOverflow(fraction)
        return overflowAdding ? nil : total
    }

    mutating func lane(_ key: String) throws(ExportError) -> LaneID {
        let text = try string(key)
        guard let lane = Self.lane(parsing: text) else {
            throw invalid("\(name(key)): expected a lane like \"ThreadId(3)/name\" or \"TaskId(7)\", found \(text.debugDescription)")
        }
        return lane
    }

    /// `ThreadId(N)[/name]` or `TaskId(N)[/name]`, read byte by byte: `LaneID(parsing:)` works
    /// on `Character`s, so a name starting with a combining mark fuses with the `/` and is lost.
    static func lane(parsing text: String) -> LaneID? {
        let utf8 = Array(text.utf8)
        let kind: LaneID.Kind
        var index: Int
        if utf8.starts(with: "ThreadId(".utf8) {
            kind = .thread
            index = 9
        } else if utf8.starts(with: "TaskId(".utf8) {
            kind = .task
            index = 7
        } else {
            return nil
        }
        let digitsStart = index
        while index < utf8.count, utf8[index] >= UInt8(ascii: "0"), utf8[index] <= UInt8(ascii: "9") { index += 1 }
        guard index > digitsStart, index < utf8.count, utf8[index] == UInt8(ascii: ")"),
              let number = UInt64(String(decoding: utf8[digitsStart ..< index], as: UTF8.self))
        else { return nil }
        index += 1
        if index == utf8.count { return LaneID(kind: kind, number: number) }
        guard utf8[index] == UInt8(ascii: "/") else { return nil }
        return LaneID(kind: kind, number: number, name: String(decoding: utf8[(index + 1)...], as: UTF8.self))
    }

    mutating func optionalObject(_ key: String) throws(ExportError) -> ObjectReader? {
        let value = try take(key)
        if case .null = value { return nil }
        return try ObjectReader(value, path: name(key))
    }

    mutating func objects(_ key: String) throws(ExportError) -> [ObjectReader] {
        let value = try take(key)
        guard case .array(let elements) = value else { throw mistyped(key, "an array", value) }
        var readers: [ObjectReader] = []
        readers.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            readers.append(try ObjectReader(element, path: "\(name(key))[\(index)]"))
        }
        return readers
    }

    /// `null`, or `{current, total, elapsed_s, rate_per_s, eta_s}`; the last two are derived,
    /// so they are checked for type and otherwise recomputed from the rest.
    mutating func progress(_ key: String) throws(ExportError) -> ProgressReading? {
        guard var object = try optionalObject(key) else { return nil }
        let current = try object.integer("current", as: UInt64.self)
        let total = try object.optionalInteger("total", as: UInt64.self) ?? 0
        let elapsed = try object.duration("elapsed_s")
        _ = try object.optionalDouble("rate_per_s")
        _ = try object.optionalDuration("eta_s")
        try object.finish()
        return ProgressReading(current: current, total: total, elapsed: elapsed)
    }
}
