#if os(Linux)
import Foundation
import MonitorExport
@testable import MonitorExportHTTP
import ProcessMonitor
import Testing
import TestSupport

/// The real transports (the sink's own for plain HTTP, URLSession for HTTPS and proxies) and
/// the start-up check against a server on this machine. The Python receiver in
/// `.ci/check-otlp.sh` covers the full demo; these cover the pieces.
@Suite(.serialized) struct LoopbackTransportTests {
    /// Both real transports with `headers`, by name.
    static func transports(headers: [(name: String, value: String)] = []) -> [(name: String, transport: any HTTPTransport)] {
        [("socket", SocketTransport(headers: headers)), ("URLSession", URLSessionTransport(headers: headers, timeout: .seconds(120)))]
    }

    @Test(arguments: ["socket", "URLSession"])
    func postsJSONWithTheConfiguredHeadersAndReadsRetryAfter(kind: String) throws {
        let server = try LoopbackServer(responses: ["503 Service Unavailable\r\nRetry-After: 3"])
        defer { server.stop() }
        let transport = try #require(Self.transports(headers: [(name: "Authorization", value: "Bearer t0k3n")]).first { $0.name == kind }).transport
        let url = URL(string: "http://127.0.0.1:\(server.port)/v1/logs")!
        let body = Data(#"{"resourceLogs":[]}"#.utf8)
        let first = transport.post(HTTPPostRequest(url: url, body: body), timeout: .seconds(30))
        #expect(first == .response(status: 503, retryAfter: "3", body: Data("{}".utf8)))
        let second = transport.post(HTTPPostRequest(url: url, body: body), timeout: .seconds(30))
        #expect(second == .ok)
        let received = try #require(server.received.first)
        #expect(received.requestLine == "POST /v1/logs HTTP/1.1")
        #expect(received.headers["content-type"] == "application/json")
        #expect(received.headers["authorization"] == "Bearer t0k3n")
        #expect(received.body == body)
    }

    @Test func aRefusedConnectionIsARetryableFailure() {
        let url = URL(string: "http://127.0.0.1:\(closedLoopbackPort())/v1/metrics")!
        for (name, transport) in Self.transports() {
            guard case .failed(let reason, let retryable) = transport.post(HTTPPostRequest(url: url, body: Data()), timeout: .seconds(30)) else {
                Issue.record("\(name): a closed port answered")
                continue
            }
            #expect(retryable, "\(name)")
            if name == "socket" { #expect(reason == "cannot connect (connection refused)") }
        }
    }

    /// Plain HTTP goes through the sink's own transport unless a proxy is configured, which
    /// only libcurl (URLSession) honours; HTTPS always through URLSession.
    @Test func theTransportIsChosenByTheSchemeAndTheProxyEnvironment() throws {
        let plain = try #require(URL(string: "http://127.0.0.1:4318/v1/logs"))
        #expect(SocketTransport.handles(plain, environment: [:]))
        #expect(SocketTransport.handles(plain, environment: ["https_proxy": "http://proxy:3128", "HTTP_PROXY": "x"]))
        #expect(!SocketTransport.handles(plain, environment: ["http_proxy": "http://proxy:3128"]))
        #expect(!SocketTransport.handles(plain, environment: ["ALL_PROXY": "socks5://proxy:1080"]))
        #expect(!SocketTransport.handles(try #require(URL(string: "https://collector:4318/v1/logs")), environment: [:]))
    }

    @Test func theSinkRetriesThroughARealServerAndDeliversBoth() throws {
        let server = try LoopbackServer(responses: ["503 Service Unavailable\r\nRetry-After: 0"])
        defer { server.stop() }
        var configuration = OTLPHTTPSink.Configuration()
        configuration.initialBackoff = .milliseconds(5)
        configuration.flushTimeout = .seconds(60)
        let warnings = WarningRecorder()
        let sink = try OTLPHTTPSink(endpoint: "http://127.0.0.1:\(server.port)", configuration: configuration,
                                    diagnostics: warnings.diagnostics)
        let format = try OTLPJSONFormat(attributes: ["service.name": "loopback"])
        let heartbeat = Heartbeat(
            sequence: 1, timestamp: Date(), trigger: .requested, processID: 1, elapsed: .seconds(1),
            resources: ResourceUsage(), cpu: CPUUsage(), instrumentedLanes: 0, active: nil, stalls: [],
            phases: [], omittedPhases: 0, stallThreshold: .seconds(1)
        )
        sink.send(format.payload(for: heartbeat, context: FormatContext()))
        sink.close()
        #expect(sink.statistics.sent == 2 && sink.statistics.retried == 1 && sink.droppedRecords == 0)
        #expect(server.received.map(\.requestLine) == ["POST /v1/logs HTTP/1.1", "POST /v1/logs HTTP/1.1", "POST /v1/metrics HTTP/1.1"])
        #expect(server.received[0].body == server.received[1].body)
        #expect(warnings.all.contains { $0.contains("HTTP 503 Service Unavailable; retrying in 5 ms") })
    }

    /// A receiver answering 256 MiB, plainly or chunked: the sink's own transport keeps 64 KiB
    /// and closes the connection, so the server gets to send little more than what the
    /// kernel's socket buffers hold.
    @Test func anAnswersBodyIsReadOnlyUpToTheCapThenTheConnectionIsClosed() throws {
        let huge = 256 << 20
        let server = try LoopbackServer(replies: [
            .init(head: "200 OK", streamedBytes: huge), .init(head: "400 Bad Request", streamedBytes: huge),
            .init(head: "200 OK", streamedBytes: huge, chunked: true),
        ])
        defer { server.stop() }
        let transport = SocketTransport(headers: [])
        let url = URL(string: "http://127.0.0.1:\(server.port)/v1/logs")!
        for expected in [200, 400, 200] {
            guard case .response(let status, _, let body) = transport.post(HTTPPostRequest(url: url, body: Data("{}".utf8)), timeout: .seconds(120)) else {
                Issue.record("no answer")
                return
            }
            #expect(status == expected)
            #expect(body == Data(repeating: UInt8(ascii: "x"), count: URLSessionTransport.maxResponseBodyBytes))
        }
        // The server stops when the client closes: what it sent is bounded by buffers, not by the body.
        #expect(waitUntil { server.connectionsHandled == 3 })
        #expect(server.bodyBytesSent < 3 * (16 << 20), "\(server.bodyBytesSent) bytes sent of \(3 * huge)")
    }

    /// URLSession keeps at most 64 KiB of the body too (it cannot be made to stop receiving
    /// the rest on Linux, which is why plain HTTP does not use it).
    @Test func urlSessionKeepsAtMostTheCapOfABody() throws {
        let server = try LoopbackServer(replies: [.init(head: "502 Bad Gateway", streamedBytes: 4 << 20)])
        defer { server.stop() }
        // A cap that is no multiple of libcurl's 16 KiB pieces, so the piece that crosses it shows.
        let transport = URLSessionTransport(headers: [], timeout: .seconds(120), maxBodyBytes: 50_000)
        let url = URL(string: "http://127.0.0.1:\(server.port)/v1/logs")!
        guard case .response(502, _, let body) = transport.post(HTTPPostRequest(url: url, body: Data("{}".utf8)), timeout: .seconds(120)) else {
            Issue.record("no 502 answer")
            return
        }
        #expect(body.count == 50_000)
    }

    /// The same through the sink: a 1 GiB answer to each request does not hold close() up, and
    /// the request counts as sent.
    @Test func theSinkClosesPromptlyAgainstAReceiverAnsweringAGigabyte() throws {
        let server = try LoopbackServer(replies: [.init(head: "200 OK", streamedBytes: 1 << 30), .init(head: "200 OK", streamedBytes: 1 << 30)])
        defer { server.stop() }
        var configuration = OTLPHTTPSink.Configuration()
        configuration.flushTimeout = .seconds(120)
        configuration.reachabilityCheckTimeout = nil  // its connection would count as one more
        let sink = try OTLPHTTPSink(endpoint: "http://127.0.0.1:\(server.port)", configuration: configuration,
                                    diagnostics: WarningRecorder().diagnostics)
        sink.send(try OTLPJSONFormat().payload(for: heartbeat(1), context: FormatContext()))
        sink.close()
        #expect(sink.statistics.sent == 2 && sink.statistics.dropped == 0, "\(sink.statistics)")
        #expect(waitUntil { server.connectionsHandled == 2 })
        #expect(server.bodyBytesSent < 2 * (32 << 20), "\(server.bodyBytesSent) bytes sent of 2 GiB")
    }

    /// A 307 to another port: not followed, so the Authorization header never reaches it.
    @Test func aRedirectIsNeverFollowed() throws {
        let elsewhere = try LoopbackServer()
        defer { elsewhere.stop() }
        let target = "http://127.0.0.1:\(elsewhere.port)/v1/logs"
        let server = try LoopbackServer()
        defer { server.stop() }
        let url = URL(string: "http://127.0.0.1:\(server.port)/v1/logs")!
        let body = Data(#"{"resourceLogs":[]}"#.utf8)
        for (name, transport) in Self.transports(headers: [(name: "Authorization", value: "Bearer s3cret")]) {
            server.queue(["307 Temporary Redirect\r\nLocation: \(target)", "301 Moved Permanently\r\nLocation: \(target)"])
            let before = server.received.count
            #expect(transport.post(HTTPPostRequest(url: url, body: body), timeout: .seconds(30)) == .redirect(status: 307, location: target), "\(name)")
            #expect(transport.post(HTTPPostRequest(url: url, body: body, method: "PUT"), timeout: .seconds(30)) == .redirect(status: 301, location: target), "\(name)")
            #expect(server.received.dropFirst(before).map(\.requestLine) == ["POST /v1/logs HTTP/1.1", "PUT /v1/logs HTTP/1.1"], "\(name)")
            #expect(server.received.allSatisfy { $0.body == body && $0.headers["authorization"] == "Bearer s3cret" })
            #expect(elsewhere.received.isEmpty, "\(name): the redirect was followed: \(elsewhere.received.map(\.headers))")
        }
    }

    /// Through the sink: each redirected request is dropped and counted as rejected, never as
    /// sent, and one warning says what to fix.
    @Test func theSinkCountsRedirectsAsRejectedAndWarnsOnce() throws {
        let elsewhere = try LoopbackServer()
        defer { elsewhere.stop() }
        let moved = "308 Permanent Redirect\r\nLocation: http://127.0.0.1:\(elsewhere.port)/v1/logs"
        let server = try LoopbackServer(responses: Array(repeating: moved, count: 4))
        defer { server.stop() }
        var configuration = OTLPHTTPSink.Configuration()
        configuration.headers = ["Authorization": "Bearer s3cret"]
        configuration.flushTimeout = .seconds(120)
        let warnings = WarningRecorder()
        let sink = try OTLPHTTPSink(endpoint: "http://127.0.0.1:\(server.port)", configuration: configuration,
                                    diagnostics: warnings.diagnostics)
        let format = try OTLPJSONFormat()
        sink.send(format.payload(for: heartbeat(1), context: FormatContext()))
        sink.send(format.payload(for: heartbeat(2), context: FormatContext()))
        sink.close()
        #expect(sink.statistics.sent == 0)
        #expect(sink.statistics.droppedRejected == 4)
        #expect(sink.statistics.retried == 0)
        #expect(server.received.count == 4)
        #expect(elsewhere.received.isEmpty)
        let redirects = warnings.all.filter { $0.contains("redirects") }
        #expect(redirects.count == 1, "\(warnings.all)")
        #expect(redirects.first?.contains("HTTP 308 Permanent Redirect redirects to http://127.0.0.1:\(elsewhere.port)/v1/logs, which is not followed") == true)
    }

    @Test func theStartUpCheckNamesAnEndpointThatRefusesConnections() throws {
        let port = closedLoopbackPort()
        do {
            _ = try OTLPHTTPSink(endpoint: "http://127.0.0.1:\(port)")
            Issue.record("a closed port passed the check")
        } catch {
            #expect(error.code == .cannotOpen)
            #expect(error.message == "cannot reach http://127.0.0.1:\(port) (127.0.0.1:\(port)): Connection refused")
        }
        let server = try LoopbackServer()
        defer { server.stop() }
        let sink = try OTLPHTTPSink(endpoint: "http://127.0.0.1:\(server.port)/")
        #expect(sink.logsURL.absoluteString == "http://127.0.0.1:\(server.port)/v1/logs")
        sink.close()
        do {
            _ = try OTLPHTTPSink(endpoint: "http://no-such-host.invalid:4318")
            Issue.record("an unresolvable host passed the check")
        } catch {
            #expect(error.message.hasPrefix("cannot reach http://no-such-host.invalid:4318: cannot resolve"))
        }
    }
}
#endif
