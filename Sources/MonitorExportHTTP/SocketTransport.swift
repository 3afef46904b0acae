#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ProcessMonitor

/// Plain `http://` requests over a TCP connection of the sink's own: one connection per
/// request, `Connection: close`, every step bounded by the request timeout.
///
/// It exists because `URLSession` on Linux cannot be made to stop reading: a cancelled task
/// goes on receiving (measured on loopback: 200 of 256 MiB still arrived after the cancel), so
/// a receiver answering a gigabyte costs a gigabyte of traffic and, with one connection per
/// host, holds every later heartbeat behind it. Here the answer is read up to its status,
/// headers and at most `maxBodyBytes` of body, and then the connection is closed: the kernel
/// answers whatever else arrives with a reset. A redirect is never followed; it is the outcome.
///
/// `https://` goes through ``URLSessionTransport`` (TLS), and so does `http://` when the
/// environment names an HTTP proxy (`http_proxy`), which libcurl honours and this does not.
// @unchecked Sendable: `state` is a LockedValue; the rest is immutable.
final class SocketTransport: HTTPTransport, @unchecked Sendable {
    private let headers: [(name: String, value: String)]
    private let maxBodyBytes: Int
    private let state = LockedValue<(cancelled: Bool, inFlight: Int32?)>((false, nil))

    init(headers: [(name: String, value: String)], maxBodyBytes: Int = URLSessionTransport.maxResponseBodyBytes) {
        self.headers = headers
        self.maxBodyBytes = maxBodyBytes
    }

    /// Whether requests to `url` can go through this transport: plain HTTP, no proxy configured
    /// for it in `environment`.
    static func handles(_ url: URL, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard url.scheme?.lowercased() == "http" else { return false }
        // libcurl reads only the lower-case http_proxy (the upper-case one is unsafe in CGI).
        return (environment["http_proxy"] ?? "").isEmpty && (environment["all_proxy"] ?? environment["ALL_PROXY"] ?? "").isEmpty
    }

    func post(_ request: HTTPPostRequest, timeout: Duration) -> HTTPOutcome {
        let deadline = ContinuousClock.now + timeout
        guard let host = request.url.host, !host.isEmpty else {
            return .failed(reason: "unusable URL (no host)", retryable: false)
        }
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let port = request.url.port ?? 80
        let connection: Int32
        switch TCPConnection.open(host: bareHost, port: port, deadline: deadline) {
        case .success(let descriptor): connection = descriptor
        case .failure(let failure): return failure.outcome
        }
        let registered: Bool = state.withLock { state in
            guard !state.cancelled else { return false }
            state.inFlight = connection
            return true
        }
        defer {
            state.withLock { $0.inFlight = nil }
            close(connection)
        }
        guard registered else { return .failed(reason: "cancelled", retryable: true) }

        var head = "\(request.method) \(Self.target(of: request.url)) HTTP/1.1\r\n"
        head += "Host: \(bareHost.contains(":") ? "[\(bareHost)]" : bareHost)\(port == 80 ? "" : ":\(port)")\r\n"
        head += "User-Agent: \(URLSessionTransport.userAgent)\r\nContent-Type: \(request.contentType)\r\n"
        head += "Content-Length: \(request.body.count)\r\nConnection: close\r\n"
        for header in headers { head += "\(header.name): \(header.value)\r\n" }
        head += "\r\n"
        if let failure = TCPConnection.send(Data(head.utf8) + request.body, on: connection, deadline: deadline) {
            return failure.outcome
        }
        var reader = ResponseParser(maxBodyBytes: maxBodyBytes)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while !reader.isDone {
            switch TCPConnection.receive(into: &buffer, on: connection, deadline: deadline) {
            case .success(let count):
                if count == 0 {
                    reader.end()
                } else {
                    reader.feed(buffer[0 ..< count])
                }
            case .failure(let failure):
                // An answer whose body the server cut short still has its status.
                if reader.hasHead { reader.end() } else { return failure.outcome }
            }
        }
        return reader.outcome
    }

    func cancelAll() {
        let inFlight: Int32? = state.withLock { state in
            state.cancelled = true
            return state.inFlight
        }
        // Wakes the sender's poll at once; the descriptor is closed by the sender itself.
        if let inFlight { shutdown(inFlight, Int32(SHUT_RDWR)) }
    }

