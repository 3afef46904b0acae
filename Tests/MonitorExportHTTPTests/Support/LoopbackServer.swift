#if os(Linux)
import Glibc
import Foundation
import ProcessMonitor

/// A minimal HTTP/1.1 server on a free loopback port, for tests of the real transport: it reads
/// one request per connection, records it, answers from a script (then 200) and closes.
final class LoopbackServer: Sendable {
    struct Received: Sendable {
        var requestLine: String
        var headers: [String: String]
        var body: Data
    }

    /// One scripted answer: a status line plus headers, and a body.
    struct Reply: Sendable {
        var head: String
        /// Sent as it is, with its Content-Length.
        var body = Data("{}".utf8)
        /// When set, a body of this many bytes is announced and streamed in 64 KiB pieces
        /// instead, until it is all sent or the client goes away.
        var streamedBytes: Int?
        /// Streams that body with `Transfer-Encoding: chunked`, one chunk per piece.
        var chunked = false
    }

    let port: Int
    private let listener: Int32
    private let script: LockedValue<[Reply]>
    private let log = LockedValue<[Received]>([])
    /// Body bytes the kernel accepted from this server, over all answers.
    private let sent = LockedValue(0)
    /// Connections answered and closed.
    private let handled = LockedValue(0)
    private let stopped = LockedValue(false)

    /// `responses` are raw status lines plus headers, e.g. `"503 Service Unavailable\r\nRetry-After: 0"`.
    convenience init(responses: [String] = []) throws {
        try self.init(replies: responses.map { Reply(head: $0) })
    }

    init(replies: [Reply]) throws {
        script = LockedValue(replies)
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EMFILE) }
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    var received: [Received] { log.withLock { $0 } }

    /// Adds answers to the script, each a status line plus headers.
    func queue(_ responses: [String]) {
        script.withLock { $0.append(contentsOf: responses.map { Reply(head: $0) }) }
    }

    /// Body bytes written to clients so far.
    var bodyBytesSent: Int { sent.withLock { $0 } }

    /// Connections answered and closed so far.
    var connectionsHandled: Int { handled.withLock { $0 } }

    /// Stops accepting: later connections are refused.
    ///
    /// The listening descriptor is closed by the server's own thread once it leaves its loop,
    /// never here: the thread may still be answering (a client that keeps reading a long body
    /// after the test is over), and a number closed under it could be handed to the next test's
    /// server, whose connections this thread would then accept and answer from its own script.
    func stop() {
        stopped.withLock { $0 = true }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func serve() {
        defer { close(listener) }
        while !stopped.withLock({ $0 }) {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            // Not inherited by the child processes other tests start (exit tests).
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            handle(connection)
            close(connection)
            handled.withLock { $0 += 1 }
        }
    }

    private func handle(_ connection: Int32) {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Range<Data.Index>?
        while headerEnd == nil {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { return }
            data.append(contentsOf: buffer[0 ..< count])
            headerEnd = data.range(of: Data("\r\n\r\n".utf8))
        }
        guard let end = headerEnd else { return }
        let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var body = Data(data[end.upperBound...])
        while body.count < length {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { break }
            body.append(contentsOf: buffer[0 ..< count])
        }
        log.withLock { $0.append(Received(requestLine: head.first ?? "", headers: headers, body: body)) }
        let reply = script.withLock { $0.isEmpty ? Reply(head: "200 OK") : $0.removeFirst() }
        let announced = reply.chunked ? "Transfer-Encoding: chunked" : "Content-Length: \(reply.streamedBytes ?? reply.body.count)"
        let answer = "HTTP/1.1 \(reply.head)\r\n\(announced)\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
        guard sendAll(connection, Data(answer.utf8)) else { return }
        guard let streamed = reply.streamedBytes else {
            if sendAll(connection, reply.body) { sent.withLock { $0 += reply.body.count } }
            return
        }
        let piece = Data(repeating: UInt8(ascii: "x"), count: 64 * 1024)
        var left = streamed
        while left > 0 {
            let chunk = piece.prefix(left)
            let framed = reply.chunked ? Data((String(chunk.count, radix: 16) + "\r\n").utf8) + chunk + Data("\r\n".utf8) : chunk
            // Fails once the client has closed the connection: it stopped reading.
            guard sendAll(connection, framed) else { return }
            sent.withLock { $0 += chunk.count }
            left -= chunk.count
        }
        if reply.chunked { _ = sendAll(connection, Data("0\r\n\r\n".utf8)) }
    }

    /// Sends all of `data`; false when the peer is gone. MSG_NOSIGNAL: a closed peer must not
    /// raise SIGPIPE in the test process.
    private func sendAll(_ connection: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = send(connection, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
    }
}

/// A loopback port that nothing listens on: bound, noted, and closed again.
func closedLoopbackPort() -> Int {
    let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(probe) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
#endif
