import Foundation
import ProcessMonitor

/// One JSON Lines record read back: the heartbeat and what the record carried beside it.
///
/// ```swift
/// let decoded = try HeartbeatRecordDecoder().decode(line: line)
/// print(decoded.heartbeat.sequence, decoded.attributes["job"] ?? "-")
/// ```
public struct DecodedRecord: Sendable, Equatable {
    /// The heartbeat, equal to the one rendered when its durations were whole milliseconds,
    /// its timestamp a whole millisecond, its labels under the label limit, and nothing had to
    /// be left out for the line limit.
    ///
    /// ```swift
    /// let lines = TextFormat().render(decoded.heartbeat, context: FormatContext())
    /// ```
    public var heartbeat: Heartbeat
    /// The record's `attributes` object.
    ///
    /// ```swift
    /// let rank = decoded.attributes["rank"] ?? "?"
    /// ```
    public var attributes: [String: String]
    /// The record's `dropped_records`: records the writing sink had lost by then.
    ///
    /// ```swift
    /// if decoded.droppedRecords > 0 { print("the log has gaps") }
    /// ```
    public var droppedRecords: UInt64
    /// The record's `stalls_omitted`: stalls left out of ``heartbeat`` for the line limit.
    ///
    /// ```swift
    /// let allStalls = decoded.heartbeat.stalls.count + decoded.omittedStalls
    /// ```
    public var omittedStalls: Int

    /// Creates a decoded record.
    ///
    /// ```swift
    /// let record = DecodedRecord(heartbeat: heartbeat, attributes: [:], droppedRecords: 0)
    /// ```
    public init(heartbeat: Heartbeat, attributes: [String: String], droppedRecords: UInt64, omittedStalls: Int = 0) {
        self.heartbeat = heartbeat
        self.attributes = attributes
        self.droppedRecords = droppedRecords
        self.omittedStalls = omittedStalls
    }
}

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
            availableCores: try record.optionalInteger("cpu_available_cores", as: Int.self),
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

private func invalid(_ message: String) -> ExportError {
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

// MARK: - Strict JSON

/// A parsed JSON value; numbers keep their text so integers and durations are read exactly.
private indirect enum JSONValue {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number(let text): "the number \(text)"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// RFC 8259 and nothing more: Foundation's `JSONSerialization` turns numbers into `NSNumber`
/// (losing the text) and accepts more than the schema's validators do.
private struct StrictJSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    /// Deep enough for a heartbeat (4 levels), shallow enough that no input can exhaust the stack.
    private static let maxDepth = 64

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func parseDocument() throws(ExportError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw error("unexpected text after the record") }
        return value
    }

    private func error(_ what: String) -> ExportError {
        invalid("malformed JSON at byte \(index): \(what)")
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(ExportError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of line") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(ExportError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of line") }
        for offset in 0 ..< count where bytes[index + offset] != literal.utf8Start[offset] {
            throw error("unexpected character")
        }
        index += count
    }

    private mutating func enter() throws(ExportError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
    }

    private mutating func parseObject() throws(ExportError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var pairs: [(key: String, value: JSONValue)] = []
        var seen = Set<String>()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(pairs)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key") }
            let key = try parseString()
            guard seen.insert(key).inserted else {
                throw invalid("duplicate field '\(key)'")
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            pairs.append((key, try parseValue()))
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of line") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
            index += 1
            return .object(pairs)
        }
    }

    private mutating func parseArray() throws(ExportError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of line") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
            index += 1
            return .array(elements)
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, returned as text.
    private mutating func parseNumber() throws(ExportError) -> String {
        let start = index
        func digit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, digit(bytes[index]) else { throw error("malformed number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, digit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, digit(bytes[index]) else { throw error("malformed number") }
            while index < bytes.count, digit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, digit(bytes[index]) else { throw error("malformed number") }
            while index < bytes.count, digit(bytes[index]) { index += 1 }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start ..< index]), as: UTF8.self)
    }

    private mutating func parseString() throws(ExportError) -> String {
        index += 1
        var result: [UInt8] = []
        var start = index
        while true {
            guard index < bytes.count else { throw error("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                if result.isEmpty {
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start ..< index]), as: UTF8.self)
                    index += 1
                    return text
                }
                result.append(contentsOf: bytes[start ..< index])
                index += 1
                return String(decoding: result, as: UTF8.self)
            }
            if byte < 0x20 { throw error("unescaped control character in a string") }
            if byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            result.append(contentsOf: bytes[start ..< index])
            // Keep `result` non-empty from here so the fast path above is not taken by mistake.
            index += 1
            guard index < bytes.count else { throw error("unterminated string") }
            let escaped = bytes[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "\""): result.append(0x22)
            case UInt8(ascii: "\\"): result.append(0x5C)
            case UInt8(ascii: "/"): result.append(0x2F)
            case UInt8(ascii: "b"): result.append(0x08)
            case UInt8(ascii: "f"): result.append(0x0C)
            case UInt8(ascii: "n"): result.append(0x0A)
            case UInt8(ascii: "r"): result.append(0x0D)
            case UInt8(ascii: "t"): result.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if (0xD800 ..< 0xDC00).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate escape")
                    }
                    index += 2
                    let low = try parseHex4()
                    guard (0xDC00 ..< 0xE000).contains(low) else { throw error("unpaired surrogate escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00 ..< 0xE000).contains(scalar) {
                    throw error("unpaired surrogate escape")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid escape") }
                result.append(contentsOf: String(Character(unicode)).utf8)
            default:
                throw error("invalid escape")
            }
            start = index
        }
    }

    private mutating func parseHex4() throws(ExportError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("unterminated \\u escape") }
        var value: UInt32 = 0
        for _ in 0 ..< 4 {
            let byte = bytes[index]
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | UInt32(nibble)
            index += 1
        }
        return value
    }
}
