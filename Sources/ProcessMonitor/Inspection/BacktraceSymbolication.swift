#if os(Linux) && canImport(Glibc) && (arch(x86_64) || arch(arm64))
import Foundation
import Runtime

/// Turns the addresses a signal handler recorded into readable lines, on the monitor thread.
///
/// The toolchain's `Runtime` module (SE-0419) symbolicates: it reads each image's ELF symbol
/// table (so internal Swift functions, which `dladdr` cannot see, get names), demangles, and adds
/// inlined frames and source lines from DWARF. Its `Backtrace` has no public initializer taking
/// addresses, but it is `Codable`, and its `backtrace` field is the documented Compact Backtrace
/// Format (swiftlang/swift docs/CompactBacktraceFormat.md); so the addresses are written as CBF,
/// decoded into a `Backtrace`, and symbolicated. `dladdr` plus `swift_demangle` would need no
/// format but names only exported symbols, so most frames of an executable would read `???`.
enum BacktraceSymbolication {
    /// Longest line returned; longer ones (deeply generic Swift names) are cut and say how long
    /// they were.
    static let maxLineLength = 400

    /// The addresses of the interrupted code, innermost first: the interrupted program counter,
    /// then the return addresses below it. The handler's own frames (the handler, its thunk and
    /// the kernel's signal trampoline) sit above the interrupted program counter in `unwound`
    /// and are dropped. `found` is false when the program counter is not among the unwound
    /// frames (a sanitizer that runs handlers later, on another stack): then the result is the
    /// program counter followed by everything unwound, for ``lines(unwound:interruptedPC:maxLines:)``
    /// to trim.
    static func interruptedStack(unwound: [UInt], interruptedPC: UInt) -> (addresses: [UInt], found: Bool) {
        if let start = unwound.firstIndex(of: interruptedPC) {
            return (Array(unwound[start...]), true)
        }
        return ([interruptedPC] + unwound, false)
    }

