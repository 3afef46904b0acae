public import MonitorExport

extension OTLPHTTPSink {
    /// How an ``OTLPHTTPSink`` queues, sends, retries and gives up.
    ///
    /// Every field has a default suited to a heartbeat a minute; each is checked when the sink
    /// is created, and a value out of range throws an `ExportError` naming the field.
    ///
    /// | field | default | allowed |
    /// |---|---|---|
    /// | ``queueCapacity`` | 64 requests | 1 … 100 000 |
    /// | ``requestTimeout`` | 10 s | 10 ms … 10 min |
    /// | ``initialBackoff`` | 1 s | 1 ms … 1 h |
    /// | ``maxBackoff`` | 30 s | ``initialBackoff`` … 1 h |
    /// | ``maxRetryDuration`` | 5 min | 0 … 24 h |
    /// | ``flushTimeout`` | 5 s | 0 … 10 min |
    /// | ``reachabilityCheckTimeout`` | 2 s | `nil` (no check) or 1 ms … 1 min |
    /// | ``headers`` | none | HTTP token names; no line breaks in values |
    ///
    /// ```swift
    /// let token = ProcessInfo.processInfo.environment["OTEL_TOKEN"] ?? ""
    /// var configuration = OTLPHTTPSink.Configuration()
    /// configuration.headers = ["Authorization": "Bearer \(token)"]
    /// configuration.flushTimeout = .seconds(2)
    /// let sink = try OTLPHTTPSink(endpoint: "https://otel.example.com", configuration: configuration)
    /// ```
    public struct Configuration: Sendable, Equatable {
        /// Requests that may wait to be sent (a heartbeat makes two); when full, the oldest
        /// waiting one is dropped and counted.
        public var queueCapacity: Int = 64
        /// Longest wait for one request's answer; a timeout is retried like a failed connection.
        public var requestTimeout: Duration = .seconds(10)
        /// The first retry's delay; each further failure doubles it, up to ``maxBackoff``.
        /// Delays get jitter (a random point in the upper half).
        public var initialBackoff: Duration = .seconds(1)
        /// The longest delay between attempts, also the most a `Retry-After` is honoured for.
        public var maxBackoff: Duration = .seconds(30)
        /// How long one request is retried before it is dropped and counted; `0` never retries.
        public var maxRetryDuration: Duration = .seconds(300)
        /// How long ``OTLPHTTPSink/close()`` (which the monitor's `stop()` calls) waits for the
        /// queue to drain before it drops and counts the rest: the most a stopping job is held up.
        public var flushTimeout: Duration = .seconds(5)
        /// At start, a TCP connection to the endpoint must succeed within this time, so a wrong
        /// host or port fails the start with a clear message; `nil` skips the check (a collector
        /// that starts after the job). A collector that goes away later is never an error.
        public var reachabilityCheckTimeout: Duration? = .seconds(2)
        /// Extra request headers, such as `Authorization`. `Content-Type` is set by the sink
        /// (`application/json` for OTLP, `text/plain; version=0.0.4` for the Pushgateway) and
        /// cannot be set here.
        public var headers: [String: String] = [:]

        /// The defaults.
        public init() {}

        /// Throws an `ExportError` naming the first field out of range.
        ///
        /// ```swift
        /// var configuration = OTLPHTTPSink.Configuration()
        /// configuration.queueCapacity = 0
        /// try configuration.validate()  // queueCapacity must be between 1 and 100000 (got 0)
        /// ```
        public func validate() throws(ExportError) {
            func check<T: Comparable>(_ name: String, _ value: T, _ range: ClosedRange<T>, _ shown: (T) -> String) throws(ExportError) {
                guard range.contains(value) else {
                    throw ExportError(
                        code: .invalidConfiguration,
                        message: "\(name) must be between \(shown(range.lowerBound)) and \(shown(range.upperBound)) (got \(shown(value)))"
                    )
                }
            }
            let duration: (Duration) -> String = { "\($0)" }
            try check("queueCapacity", queueCapacity, 1 ... 100_000) { "\($0)" }
            try check("requestTimeout", requestTimeout, .milliseconds(10) ... .seconds(600), duration)
            try check("initialBackoff", initialBackoff, .milliseconds(1) ... .seconds(3600), duration)
            try check("maxBackoff", maxBackoff, initialBackoff ... max(initialBackoff, .seconds(3600)), duration)
            try check("maxRetryDuration", maxRetryDuration, .zero ... .seconds(86_400), duration)
            try check("flushTimeout", flushTimeout, .zero ... .seconds(600), duration)
            if let reachabilityCheckTimeout {
                try check("reachabilityCheckTimeout", reachabilityCheckTimeout, .milliseconds(1) ... .seconds(60), duration)
            }
            for (name, value) in headers {
                let isToken = !name.isEmpty && name.utf8.allSatisfy { byte in
                    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                        || "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
                guard isToken else {
                    throw ExportError(code: .invalidConfiguration, message: "header name \(MessageValue.quoted(name)) is not an HTTP token")
                }
                guard !["content-type", "content-length", "host"].contains(name.lowercased()) else {
                    throw ExportError(code: .invalidConfiguration, message: "header \(MessageValue.excerpt(name)) is set by the sink and cannot be overridden")
                }
                guard !value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) else {
                    throw ExportError(
                        code: .invalidConfiguration,
                        message: "header \(MessageValue.excerpt(name)) has a control character or line break in its value"
                    )
                }
            }
        }
    }
}
