import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

/// The field table is the one description of a record: these tests hold it against the
/// published JSON Schemas and the README's key table, so none of the three can drift.
@Suite struct RecordFieldsTests {
    // Four levels up from Tests/MonitorExportTests/Formats/RecordFieldsTests.swift: the package root.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent(path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Property names in document order (JSONSerialization's dictionaries have none).
    static func orderedKeys(of object: String, in path: String) throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        // The schema files are written by one tool with two-space indentation: a property of
        // `object` is a line `<indent>"name": {` right below its `"properties": {` line.
        var keys: [String] = []
        var inside = false
        var indent = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            let depth = line.count - trimmed.count
            if !inside {
                if trimmed.hasPrefix("\"properties\": {"), line.contains(object) || object.isEmpty {
                    inside = true
                    indent = depth + 2
                }
                continue
            }
            if depth < indent { break }
            if depth == indent, trimmed.hasPrefix("\""), let end = trimmed.dropFirst().firstIndex(of: "\"") {
                keys.append(String(trimmed.dropFirst()[..<end]))
            }
        }
        return keys
    }

    static func schemaPath(version: Int) -> String {
        version == 1 ? "schemas/heartbeat.schema.json" : "schemas/heartbeat.v\(version).schema.json"
    }

    /// Whether `property` (resolved through `$ref`s into `defs`) accepts `null`.
    static func acceptsNull(_ property: [String: Any], defs: [String: Any]) -> Bool {
        if let reference = property["$ref"] as? String, let name = reference.split(separator: "/").last,
           let target = defs[String(name)] as? [String: Any] {
            return acceptsNull(target, defs: defs)
        }
        if let types = property["type"] as? [String] { return types.contains("null") }
        if let type = property["type"] as? String { return type == "null" }
        if let options = property["anyOf"] as? [[String: Any]] { return options.contains { acceptsNull($0, defs: defs) } }
        return false
    }

    static func minimum(_ property: [String: Any], defs: [String: Any]) -> Double? {
        if let reference = property["$ref"] as? String, let name = reference.split(separator: "/").last,
           let target = defs[String(name)] as? [String: Any] {
            return minimum(target, defs: defs)
        }
        if let value = property["minimum"] as? NSNumber { return value.doubleValue }
        if let value = property["exclusiveMinimum"] as? NSNumber { return value.doubleValue + 0.5 }
        return nil
    }

    /// Each field's key, null rule and lower bound against the schema object `properties`.
    func check<Root>(_ fields: [RecordField<Root>], against properties: [String: Any], required: [String], defs: [String: Any],
                     where location: String, bounds: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Set(fields.map(\.key)).isSubset(of: Set(required)), "\(location): every field is required", sourceLocation: sourceLocation)
        for field in fields {
            guard let property = properties[field.key] as? [String: Any] else {
                Issue.record("\(location).\(field.key) is not in the schema", sourceLocation: sourceLocation)
                continue
            }
            let nullable: Bool
            var bound: Double?
            switch field.kind.storage {
            case .count(_, _, let canBeNull, let minimum, _):
                nullable = canBeNull
                bound = Double(minimum)
            case .seconds(_, _, let canBeNull): nullable = canBeNull
            case .number(_, _, let canBeNull, let positive):
                nullable = canBeNull
                bound = positive ? 0.5 : 0
            case .lane(_, _, let canBeNull): nullable = canBeNull
            case .progress, .active: nullable = true
            case .word, .label, .frames: nullable = false
            case .text, .lines: nullable = true
            }
            #expect(Self.acceptsNull(property, defs: defs) == nullable, "\(location).\(field.key): null rule",
                    sourceLocation: sourceLocation)
            if bounds, let bound, bound > 0 {
                #expect(Self.minimum(property, defs: defs) == bound, "\(location).\(field.key): lower bound",
                        sourceLocation: sourceLocation)
            }
        }
    }

    @Test(arguments: RecordFields.supportedVersions)
    func theTableIsTheJSONSchema(version: Int) throws {
        let path = Self.schemaPath(version: version)
        let schema = try Self.json(path)
        let defs = try #require(schema["$defs"] as? [String: Any])
        let properties = try #require(schema["properties"] as? [String: Any])
        let required = try #require(schema["required"] as? [String])
        // Top level: the same keys in the same order, required and declared.
        #expect(required == RecordFields.topLevelKeys(version: version))
        #expect(try Self.orderedKeys(of: "", in: path) == RecordFields.topLevelKeys(version: version))
        // Version 1 had whole available cores (minimum 1); version 2 reads fractions (above 0),
        // which the decoder applies to both, so bounds are compared for the current version.
        check(RecordFields.fields(RecordFields.headline, version: version), against: properties, required: required,
              defs: defs, where: "record", bounds: version == RecordFields.currentVersion)
        // Nested objects: each table against its definition.
        func object(_ name: String) throws -> (properties: [String: Any], required: [String]) {
            let definition = try #require(defs[name] as? [String: Any], "$defs.\(name)")
            return (try #require(definition["properties"] as? [String: Any]), try #require(definition["required"] as? [String]))
        }
        func same<Root>(_ name: String, _ table: [RecordField<Root>]) throws {
            let (properties, required) = try object(name)
            let fields = RecordFields.fields(table, version: version)
            #expect(required == fields.map(\.key), "$defs.\(name): the keys, in order")
            check(fields, against: properties, required: required, defs: defs, where: name)
        }
        try same("active", RecordFields.active)
        try same("progress", RecordFields.progress)
        try same("stall", RecordFields.stall)
        try same("phase", RecordFields.phase)
        if version >= 2 {
            try same("stallEnd", RecordFields.stallEnd)
            try same("warning", RecordFields.warning)
        }
        if version >= 3 {
            try same("frame", RecordFields.frame)
            try same("forecast", RecordFields.forecast)
        }
        #expect((properties["schema_version"] as? [String: Any])?["const"] as? Int == version)
    }

    @Test func theTableIsTheLogfmtSchema() throws {
        let schema = try Self.json("schemas/logfmt-line.v\(RecordFields.currentVersion).schema.json")
        let properties = try #require(schema["properties"] as? [String: Any])
        // Every flattened key the format can write is declared.
        var keys = Set(RecordFields.headline.filter { $0.key != "active" }.map(\.key))
        keys.formUnion(RecordFields.active.filter { $0.key != "progress" }.map { "active_" + $0.key })
        keys.formUnion(RecordFields.progress.map { "progress_" + $0.key })
        for table in [RecordFields.stall.filter { $0.key != "progress" }.map(\.key), RecordFields.stallEnd.map(\.key),
                      RecordFields.warning.map(\.key), RecordFields.forecast.map(\.key),
                      RecordFields.phase.filter { $0.key != "progress" }.map(\.key)] {
            keys.formUnion(table)
        }
        let declared = Set(properties.keys)
        #expect(keys.subtracting(declared).isEmpty, "undeclared: \(keys.subtracting(declared).sorted())")
        // And the headline rule requires exactly the headline's fields (active ones are optional).
        let rules = try #require(schema["allOf"] as? [[String: Any]])
        let headline = try #require(rules.first { (($0["if"] as? [String: Any])?["properties"] as? [String: Any])
            .flatMap { ($0["msg"] as? [String: Any])?["const"] as? String } == "heartbeat" })
        let required = try #require((headline["then"] as? [String: Any])?["required"] as? [String])
        let expected = ["schema_version"] + RecordFields.headline.filter { $0.key != "active" && $0.key != "seq" }.map(\.key)
            + ["stalls", "stall_ends", "phases_omitted", "dropped_records"]
        #expect(required == expected)
    }

    @Test func theReadmeKeyTableNamesEveryKey() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix("| key | meaning |") }, "the README's JSON Lines key table")
        var documented: [String] = []
        for line in lines[(start + 2)...] {
            guard line.hasPrefix("|") else { break }
            let firstColumn = line.split(separator: "|", omittingEmptySubsequences: true).first ?? ""
            documented += firstColumn.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        }
        #expect(documented == RecordFields.topLevelKeys(version: RecordFields.currentVersion))
    }

    @Test func everyFieldKeyIsUniqueWithinItsObject() {
        func unique<Root>(_ table: [RecordField<Root>]) -> Bool { Set(table.map(\.key)).count == table.count }
        #expect(unique(RecordFields.headline) && unique(RecordFields.active) && unique(RecordFields.progress))
        #expect(unique(RecordFields.stall) && unique(RecordFields.stallEnd) && unique(RecordFields.warning) && unique(RecordFields.phase))
        #expect(unique(RecordFields.frame) && unique(RecordFields.forecast))
        let keys = RecordFields.topLevelKeys(version: RecordFields.currentVersion)
        #expect(Set(keys).count == keys.count)
    }
}
