import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

/// A logfmt reader written from go-logfmt's decoder grammar, independent of the encoder, and
/// stricter than it where our output promises more: every key has `=`, no key repeats, and a
/// bare `'` is refused as newer go-logfmt decoders refuse it.
enum LogfmtTestParser {
    struct Pair: Equatable {
        var key: String
        var value: String
        var quoted: Bool
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ line: String) throws -> [Pair] {
        let bytes = Array(line.utf8)
        var pairs: [Pair] = []
        var index = 0
        func fail(_ what: String) -> ParseError { ParseError(description: "\(what) at byte \(index) of \(line.debugDescription)") }
        while true {
            while index < bytes.count, bytes[index] <= 0x20 { index += 1 }
            guard index < bytes.count else { break }
            let keyStart = index
            while index < bytes.count, bytes[index] > 0x20, bytes[index] != UInt8(ascii: "=") {
                if bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") { throw fail("quote in key") }
                index += 1
            }
            let key = String(decoding: bytes[keyStart ..< index], as: UTF8.self)
            guard !key.isEmpty else { throw fail("empty key") }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { throw fail("key without '='") }
            index += 1
            var value = ""
            var quoted = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                quoted = true
                index += 1
                var decoded: [UInt8] = []
                var closed = false
                while index < bytes.count {
                    let byte = bytes[index]
                    if byte == UInt8(ascii: "\"") {
                        closed = true
                        index += 1
                        break
                    }
                    if byte < 0x20 { throw fail("raw control character in quoted value") }
                    if byte != UInt8(ascii: "\\") {
                        decoded.append(byte)
                        index += 1
                        continue
                    }
                    index += 1
                    guard index < bytes.count else { throw fail("dangling escape") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
                    case UInt8(ascii: "n"): decoded.append(0x0A)
                    case UInt8(ascii: "r"): decoded.append(0x0D)
                    case UInt8(ascii: "t"): decoded.append(0x09)
                    case UInt8(ascii: "b"): decoded.append(0x08)
                    case UInt8(ascii: "f"): decoded.append(0x0C)
                    case UInt8(ascii: "u"):
                        guard index + 4 <= bytes.count,
                              let code = UInt32(String(decoding: bytes[index ..< index + 4], as: UTF8.self), radix: 16),
                              let scalar = Unicode.Scalar(code)
                        else { throw fail("bad \\u escape") }
                        index += 4
                        decoded.append(contentsOf: String(scalar).utf8)
                    default:
                        throw fail("unknown escape")
                    }
                }
                guard closed else { throw fail("unterminated quoted value") }
                guard index == bytes.count || bytes[index] <= 0x20 else { throw fail("text after quoted value") }
                value = String(decoding: decoded, as: UTF8.self)
            } else {
                let valueStart = index
                while index < bytes.count, bytes[index] > 0x20 {
                    switch bytes[index] {
                    case UInt8(ascii: "="), UInt8(ascii: "\""), UInt8(ascii: "'"): throw fail("unexpected byte in bare value")
                    default: index += 1
                    }
                }
                value = String(decoding: bytes[valueStart ..< index], as: UTF8.self)
            }
            guard !pairs.contains(where: { $0.key == key }) else { throw fail("duplicate key \(key)") }
            pairs.append(Pair(key: key, value: value, quoted: quoted))
        }
        return pairs
    }

    static func map(_ line: String) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try parse(line).map { ($0.key, $0.value) })
    }
}
