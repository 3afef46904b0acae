import ProcessMonitor

/// What a format may need beyond the heartbeat itself.
///
/// ```swift
/// let context = FormatContext(droppedRecords: sink.droppedRecords)
/// ```
public struct FormatContext: Sendable, Equatable {
    /// Records the sink has dropped so far (disk full, I/O errors); machine formats report it.
    public var droppedRecords: UInt64

    /// Creates a context.
    ///
    /// ```swift
    /// FormatContext(droppedRecords: 0)
    /// ```
    public init(droppedRecords: UInt64 = 0) {
        self.droppedRecords = droppedRecords
    }
}
