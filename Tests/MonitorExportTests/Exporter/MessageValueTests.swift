@testable import MonitorExport
import Testing

@Suite struct MessageValueTests {
    @Test func shortValuesAreShownWholeAndLongOnesCutWithTheirLength() {
        #expect(MessageValue.excerpt("heartbeat.jsonl") == "heartbeat.jsonl")
        #expect(MessageValue.quoted("a\"b") == #""a\"b""#)
        let exactly = String(repeating: "x", count: MessageValue.maxBytes)
        #expect(MessageValue.excerpt(exactly) == exactly, "a value at the limit is whole")
        #expect(MessageValue.excerpt(exactly + "y") == exactly + "…(201 bytes)")
        #expect(MessageValue.quoted(exactly + "y") == "\"" + exactly + "\"…(201 bytes)")
    }

    @Test func aCutNeverSplitsACharacter() {
        // 199 ASCII bytes, then a 4-byte emoji that does not fit in the remaining byte.
        let value = String(repeating: "a", count: 199) + "🙂" + "tail"
        #expect(MessageValue.excerpt(value) == String(repeating: "a", count: 199) + "…(207 bytes)")
        #expect(MessageValue.excerpt("ééé", maxBytes: 3) == "é…(6 bytes)")
    }
}
