#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ProcessMonitor

// Byte writers for OTLP/JSON (the protobuf JSON mapping as OTLP specifies it), shared by the
// logs and metrics requests of `OTLPJSONFormat`. The rules that trip hand-written encoders:
// 64-bit integers (`timeUnixNano`, `asInt`, `intValue`) are JSON strings, enums are integers,
// field names are lowerCamelCase, and a key appears at most once per attribute list.

/// Writes the elements of one JSON array or object, putting commas between them.
struct OTLPList {
    private var empty = true

    /// Call before each element.
    mutating func next(_ out: inout LineBuffer) {
        if empty {
            empty = false
        } else {
            out.append(byte: UInt8(ascii: ","))
        }
    }
}

extension LineBuffer {
    /// `{"key":"…","value":` for an attribute whose key is known at compile time.
    mutating func openKeyValue(_ key: StaticString) {
        append("{\"key\":\"")
        append(key)
        append("\",\"value\":")
    }

    /// `{"key":"…","value":` for a user-supplied key.
    mutating func openKeyValue(dynamic key: String) {
        append("{\"key\":")
        appendJSONString(key)
        append(",\"value\":")
    }

    /// `{"stringValue":"…"}`.
    mutating func appendStringValue(_ value: String) {
        append("{\"stringValue\":")
        appendJSONString(value)
        append("}")
    }

    /// `{"stringValue":"thread-7"}` for a lane, its label cut like every other label.
    mutating func appendLaneIDValue(_ lane: LaneID, labels: ExportLimits) {
        append("{\"stringValue\":\"")
        appendLaneID(lane, labels: labels) { $0.appendJSONStringContent($1) }
        append("\"}")
    }

    /// `{"intValue":"…"}`: int64 is a JSON string in the protobuf mapping.
    mutating func appendIntValue(_ value: Int64) {
        append("{\"intValue\":\"")
        appendInteger(value)
        append("\"}")
    }

    /// `{"doubleValue":…}` from whole milliseconds, written exactly (`142.318`).
    mutating func appendSecondsValue(_ duration: Duration) {
        append("{\"doubleValue\":")
        appendSeconds(duration)
        append("}")
    }

    /// `{"doubleValue":…}`; the caller guarantees a finite value.
    mutating func appendDoubleValue(_ value: Double) {
        append("{\"doubleValue\":")
        appendShortest(value)
        append("}")
    }

    /// `"NNN"`: a fixed64/int64 field as the JSON string the protobuf mapping wants.
    mutating func appendQuotedDecimal(_ value: UInt64) {
        append(byte: UInt8(ascii: "\""))
        appendInteger(value)
        append(byte: UInt8(ascii: "\""))
    }
}

extension UInt64 {
    /// The value as an OTLP `int64`: saturated at `Int64.max`, since a byte count of 2^63 is
    /// not a reading anyone will see and a wrapped negative one would be a lie.
    var otlpInt64: Int64 { Int64(clamping: self) }
}

/// Nanoseconds since 1970 for OTLP's `fixed64` timestamps, from a heartbeat's whole-millisecond
/// date. A date before 1970 (or NaN) becomes 0 and one past 2554 (where 64 bits of nanoseconds
/// end) saturates, so no input can make the conversion trap.
func otlpUnixNanoseconds(_ date: Date) -> UInt64 {
    let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
    guard milliseconds.isFinite, milliseconds > 0 else { return 0 }
    guard milliseconds < Double(UInt64.max / 1_000_000) else { return .max }
    return UInt64(milliseconds) * 1_000_000
}

/// Nanoseconds in a duration, 0 when negative, saturated at `UInt64.max`.
func otlpNanoseconds(_ duration: Duration) -> UInt64 {
    let milliseconds = duration.wholeMilliseconds
    guard milliseconds > 0 else { return 0 }
    let (nanoseconds, overflow) = UInt64(milliseconds).multipliedReportingOverflow(by: 1_000_000)
    return overflow ? .max : nanoseconds
}

/// What OpenTelemetry's resource conventions say about this process and host, read once.
/// `package`: the Pushgateway sink names its job after the executable too.
package enum OTLPProcessIdentity {
    /// `process.executable.name`: the base name of `/proc/self/exe`'s target, as the process
    /// conventions ask for on Linux; elsewhere (or if the link cannot be read) the base name of
    /// `argv[0]`, and `unknown` when even that is empty.
    package static func executableName() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBufferPointer { pointer -> Int in
            guard let base = pointer.baseAddress else { return -1 }
            return readlink("/proc/self/exe", base, pointer.count - 1)
        }
        var path = ""
        if count > 0 {
            path = String(decoding: buffer[0 ..< count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // The kernel appends this to the target of an executable that was replaced on disk.
            if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
        } else {
            path = CommandLine.arguments.first ?? ""
        }
        let name = path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? ""
        return name.isEmpty ? "unknown" : name
    }

    /// `host.name`: `gethostname`, or `nil` when the system will not say.
    static func hostName() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let status = buffer.withUnsafeMutableBufferPointer { pointer -> Int32 in
            guard let base = pointer.baseAddress else { return -1 }
            return gethostname(base, pointer.count - 1)
        }
        guard status == 0 else { return nil }
        let bytes = buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }
        guard !bytes.isEmpty else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
