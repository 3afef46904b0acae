@testable import MonitorExport
import Testing

@Suite("ExportLimits")
struct ExportLimitsTests {
    @Test(
        "cap keeps whole characters and says how many bytes it cut",
        arguments: [
            (16, "short", "short"),
            (16, "exactly 16 bytes", "exactly 16 bytes"),
            (16, "seventeen bytes!!", "se…[+15 bytes]"),  // the 14-byte marker leaves 2 bytes
            (16, "a fairly long phase label", "a …[+23 bytes]"),
            (20, "日本語のラベルです", "日本…[+21 bytes]"),
            (16, "👨\u{200d}👩\u{200d}👧 family", "…[+25 bytes]"),  // one 18-byte character never splits
        ]
    )
    func cap(_ maxLabelBytes: Int, _ label: String, _ expected: String) throws {
        let limits = try ExportLimits(maxLabelBytes: maxLabelBytes)
        let capped = limits.cap(label)
        #expect(capped == expected)
        #expect(capped.utf8.count <= maxLabelBytes)
    }

    @Test("cap leaves labels of exactly the limit alone and cuts one byte more", arguments: [16, 64, 256, 4096])
    func boundary(_ maxLabelBytes: Int) throws {
        let limits = try ExportLimits(maxLabelBytes: maxLabelBytes)
        let fits = String(repeating: "x", count: maxLabelBytes)
        #expect(limits.cap(fits) == fits)
        let over = limits.cap(fits + "y")
        #expect(over.utf8.count <= maxLabelBytes)
        #expect(over.hasPrefix("x"))
        #expect(over.hasSuffix(" bytes]"))
    }

    @Test("the default limits are 256-byte labels and 16 KiB lines")
    func defaults() {
        #expect(ExportLimits.default.maxLabelBytes == 256)
        #expect(ExportLimits.default.maxLineBytes == 16 * 1024)
        // The marker is sized for the worst case (300 has more digits than the 59 finally cut), so
        // the result can be a byte short of the limit; it is never over it.
        #expect(ExportLimits.default.cap(String(repeating: "x", count: 300)) == String(repeating: "x", count: 241) + "…[+59 bytes]")
    }

    @Test("limits out of range throw an error that names the field and the value", arguments: [
        (15, 16 * 1024, "maxLabelBytes", "(got 15)"),
        (4097, 16 * 1024, "maxLabelBytes", "(got 4097)"),
        (256, 2047, "maxLineBytes", "(got 2047)"),
        (256, (1 << 20) + 1, "maxLineBytes", "(got 1048577)"),
    ])
    func invalid(_ label: Int, _ line: Int, _ field: String, _ value: String) {
        #expect {
            try ExportLimits(maxLabelBytes: label, maxLineBytes: line)
        } throws: { error in
            guard let error = error as? ExportError else { return false }
            return error.code == .invalidConfiguration && error.message.contains(field) && error.message.contains(value)
        }
    }

    @Test("a huge label under a tiny limit never exceeds it: a bare ellipsis replaces the marker", arguments: [10_000, 1_000_000])
    func markerLongerThanTheLimit(_ size: Int) throws {
        let limits = try ExportLimits(maxLabelBytes: 16)
        let capped = limits.cap(String(repeating: "y", count: size))
        #expect(capped.utf8.count <= 16)
        #expect(capped == String(repeating: "y", count: 13) + "…")
    }
}