    /// The request target: the URL's path (already percent-encoded) and query.
    static func target(of url: URL) -> String {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let path = components?.percentEncodedPath ?? "/"
        let query = components?.percentEncodedQuery.map { "?" + $0 } ?? ""
        return (path.isEmpty ? "/" : path) + query
    }
}

/// Reads one HTTP/1.1 answer as its bytes arrive: the status line and headers (at most 64 KiB
/// of them), then at most `maxBodyBytes` of the body, plain or chunked, after which it is
/// done and the rest is never read.
struct ResponseParser {
    let maxBodyBytes: Int
    private var pending: [UInt8] = []
    private var status: Int?
    private var fields: [String: String] = [:]
    private var body: [UInt8] = []
    private var chunked = false
    /// Body bytes still to come in the current chunk (chunked) or in all (Content-Length).
    private var remaining: Int?
    private var failure: String?
    private(set) var isDone = false

    static let maxHeadBytes = 64 * 1024

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    var hasHead: Bool { status != nil }

    mutating func feed(_ bytes: ArraySlice<UInt8>) {
        guard !isDone else { return }
        pending.append(contentsOf: bytes)
        while !isDone {
            if status == nil {
                guard parseHead() else { return }
            } else if !takeBody() {
                return
            }
        }
    }

    /// The connection ended: whatever was read is the answer.
    mutating func end() {
        if status == nil, failure == nil { failure = "the server closed the connection without an answer" }
        isDone = true
    }

    var outcome: HTTPOutcome {
        guard let status, failure == nil else {
            return .failed(reason: failure ?? "no answer", retryable: true)
        }
        if (300 ..< 400).contains(status) {
            return .redirect(status: status, location: fields["location"])
        }
        return .response(status: status, retryAfter: fields["retry-after"], body: Data(body))
    }

    /// Parses the status line and headers once they are all in; false while more is needed.
    private mutating func parseHead() -> Bool {
        guard let end = Self.find([13, 10, 13, 10], in: pending) else {
            if pending.count > Self.maxHeadBytes { fail("the answer's headers are longer than 64 KiB") }
            return false
        }
        let lines = String(decoding: pending[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        pending.removeFirst(end + 4)
        let parts = (lines.first ?? "").split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]), (100 ..< 600).contains(code) else {
            fail("the answer is not HTTP/1.x")
            return true
        }
        // 1xx answers (100 Continue) precede the real one.
        if code < 200 { return true }
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        status = code
        if fields["transfer-encoding"]?.lowercased().contains("chunked") == true {
            chunked = true
        } else if let length = fields["content-length"].flatMap({ Int($0) }), length >= 0 {
            remaining = length
        }
        if code == 204 || code == 304 || remaining == 0 { isDone = true }
        return true
    }

    /// Moves what it can from `pending` into the body; false while more is needed.
    private mutating func takeBody() -> Bool {
        if chunked && (remaining ?? 0) == 0 {
            // A chunk-size line: hex digits, optional extensions, CRLF (after the previous
            // chunk's CRLF, which is skipped here too).
            while pending.first == 13 || pending.first == 10 { pending.removeFirst() }
            guard let lineEnd = Self.find([13, 10], in: pending) else { return false }
            let sizeText = String(decoding: pending[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            pending.removeFirst(lineEnd + 2)
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                fail("the answer's chunked body is malformed")
                return true
            }
            if size == 0 {
                isDone = true
                return true
            }
            remaining = size
        }
        guard !pending.isEmpty else { return false }
        let take = min(pending.count, remaining ?? pending.count)
        body.append(contentsOf: pending.prefix(min(take, maxBodyBytes - body.count)))
        pending.removeFirst(take)
        if let left = remaining { remaining = left - take }
        if body.count >= maxBodyBytes || (!chunked && remaining == 0) { isDone = true }
        return true
    }

    private mutating func fail(_ reason: String) {
        failure = reason
        isDone = true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0 ... haystack.count - needle.count where haystack[start] == needle[0] {
            if haystack[start ..< start + needle.count].elementsEqual(needle) { return start }
        }
        return nil
    }
}

/// A TCP connection with every step bounded by a deadline: connect, send, receive. Shared by
/// the start-up reachability check and ``SocketTransport``.
enum TCPConnection {
    /// Why a step failed, as an errno (or a resolver error), and what the queue makes of it.
    struct Failure: Error {
        var errno: Int32
        var resolver: String?