    /// Compact Backtrace Format, version 0, 64-bit: the first address as a program counter, the
    /// rest as return addresses (symbolication looks up a return address minus one, so a call
    /// that ends a function is attributed to that function), each absolute and big-endian.
    static func compactBacktraceFormat(_ addresses: [UInt]) -> [UInt8] {
        var bytes: [UInt8] = [0x02]                 // version 0, 64-bit words
        bytes.reserveCapacity(1 + addresses.count * 9 + 1)
        for (index, address) in addresses.enumerated() {
            let opcode: UInt8 = index == 0 ? 0x10 : 0x20   // pc, ra
            bytes.append(opcode | 0x08 | 0x07)             // absolute, 8 bytes follow
            let value = UInt64(address)
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            }
        }
        bytes.append(0x00)                          // end
        return bytes
    }

    /// The architecture name `Runtime` gives this machine's backtraces.
    static let architecture: String = (try? Backtrace.capture(limit: 1).architecture) ?? {
        #if arch(x86_64)
        return "x86_64"
        #else
        return "arm64"
        #endif
    }()

    /// A `Backtrace` holding exactly `addresses`, through its documented `Codable` form.
    static func backtrace(of addresses: [UInt]) -> Backtrace? {
        let encoded = Data(compactBacktraceFormat(addresses)).base64EncodedString()
        let json = #"{"architecture":"\#(architecture)","backtrace":"\#(encoded)"}"#
        return try? JSONDecoder().decode(Backtrace.self, from: Data(json.utf8))
    }

    /// Up to `maxLines` lines for the interrupted code, innermost first, such as
    /// `blockedInKnownFunction() + 52 in ProcessMonitorPackageTests.xctest at Tests.swift:31`.
    /// Inlined calls get lines of their own (`[inlined]`); Swift thunks are skipped, as Swift's
    /// own crash backtraces skip them; an address in no symbol reads `0x… in image`.
    static func lines(unwound: [UInt], interruptedPC: UInt, maxLines: Int) -> [String]? {
        guard maxLines > 0 else { return [] }
        let (addresses, found) = interruptedStack(unwound: unwound, interruptedPC: interruptedPC)
        guard let backtrace = backtrace(of: addresses),
              let symbolicated = backtrace.symbolicated(with: LoadedImages.imageMap()) else { return nil }
        var groups = frameGroups(symbolicated.frames)
        if !found { groups = dropHandlerFrames(groups) }
        var lines: [String] = []
        for group in groups where !(group.last?.isSwiftThunk ?? false) {
            for frame in group {
                if lines.count == maxLines { return lines }
                lines.append(cut(line(for: frame)))
            }
        }
        return lines
    }

    /// Symbolicated frames grouped by captured address: on Linux, `Runtime` emits each address's
    /// inlined frames (innermost first) and then exactly one frame that is not inlined.
    static func frameGroups(_ frames: [SymbolicatedBacktrace.Frame]) -> [[SymbolicatedBacktrace.Frame]] {
        var groups: [[SymbolicatedBacktrace.Frame]] = []
        var current: [SymbolicatedBacktrace.Frame] = []
        for frame in frames {
            current.append(frame)
            if !frame.inlined {
                groups.append(current)
                current = []
            }
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }

    /// When the interrupted program counter was not among the unwound frames, the handler ran
    /// later, called from the thread's own code (the thread sanitizer defers handlers to its next
    /// interception point): below the handler's thunk lies the thread's current stack, with the
    /// sanitizer's frames on top. Keep the program counter's group, then what lies below the
    /// handler's thunk, from the interrupted function's next appearance if it appears again; if
    /// the thunk is not there, keep only the program counter, which is certain.
    static func dropHandlerFrames(_ groups: [[SymbolicatedBacktrace.Frame]]) -> [[SymbolicatedBacktrace.Frame]] {
        guard let first = groups.first else { return [] }
        func name(_ group: [SymbolicatedBacktrace.Frame]) -> String? {
            guard let name = group.last?.symbol?.rawName, name != "<unknown>" else { return nil }
            return name
        }
        guard let thunk = handlerSymbolName,
              let handler = groups.indices.dropFirst().last(where: { name(groups[$0]) == thunk }) else { return [first] }
        let below = groups[(handler + 1)...]
        if let interrupted = name(first), let again = below.firstIndex(where: { name($0) == interrupted }) {
            return [first] + groups[(again + 1)...]
        }
        return [first] + below
    }

    /// The raw symbol name of the installed handler's entry point (the C-convention thunk the
    /// kernel or a sanitizer calls), looked up once.
    static let handlerSymbolName: String? = {
        let entry = UInt(bitPattern: unsafeBitCast(BacktraceSignal.handler, to: Int.self))
        return backtrace(of: [entry])?.symbolicated(with: LoadedImages.imageMap())?.frames.last?.symbol?.rawName
    }()

    /// One frame as a line.
    static func line(for frame: SymbolicatedBacktrace.Frame) -> String {
        let address = "0x" + String(UInt64(frame.captured.originalProgramCounter) ?? 0, radix: 16)
        guard let symbol = frame.symbol else { return "\(address) in no loaded image" }
        guard symbol.rawName != "<unknown>" else { return "\(address) in \(symbol.imageName)" }
        var text = symbol.name
        if !frame.inlined && symbol.offset != 0 { text += " + \(symbol.offset)" }
        text += " in \(symbol.imageName)"
        if let location = symbol.sourceLocation, location.line > 0, !location.path.hasSuffix("<compiler-generated>") {
            let file = location.path.split(separator: "/").last.map(String.init) ?? location.path
            text += " at \(file):\(location.line)"
        }
        if frame.inlined { text += " [inlined]" }
        return text
    }

    static func cut(_ line: String) -> String {
        guard line.count > maxLineLength else { return line }
        return String(line.prefix(maxLineLength)) + "… (\(line.count) characters)"
    }
}
#endif
