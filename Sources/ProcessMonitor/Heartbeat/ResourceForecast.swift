extension Heartbeat {
    /// A resource on course to reach its limit soon: memory or open descriptors growing steadily
    /// enough that, at the rate of the last minutes, the limit is reached within the horizon.
    ///
    /// A forecast warns *before* the 90 % line of ``ResourceWarning``: a job leaking memory hears
    /// `limit_in=6m` while there is still time to act. It comes from a robust fit of the recent
    /// heartbeats (see ``MonitorConfiguration/forecastHorizon``); a flat, falling or sawtooth
    /// series (a garbage collector's or an arena's) does not produce one.
    ///
    /// ```swift
    /// for forecast in heartbeat.forecasts {
    ///     print("\(forecast.resource) reaches its limit in \(forecast.timeToLimit)")
    /// }
    /// ```
    public struct ResourceForecast: Sendable, Equatable {
        /// Which limit is being approached.
        public var resource: ResourceWarning.Resource
        /// What is in use now (bytes, or descriptors).
        public var used: UInt64
        /// The limit.
        public var limit: UInt64
        /// The fitted growth, in units (bytes, or descriptors) per second.
        public var growthPerSecond: Double
        /// When the limit is reached at that rate, from now.
        public var timeToLimit: Duration
        /// The span of the heartbeats the fit used.
        public var window: Duration

        /// Creates a forecast.
        public init(
            resource: ResourceWarning.Resource, used: UInt64, limit: UInt64,
            growthPerSecond: Double, timeToLimit: Duration, window: Duration
        ) {
            self.resource = resource
            self.used = used
            self.limit = limit
            self.growthPerSecond = growthPerSecond
            self.timeToLimit = timeToLimit
            self.window = window
        }

        /// `used / limit`.
        public var fraction: Double { limit == 0 ? 1 : Double(used) / Double(limit) }
    }
}