        var reason: String {
            if let resolver { return "cannot resolve the host: \(resolver)" }
            switch errno {
            case ECONNREFUSED: return "cannot connect (connection refused)"
            case ETIMEDOUT: return "timed out"
            case ECONNRESET, EPIPE: return "connection lost"
            default: return String(cString: strerror(errno))
            }
        }

        /// Every network failure is worth retrying: the collector may come back.
        var outcome: HTTPOutcome { .failed(reason: reason, retryable: true) }
    }

    /// A connected, non-blocking socket to `host:port`, trying each address the resolver
    /// gives until one accepts. Name resolution uses `getaddrinfo`, which the deadline does not
    /// bound (the system resolver has its own timeout).
    static func open(host: String, port: Int, deadline: ContinuousClock.Instant) -> Result<Int32, Failure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if os(Linux)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            return .failure(Failure(errno: 0, resolver: String(cString: gai_strerror(status))))
        }
        defer { freeaddrinfo(first) }
        var lastError: Int32 = ECONNREFUSED
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            cursor = entry.pointee.ai_next
            switch attempt(entry.pointee, deadline: deadline) {
            case .success(let descriptor): return .success(descriptor)
            case .failure(let failure): lastError = failure.errno
            }
        }
        return .failure(Failure(errno: lastError))
    }

    private static func attempt(_ address: addrinfo, deadline: ContinuousClock.Instant) -> Result<Int32, Failure> {
        #if os(Linux)
        let descriptor = socket(address.ai_family, address.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), address.ai_protocol)
        #else
        let descriptor = socket(address.ai_family, address.ai_socktype, address.ai_protocol)
        #endif
        guard descriptor >= 0 else { return .failure(Failure(errno: errno)) }
        #if !os(Linux)
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        if connect(descriptor, address.ai_addr, address.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else {
                let error = errno
                close(descriptor)
                return .failure(Failure(errno: error))
            }
            if let failure = wait(for: Int16(POLLOUT), on: descriptor, deadline: deadline) {
                close(descriptor)
                return .failure(failure)
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 else {
                let failure = Failure(errno: error == 0 ? errno : error)
                close(descriptor)
                return .failure(failure)
            }
        }
        return .success(descriptor)
    }

    /// Sends all of `data`; the failure, if any.
    static func send(_ data: Data, on descriptor: Int32, deadline: ContinuousClock.Instant) -> Failure? {
        data.withUnsafeBytes { buffer -> Failure? in
            guard let base = buffer.baseAddress else { return nil }
            var offset = 0
            while offset < buffer.count {
                #if os(Linux)
                // MSG_NOSIGNAL: a server that closed must not raise SIGPIPE in the host.
                let count = Glibc.send(descriptor, base + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                #else
                let count = Darwin.send(descriptor, base + offset, buffer.count - offset, 0)
                #endif
                if count > 0 {
                    offset += count
                } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    if let failure = wait(for: Int16(POLLOUT), on: descriptor, deadline: deadline) { return failure }
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    return Failure(errno: count == 0 ? EPIPE : errno)
                }
            }
            return nil
        }
    }

    /// Reads what has arrived into `buffer` (waiting for something until the deadline): the
    /// byte count, 0 at the end of the stream.
    static func receive(into buffer: inout [UInt8], on descriptor: Int32, deadline: ContinuousClock.Instant) -> Result<Int, Failure> {
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return .success(count) }
            if errno == EINTR { continue }
            guard errno == EAGAIN || errno == EWOULDBLOCK else { return .failure(Failure(errno: errno)) }
            if let failure = wait(for: Int16(POLLIN), on: descriptor, deadline: deadline) { return .failure(failure) }
        }
    }

    /// Waits until `descriptor` is ready for `events` (or has an error or hang-up to report);
    /// a timeout when the deadline passes first.
    private static func wait(for events: Int16, on descriptor: Int32, deadline: ContinuousClock.Instant) -> Failure? {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return Failure(errno: ETIMEDOUT) }
            var poller = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&poller, 1, Int32(clamping: max(1, left.wholeMilliseconds)))
            if ready > 0 { return nil }
            if ready < 0 && errno != EINTR { return Failure(errno: errno) }
        }
    }
}
