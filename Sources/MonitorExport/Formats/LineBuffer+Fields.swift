import ProcessMonitor

// Writing the field tables of `RecordFields.swift`: as JSON members, or as logfmt pairs.

extension LineBuffer {
    /// `"key":value` for each field of `root`, comma-separated (a comma before the first too
    /// when `leadingComma`).
    mutating func appendJSONFields<Root>(
        _ root: Root, _ fields: [RecordField<Root>], labels: ExportLimits, leadingComma: Bool = false
    ) {
        // By index: iterating the values would copy each field (its key and closures).
        for index in fields.indices {
            if index > 0 || leadingComma { bytes.append(0x2C) }
            append(fields[index].jsonKey)
            appendJSONValue(root, fields[index].reader, labels: labels)
        }
    }

    /// A JSON object of `fields`.
    mutating func appendJSONObject<Root>(_ root: Root, _ fields: [RecordField<Root>], labels: ExportLimits) {
        bytes.append(0x7B)  // {
        appendJSONFields(root, fields, labels: labels)
        bytes.append(0x7D)  // }
    }

    @inline(__always)
    private mutating func appendJSONValue<Root>(_ root: Root, _ reader: FieldReader<Root>, labels: ExportLimits) {
        switch reader {
        case .count(let get):
            if let value = get(root) { appendInteger(value) } else { append("null") }
        case .seconds(let get):
            if let value = get(root) { appendSeconds(value) } else { append("null") }
        case .number(let get):
            appendMachineNumber(get(root), else: "null")
        case .word(let get):
            appendJSONString(get(root))
        case .label(let get):
            appendJSONString(labels.cap(get(root)))
        case .lane(let get):
            guard let lane = get(root) else { return append("null") }
            bytes.append(0x22)
            appendLaneID(lane, labels: labels) { $0.appendJSONStringContent($1) }
            bytes.append(0x22)
        case .progress(let get):
            guard let progress = get(root) else { return append("null") }
            appendJSONObject(progress, RecordFields.progress, labels: labels)
        case .active(let get):
            guard let active = get(root) else { return append("null") }
            appendJSONObject(active, RecordFields.active, labels: labels)
        case .text(let get, let isWord):
            guard let text = get(root) else { return append("null") }
            appendJSONString(isWord ? text : labels.cap(text))
        case .frames(let get):
            appendJSONFrames(get(root), labels: labels)
        case .lines(let get):
            guard let lines = get(root) else { return append("null") }
            appendJSONLines(lines, labels: labels)
        }
    }

    /// `[{"label":…,"age_s":…},…]`.
    mutating func appendJSONFrames(_ frames: [Heartbeat.ScopeFrame], labels: ExportLimits) {
        bytes.append(0x5B)  // [
        for index in frames.indices {
            if index > 0 { bytes.append(0x2C) }
            appendJSONObject(frames[index], RecordFields.frame, labels: labels)
        }
        bytes.append(0x5D)  // ]
    }

    /// `["…","…"]`, each string cut like a label.
    mutating func appendJSONLines(_ lines: [String], labels: ExportLimits) {
        bytes.append(0x5B)  // [
        for index in lines.indices {
            if index > 0 { bytes.append(0x2C) }
            appendJSONString(labels.cap(lines[index]))
        }
        bytes.append(0x5D)  // ]
    }

    /// ` key=value` for each field of `root` (keys of flattened objects carry their prefix);
    /// a `nil` progress or active phase leaves its keys out.
    mutating func appendLogfmtFields<Root>(_ root: Root, _ fields: [RecordField<Root>], labels: ExportLimits) {
        for index in fields.indices {
            switch fields[index].reader {
            case .count(let get):
                append(fields[index].logfmtKey)
                if let value = get(root) { appendInteger(value) } else { append("null") }
            case .seconds(let get):
                append(fields[index].logfmtKey)
                if let value = get(root) { appendSeconds(value) } else { append("null") }
            case .number(let get):
                append(fields[index].logfmtKey)
                appendMachineNumber(get(root), else: "null")
            case .word(let get):
                append(fields[index].logfmtKey)
                appendLogfmtValue(get(root))
            case .label(let get):
                append(fields[index].logfmtKey)
                appendLogfmtValue(labels.cap(get(root)))
            case .lane(let get):
                append(fields[index].logfmtKey)
                if let lane = get(root) { appendLogfmtLane(lane, labels: labels) } else { append("null") }
            case .progress(let get):
                if let progress = get(root) { appendLogfmtFields(progress, RecordFields.progress, labels: labels) }
            case .active(let get):
                if let active = get(root) { appendLogfmtFields(active, RecordFields.active, labels: labels) }
            case .text(let get, let isWord):
                append(fields[index].logfmtKey)
                if let text = get(root) { appendLogfmtValue(isWord ? text : labels.cap(text)) } else { append("null") }
            case .frames(let get):
                // No arrays in logfmt: the JSON array, as one quoted value.
                append(fields[index].logfmtKey)
                let frames = get(root)
                appendLogfmtJSONArray(frames.count, labels: labels) { $0.appendJSONObject(frames[$1], RecordFields.frame, labels: labels) }
            case .lines(let get):
                append(fields[index].logfmtKey)
                guard let lines = get(root) else {
                    append("null")
                    continue
                }
                appendLogfmtJSONArray(lines.count, labels: labels) { $0.appendJSONString(labels.cap(lines[$1])) }
            }
        }
    }

