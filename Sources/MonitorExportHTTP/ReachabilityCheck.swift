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
        switch TCPConnection.open(host: host, port: port, deadline: ContinuousClock.now + timeout) {
        case .success(let descriptor):
            close(descriptor)
        case .failure(let failure):
            if let resolver = failure.resolver {
                throw ExportError(
                    code: .cannotOpen,
                    message: "cannot reach \(MessageValue.excerpt(endpoint)): cannot resolve \(MessageValue.quoted(host)): \(resolver)"
                )
            }
            let reason = failure.errno == ETIMEDOUT ? "no answer within \(timeout)" : String(cString: strerror(failure.errno))
            let shown = MessageValue.excerpt(host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
            throw ExportError(code: .cannotOpen, message: "cannot reach \(MessageValue.excerpt(endpoint)) (\(shown)): \(reason)")
        }
    }
}
