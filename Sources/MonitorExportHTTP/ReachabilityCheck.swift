#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import MonitorExport
import ProcessMonitor

/// A TCP connection attempt to the endpoint at start-up, so a wrong port or host fails with a
/// clear message when the job starts instead of as a trickle of dropped records later.
///
/// Only the connection is tried: no request is sent and TLS is not negotiated. Name resolution
/// uses `getaddrinfo`, which the timeout does not bound (the system resolver has its own).
enum ReachabilityCheck {
    static func check(host: String, port: Int, timeout: Duration, endpoint: String) throws(ExportError) {
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
            let reason = String(cString: gai_strerror(status))
            throw ExportError(code: .cannotOpen, message: "cannot reach \(MessageValue.excerpt(endpoint)): cannot resolve \(MessageValue.quoted(host)): \(reason)")
        }
        defer { freeaddrinfo(first) }
        var lastError: Int32 = ECONNREFUSED
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            cursor = entry.pointee.ai_next
            let result = attempt(entry.pointee, timeout: timeout)
            if result == 0 { return }
            lastError = result
        }
        let reason = lastError == ETIMEDOUT
            ? "no answer within \(timeout)" : String(cString: strerror(lastError))
        let shown = MessageValue.excerpt(host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        throw ExportError(code: .cannotOpen, message: "cannot reach \(MessageValue.excerpt(endpoint)) (\(shown)): \(reason)")
    }

    /// 0 when a connection was made, else the errno.
    private static func attempt(_ address: addrinfo, timeout: Duration) -> Int32 {
        #if os(Linux)
        let descriptor = socket(address.ai_family, address.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), address.ai_protocol)
        #else
        let descriptor = socket(address.ai_family, address.ai_socktype, address.ai_protocol)
        #endif
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        #if !os(Linux)
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        #endif
        let started = connect(descriptor, address.ai_addr, address.ai_addrlen)
        if started == 0 { return 0 }
        guard errno == EINPROGRESS else { return errno }
        let milliseconds = Int32(clamping: max(1, timeout.wholeMilliseconds))
        var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        var ready: Int32
        repeat {
            ready = poll(&poller, 1, milliseconds)
        } while ready < 0 && errno == EINTR
        guard ready > 0 else { return ready == 0 ? ETIMEDOUT : errno }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return errno }
        return error
    }
}
