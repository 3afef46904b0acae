import Foundation
import MonitorExport
@testable import MonitorExportHTTP
import Testing
import TestSupport

@Suite struct OTLPEndpointTests {
    @Test func appendsTheSignalPathsToTheBaseURL() throws {
        let plain = try OTLPEndpoint(parsing: "http://127.0.0.1:4318")
        #expect(plain.logsURL.absoluteString == "http://127.0.0.1:4318/v1/logs")
        #expect(plain.metricsURL.absoluteString == "http://127.0.0.1:4318/v1/metrics")
        #expect(plain.host == "127.0.0.1" && plain.port == 4318)

        let prefixed = try OTLPEndpoint(parsing: "HTTPS://gateway.example.com/otlp/")
        #expect(prefixed.logsURL.absoluteString == "HTTPS://gateway.example.com/otlp/v1/logs")
        #expect(prefixed.port == 443)
        #expect(prefixed.base == "HTTPS://gateway.example.com/otlp")

        let ipv6 = try OTLPEndpoint(parsing: "http://[::1]:4318")
        #expect(ipv6.host == "::1")
        #expect(ipv6.metricsURL.absoluteString == "http://[::1]:4318/v1/metrics")
        #expect(try OTLPEndpoint(parsing: "http://collector").port == 80)
    }

    @Test(arguments: [
        ("", "is empty"),
        ("127.0.0.1:4318", "is not a URL"),
        ("ftp://127.0.0.1:4318", "must use http or https"),
        ("file:///tmp/x", "must use http or https"),
        ("grpc://collector:4317", "must use http or https"),
        ("http://", "has no host"),
        ("http:///v1", "has no host"),
        ("http://user:secret@collector:4318", "must not carry credentials"),
        ("http://collector:4318?token=1", "must not have a query"),
        ("http://collector:4318/#top", "must not have a fragment"),
        ("http://collector:4318/v1/logs", "give the base URL"),
        ("http://collector:4318/v1/metrics/", "give the base URL"),
        ("http://collector:0", "outside 1…65535"),
        ("http://collector:99999", "port"),
        ("http://col lector:4318", "whitespace"),
        ("http://collector:4318\n", "whitespace"),
        ("not a url at all", "whitespace"),
        ("::::", "is not a URL"),
    ])
    func refusesWhatIsNotAnOTLPHTTPBaseURL(text argument: TestText, problem: String) {
        let text = argument.value
        do {
            _ = try OTLPEndpoint(parsing: text)
            Issue.record("\(text.debugDescription) was accepted")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(problem), "\(error.message)")
            #expect(error.message.contains(text.debugDescription), "the message names the value: \(error.message)")
        }
    }

    /// A megabyte of URL makes a message of a few hundred bytes that says how long it was.
    @Test func aMegabyteURLIsCutInTheMessageWithItsLength() {
        let long = "http://collector:4318/" + String(repeating: "v", count: 1 << 20) + "/v1/logs"
        let spaced = "http://col lector/" + String(repeating: "x", count: 1 << 20)
        for (text, parse) in [
            (long, { (text: String) throws(ExportError) in _ = try OTLPEndpoint(parsing: text) }),
            (spaced, { (text: String) throws(ExportError) in _ = try OTLPEndpoint(parsing: text) }),
            (long + "/metrics", { (text: String) throws(ExportError) in _ = try PushgatewaySink.parseBase(text) }),
        ] {
            do {
                try parse(text)
                Issue.record("accepted")
            } catch {
                #expect(error.message.utf8.count < 400, "\(error.message.utf8.count) bytes")
                #expect(error.message.contains("…(\(text.utf8.count) bytes)"), "\(error.message.prefix(300))")
            }
        }
    }

    @Test func neverTrapsOnAnyText() {
        // SplitMix64, seeded, so a failure reproduces.
        var state: UInt64 = 0x0_7_1_9
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let pieces = ["http://", "https://", "HTTP://", "h", "[", "]", "::1", "%", "%2", "%zz", "%41", "/", "//", "?", "#",
                      "@", ":", ":4318", ":65536", "-1", "127.0.0.1", "é", "\u{0}", " ", "v1", "/v1/logs", "..", ";", "\\"]
        for _ in 0 ..< 3000 {
            var text = ""
            for _ in 0 ..< Int(next() % 8) { text += pieces[Int(next() % UInt64(pieces.count))] }
            if let endpoint = try? OTLPEndpoint(parsing: text) {
                #expect(endpoint.logsURL.path.hasSuffix("/v1/logs"), "\(text.debugDescription)")
                #expect(["http", "https"].contains(endpoint.logsURL.scheme?.lowercased() ?? ""))
                #expect(!endpoint.host.isEmpty)
            }
        }
    }
}
