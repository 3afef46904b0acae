import ProcessMonitor

/// What a format may need beyond the heartbeat itself.
public struct FormatContext: Sendable, Equatable {
    /// Records the sink has dropped so far (disk full, I/O errors); machine formats report it.
    public var droppedRecords: UInt64

    /// Creates a context.
    public init(droppedRecords: UInt64 = 0) {
        self.droppedRecords = droppedRecords
    }
}
