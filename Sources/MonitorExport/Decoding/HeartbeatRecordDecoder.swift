import Foundation
import ProcessMonitor

/// Reads a ``JSONLinesFormat`` record back into a `Heartbeat`, strictly.
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
    package static let maxLineBytes = 1 << 20

    /// Creates a decoder.
    public init() {}

    /// Decodes one record; a trailing `\n` (or `\r\n`) is allowed.
    ///
    /// - Throws: ``ExportError`` with code `invalidRecord` and a message that names the field.
    ///
    /// ```swift
    /// do {
    ///     _ = try HeartbeatRecordDecoder().decode(line: #"{"seq": 1}"#)
    /// } catch {
    ///     print(error.message)  // names the first field that is missing or malformed
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
        var record = try ObjectReader(try parsed.get(), path: "")
        let version = try record.integer("schema_version", as: Int.self)
        guard RecordFields.supportedVersions.contains(version) else {
            throw invalid("unsupported schema_version \(version); this decoder reads versions "
                + "\(RecordFields.supportedVersions.lowerBound) through \(RecordFields.supportedVersions.upperBound)")
        }
        let timestampText = try record.string("timestamp")
        guard let timestamp = parseRFC3339Milliseconds(timestampText) else {
            throw invalid("timestamp: expected RFC 3339 UTC with 3 fraction digits like "
                + "2024-05-01T12:00:00.000Z, found \(timestampText.debugDescription)")
        }
        let level = try record.string("level")
        guard let recordLevel = HeartbeatLevel(rawValue: level) else {
            throw invalid("level: expected \"info\" or \"warn\", found \(level.debugDescription)")
        }
        let message = try record.string("message")
        guard message.hasPrefix("heartbeat: ") else {
            throw invalid("message: expected a summary starting with \"heartbeat: \", found \(message.debugDescription)")
        }
        var heartbeat = Heartbeat.blank
        heartbeat.timestamp = timestamp
        try record.read(into: &heartbeat, RecordFields.fields(RecordFields.headline, version: version), version: version)
        heartbeat.stalls = try record.elements("stalls", RecordFields.stall, blank: .blank, version: version)
        let omittedStalls = try record.integer("stalls_omitted", as: Int.self)
        if version >= 2 {
            heartbeat.stallEnds = try record.elements("stall_ends", RecordFields.stallEnd, blank: .blank, version: version)
            _ = try record.integer("stall_ends_omitted", as: Int.self)
            _ = try record.elements("warnings", RecordFields.warning, blank: .blank, version: version)
        }
        if version >= 3 {
            heartbeat.forecasts = try record.elements("forecasts", RecordFields.forecast, blank: .blank, version: version)
        }
        heartbeat.phases = try record.elements("phases", RecordFields.phase, blank: .blank, version: version)
        heartbeat.omittedPhases = try record.integer("phases_omitted", as: Int.self)
        if version < 3 {
            // Before version 3 every scope had the monitor's threshold as far as the record says.
            for index in heartbeat.stalls.indices { heartbeat.stalls[index].threshold = heartbeat.stallThreshold }
            for index in heartbeat.phases.indices { heartbeat.phases[index].stallThreshold = heartbeat.stallThreshold }
        }
        let dropped = try record.integer("dropped_records", as: UInt64.self)
        var attributes: [String: String] = [:]
        guard var attributeObject = try record.optionalObject("attributes") else {
            throw invalid("attributes: expected an object, found null")
        }
        for key in attributeObject.keys {
            do throws(ExportError) {
                try MachineAttributes.checkKey(key)
            } catch {
                throw invalid("attributes: \(error.message)")
            }
            attributes[key] = try attributeObject.string(key)
        }
        try record.finish()
        // The level is derived, so a record whose level disagrees with its content is not ours.
        let warns = !heartbeat.stalls.isEmpty || omittedStalls > 0 || (version >= 2 && !heartbeat.resourceWarnings.isEmpty)
            || !heartbeat.forecasts.isEmpty
        guard recordLevel == (warns ? .warning : .info) else {
            throw invalid("level: \(level.debugDescription) does not match the record, which "
                + (warns ? "carries stalls, resource warnings or forecasts (expected \"warn\")"
                    : "carries no stalls, resource warnings or forecasts (expected \"info\")"))
        }
        return DecodedRecord(heartbeat: heartbeat, attributes: attributes, droppedRecords: dropped,
                             omittedStalls: omittedStalls, schemaVersion: version)
    }
}

func invalid(_ message: String) -> ExportError {
    ExportError(code: .invalidRecord, message: message)
}

