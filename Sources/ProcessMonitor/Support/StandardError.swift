#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Writes a diagnostic straight to fd 2 with one `write`, bypassing any buffering, so it
/// cannot interleave with or be lost behind the host's own output.
func reportToStandardError(_ message: String) {
    var message = message
    message.withUTF8 { bytes in
        _ = write(2, bytes.baseAddress, bytes.count)
    }
}
