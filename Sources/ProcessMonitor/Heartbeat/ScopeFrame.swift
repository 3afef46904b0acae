extension Heartbeat {
    /// One open scope of a lane's stack, as a stall reports it.
    ///
    /// ```swift
    /// for frame in stall.stack { print(frame.label, frame.age) }  // outermost first
    /// ```
    public struct ScopeFrame: Sendable, Equatable {
        /// The scope's label.
        public var label: String
        /// How long the scope has been open.
        public var age: Duration

        /// Creates a frame.
        ///
        /// ```swift
        /// let frame = ScopeFrame(label: "load shards", age: .seconds(12))
        /// ```
        public init(label: String, age: Duration) {
            self.label = label
            self.age = age
        }
    }
}
