import Testing

@testable import ProcessMonitor

@Suite struct MonitorConfigurationTests {
    @Test func defaultsMatchTheSeed() throws {
        let configuration = MonitorConfiguration()
        #expect(configuration.interval == .seconds(60))
        #expect(configuration.stallThreshold == .seconds(120))
        #expect(configuration.maxPhaseLines == 8)
        #expect(configuration.isEnabled)
        try configuration.validate()
        #expect(try MonitorConfiguration(interval: .seconds(60)) == configuration)
    }

    /// What a caller may set, with the field its error must name.
    static let badValues: [(interval: Duration, stallThreshold: Duration, maxPhaseLines: Int, field: String)] = [
        (.zero, .seconds(120), 8, "interval"),
        (.seconds(-5), .seconds(120), 8, "interval"),
        (.seconds(86_401), .seconds(120), 8, "interval"),
        (.seconds(Int64.max), .seconds(120), 8, "interval"),
        (.seconds(60), .zero, 8, "stallThreshold"),
        (.seconds(60), .seconds(-1), 8, "stallThreshold"),
        (.seconds(60), .seconds(400 * 86_400), 8, "stallThreshold"),
        (.seconds(60), .seconds(Int64.min), 8, "stallThreshold"),
        (.seconds(60), .seconds(120), 0, "maxPhaseLines"),
        (.seconds(60), .seconds(120), -3, "maxPhaseLines"),
        (.seconds(60), .seconds(120), 1_000_000, "maxPhaseLines"),
    ]

    @Test func badValuesAreRejectedNamingTheFieldByTheInitializerAndByValidate() {
        for bad in Self.badValues {
            do {
                _ = try MonitorConfiguration(interval: bad.interval, stallThreshold: bad.stallThreshold, maxPhaseLines: bad.maxPhaseLines)
                Issue.record("\(bad) was accepted by the initializer")
            } catch {
                #expect(error.code == .invalidConfiguration)
                #expect(error.field == bad.field)
                #expect(error.message.hasPrefix(bad.field))
                #expect(error.description.contains("got"))
            }
            // Set field by field, the value is caught by validate() and by the monitor.
            var configuration = MonitorConfiguration()
            configuration.interval = bad.interval
            configuration.stallThreshold = bad.stallThreshold
            configuration.maxPhaseLines = bad.maxPhaseLines
            #expect(throws: MonitorError.self) { try configuration.validate() }
            #expect(throws: MonitorError.self) { _ = try ProcessMonitor(configuration: configuration, observers: []) }
        }
    }

    @Test func aDisabledMonitorStartsNothingAndEmitsNothing() async throws {
        let monitor = try ProcessMonitor(configuration: try MonitorConfiguration(isEnabled: false), observers: [])
        try monitor.start()
        #expect(!monitor.isRunning)
        #expect(await monitor.emit() == nil)
        await monitor.shutdown()
        // run() only waits for cancellation.
        let task = Task { try await monitor.run() }
        task.cancel()
        try await task.value
        #expect(!monitor.isRunning)
    }
}