// MARK: - Typed field access

/// Reads the fields of one JSON object, each exactly once, and complains about the rest.
struct ObjectReader {
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

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

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

    mutating func optionalString(_ key: String) throws(ExportError) -> String? {
        let value = try take(key)
        if case .null = value { return nil }
        guard case .string(let text) = value else { throw mistyped(key, "a string or null", value) }
        return text
    }

    /// An array of strings, or `nil` for `null`.
    mutating func optionalStrings(_ key: String) throws(ExportError) -> [String]? {
        let value = try take(key)
        if case .null = value { return nil }
        guard case .array(let elements) = value else { throw mistyped(key, "an array of strings or null", value) }
        var strings: [String] = []
        strings.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard case .string(let text) = element else {
                throw invalid("\(name(key))[\(index)]: expected a string, found \(element.kindName)")
            }
            strings.append(text)
        }
        return strings
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
        guard let lane = LaneID(parsing: text) else {
            throw invalid("\(name(key)): expected a lane like \"ThreadId(3)/name\" or \"TaskId(7)\", found \(text.debugDescription)")
        }
        return lane
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

    /// Reads `fields` of this object into `root`, in table order, checking each value's type
    /// and bounds as the schema does.
    mutating func read<Root>(into root: inout Root, _ fields: [RecordField<Root>], version: Int) throws(ExportError) {
        for field in fields {
            let key = field.key
            switch field.kind.storage {
            case .count(_, let set, let nullable, let minimum, let maximum):
                let value = nullable ? try optionalInteger(key, as: UInt64.self) : try integer(key, as: UInt64.self)
                if let value, value < minimum || value > maximum {
                    throw invalid("\(name(key)): \(value) is out of range (\(minimum) through \(maximum))")
                }
                if !field.kind.derived { set(&root, value) }
            case .seconds(_, let set, let nullable):
                let value = nullable ? try optionalDuration(key) : try duration(key)
                if !field.kind.derived { set(&root, value) }
            case .number(_, let set, _, let positive):
                let value = try optionalDouble(key)
                if let value, value < 0 || (positive && value == 0) {
                    throw invalid("\(name(key)): expected a number \(positive ? "above" : "of at least") 0 or null, found \(value)")
                }
                if !field.kind.derived { set(&root, value) }
            case .word(_, let set, let allowed):
                let word = try string(key)
                guard set(&root, word) else {
                    throw invalid("\(name(key)): expected one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", ")), found \(word.debugDescription)")
                }
            case .label(_, let set):
                set(&root, try string(key))
            case .lane(_, let set, let nullable):
                if nullable, case .null? = peek(key) {
                    _ = try optionalObject(key)
                    set(&root, nil)
                } else {
                    set(&root, try lane(key))
                }
            case .progress(_, let set):
                guard var object = try optionalObject(key) else {
                    set(&root, nil)
                    continue
                }
                var progress = ProgressReading.blank
                try object.read(into: &progress, RecordFields.fields(RecordFields.progress, version: version), version: version)
                try object.finish()
                set(&root, progress)
            case .active(_, let set):
                guard var object = try optionalObject(key) else {
                    set(&root, nil)
                    continue
                }
                var active = Heartbeat.ActivePhase.blank
                try object.read(into: &active, RecordFields.fields(RecordFields.active, version: version), version: version)
                try object.finish()
                set(&root, active)
            case .text(_, let set, let allowed):
                let text = try optionalString(key)
                guard set(&root, text) else {
                    let expected = (allowed ?? []).map { "\"\($0)\"" }.joined(separator: ", ")
                    throw invalid("\(name(key)): expected one of \(expected) or null, found \(text.map { MessageValue.quoted($0) } ?? "null")")
                }
            case .frames(_, let set):
                set(&root, try elements(key, RecordFields.frame, blank: Heartbeat.ScopeFrame(label: "", age: .zero), version: version))
            case .lines(_, let set):
                set(&root, try optionalStrings(key))
            }
        }
    }

    /// The array `key`, each element an object of `fields`.
    mutating func elements<Root>(_ key: String, _ fields: [RecordField<Root>], blank: Root, version: Int) throws(ExportError) -> [Root] {
        let fields = RecordFields.fields(fields, version: version)
        var elements: [Root] = []
        for var object in try objects(key) {
            var element = blank
            try object.read(into: &element, fields, version: version)
            try object.finish()
            elements.append(element)
        }
        return elements
    }

    private func peek(_ key: String) -> JSONValue? { fields[key] }

}
