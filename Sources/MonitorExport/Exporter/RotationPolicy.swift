import ProcessMonitor

/// Size-based rotation for file destinations: see ``RotatingFileSink``.
public struct RotationPolicy: Sendable, Equatable {
    /// Rotate before a record would take the file past this size.
    public var maxBytes: Int
    /// Backups kept: `PATH.1` (newest) through `PATH.maxFiles`.
    public var maxFiles: Int

    /// Creates a policy; the sink validates the values when it opens.
    public init(maxBytes: Int, maxFiles: Int) {
        self.maxBytes = maxBytes
        self.maxFiles = maxFiles
    }
}