    /// A JSON array of `count` elements as one logfmt value. A logfmt line holds one stall with
    /// all its keys, so the array keeps as many leading elements as fit in four label limits
    /// and ends with the string `"…+N more"` for the rest; JSON Lines carries them all.
    mutating func appendLogfmtJSONArray(_ count: Int, labels: ExportLimits, element: (inout LineBuffer, Int) -> Void) {
        let budget = 4 * labels.maxLabelBytes
        let start = self.count
        bytes.append(0x5B)  // [
        var kept = 0
        while kept < count {
            let mark = self.count
            if kept > 0 { bytes.append(0x2C) }
            element(&self, kept)
            if self.count - start > budget {
                bytes.removeSubrange(mark...)
                break
            }
            kept += 1
        }
        if kept < count {
            if kept > 0 { bytes.append(0x2C) }
            append("\"…+")
            appendInteger(count - kept)
            append(" more\"")
        }
        bytes.append(0x5D)  // ]
        makeLogfmtValue(from: start)
    }

    /// `{"key":"…","value":{…}}` for each known field of `root`, comma-separated by `list`, as
    /// OTLP attributes: an attribute has no null, so unknown figures (and a missing progress
    /// counter or active phase) are left out, and flattened objects are walked with their own
    /// key prefixes: `progress` is the progress table named for where it sits.
    mutating func appendOTLPAttributes<Root>(
        _ root: Root, _ fields: [RecordField<Root>], progress: [RecordField<ProgressReading>], labels: ExportLimits,
        list: inout OTLPList
    ) {
        for index in fields.indices {
            switch fields[index].reader {
            case .count(let get):
                guard let value = get(root) else { continue }
                list.next(&self)
                append(fields[index].otlpKey)
                appendIntValue(value.otlpInt64)
                bytes.append(0x7D)  // }
            case .seconds(let get):
                guard let value = get(root) else { continue }
                list.next(&self)
                append(fields[index].otlpKey)
                appendSecondsValue(value)
                bytes.append(0x7D)  // }
            case .number(let get):
                guard let value = get(root), value.isFinite, value >= 0 else { continue }
                list.next(&self)
                append(fields[index].otlpKey)
                appendDoubleValue(value)
                bytes.append(0x7D)  // }
            case .word(let get):
                list.next(&self)
                append(fields[index].otlpKey)
                appendStringValue(get(root))
                bytes.append(0x7D)  // }
            case .label(let get):
                list.next(&self)
                append(fields[index].otlpKey)
                appendStringValue(labels.cap(get(root)))
                bytes.append(0x7D)  // }
            case .lane(let get):
                guard let lane = get(root) else { continue }
                list.next(&self)
                append(fields[index].otlpKey)
                appendLaneIDValue(lane, labels: labels)
                bytes.append(0x7D)  // }
            case .progress(let get):
                if let reading = get(root) { appendOTLPAttributes(reading, progress, progress: progress, labels: labels, list: &list) }
            case .active(let get):
                if let active = get(root) {
                    appendOTLPAttributes(active, RecordFields.active, progress: RecordFields.activeProgress, labels: labels, list: &list)
                }
            case .text(let get, let isWord):
                guard let text = get(root) else { continue }
                list.next(&self)
                append(fields[index].otlpKey)
                appendStringValue(isWord ? text : labels.cap(text))
                bytes.append(0x7D)  // }
            case .frames(let get):
                list.next(&self)
                append(fields[index].otlpKey)
                append("{\"arrayValue\":{\"values\":[")
                var frames = OTLPList()
                for frame in get(root) {
                    frames.next(&self)
                    append("{\"kvlistValue\":{\"values\":[")
                    var members = OTLPList()
                    appendOTLPAttributes(frame, RecordFields.frame, progress: progress, labels: labels, list: &members)
                    append("]}}")
                }
                append("]}}}")
            case .lines(let get):
                guard let lines = get(root) else { continue }
                list.next(&self)
                append(fields[index].otlpKey)
                append("{\"arrayValue\":{\"values\":[")
                var values = OTLPList()
                for line in lines {
                    values.next(&self)
                    appendStringValue(labels.cap(line))
                }
                append("]}}}")
            }
        }
    }

    /// A lane id as a logfmt value: quoted as a whole when its name needs it.
    mutating func appendLogfmtLane(_ lane: LaneID, labels: ExportLimits) {
        let start = count
        appendLaneID(lane, labels: labels) { $0.append($1) }
        makeLogfmtValue(from: start)
    }

    /// Turns the bytes from `start` to the end into what ``appendLogfmtValue(_:)`` makes
    /// of them: rendered in place first, they are taken out and written again, quoted, only
    /// when they need quotes.
    mutating func makeLogfmtValue(from start: Int) {
        let needsQuotes = bytes.withUnsafeBufferPointer { Self.logfmtNeedsQuotes(UnsafeBufferPointer(rebasing: $0[start...])) }
        guard needsQuotes else { return }
        let plain = bytes.array(from: start)
        bytes.removeSubrange(start...)
        plain.withUnsafeBufferPointer { appendLogfmtValue(utf8: $0) }
    }

    /// `ThreadId(N)` or `TaskId(N)`, then `/name` (cut like a label) through `escape`.
    mutating func appendLaneID(_ lane: LaneID, labels: ExportLimits, escape: (inout LineBuffer, String) -> Void) {
        append(lane.kind == .thread ? "ThreadId(" : "TaskId(")
        appendInteger(lane.number)
        bytes.append(0x29)  // )
        if let name = lane.name {
            bytes.append(0x2F)  // /
            escape(&self, labels.cap(name))
        }
    }

    /// A finite, non-negative number: whole ones as integers (`2`), others in Swift's shortest
    /// round-trip form (`1.9`); anything else, which the core never produces, as `fallback`.
    mutating func appendMachineNumber(_ value: Double?, else fallback: StaticString) {
        guard let value, value.isFinite, value >= 0 else { return append(fallback) }
        if value < 9e15, value == value.rounded(.towardZero) {
            appendInteger(UInt64(value))
        } else {
            appendShortest(value)
        }
    }
}
