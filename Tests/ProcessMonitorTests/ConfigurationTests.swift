import Testing

@testable import ProcessMonitor

@Suite struct ConfigurationTests {
    @Test func defaultsMatchTheSeed() throws {
        let configuration = MonitorConfiguration()
        #expect(configuration.interval == .seconds(60))
        #expect(configuration.stallThreshold == .seconds(120))
        #expect(configuration.maxPhaseLines == 8)
        try configuration.validate()
    }

    @Test(arguments: [
        (MonitorConfiguration(interval: .zero), "interval"),
        (MonitorConfiguration(interval: .seconds(-5)), "interval"),
        (MonitorConfiguration(interval: .seconds(86_401)), "interval"),
        (MonitorConfiguration(stallThreshold: .zero), "stallThreshold"),
        (MonitorConfiguration(stallThreshold: .seconds(-1)), "stallThreshold"),
        (MonitorConfiguration(stallThreshold: .seconds(400 * 86_400)), "stallThreshold"),
        (MonitorConfiguration(maxPhaseLines: 0), "maxPhaseLines"),
        (MonitorConfiguration(maxPhaseLines: -3), "maxPhaseLines"),
        (MonitorConfiguration(maxPhaseLines: 1_000_000), "maxPhaseLines"),
    ])
    func badValuesAreRejectedNamingTheField(configuration: MonitorConfiguration, field: String) {
        do {
            try configuration.validate()
            Issue.record("\(configuration) was accepted")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.field == field)
            #expect(error.message.hasPrefix(field))
            #expect(error.description.contains("got"))
        }
    }

    @Test func monitorRefusesABadConfiguration() {
        #expect(throws: MonitorError.self) {
            _ = try ProcessMonitor(configuration: MonitorConfiguration(maxPhaseLines: 0), observers: [])
        }
    }
}
