extension Heartbeat {
    /// One open scope of a lane's stack, as a stall reports it.
    public struct ScopeFrame: Sendable, Equatable {
        /// The scope's label.
        public var label: String
        /// How long the scope has been open.
        public var age: Duration

        /// Creates a frame.
        public init(label: String, age: Duration) {
            self.label = label
            self.age = age
        }
    }
}
