import Testing

@testable import ProcessMonitor

/// Warnings before the limit: synthetic series through the forecaster, one heartbeat a minute
/// (or as given), checked for a warning where there is a trend and silence where there is none.
@Suite struct ResourceForecastTests {
    static let second: UInt64 = 1_000_000_000
    static let mib: Double = 1_048_576

    /// Feeds `values` (one per `every` seconds) with `limit`, and returns the last forecasts.
    func run(_ values: [Double], limit: UInt64, every: UInt64 = 60, horizon: Duration = .seconds(900)) -> [[Heartbeat.ResourceForecast]] {
        var forecaster = ResourceForecaster(horizon: horizon)
        return values.enumerated().map { index, value in
            forecaster.update(
                ResourceUsage(memoryLimitBytes: limit, memoryUsageBytes: UInt64(max(0, value))),
                now: 1_000 * Self.second + UInt64(index) * every * Self.second
            )
        }
    }

    @Test func linearGrowthWarnsWithTheTimeLeft() throws {
        // 10 MiB a minute from 500 MiB toward 1 GiB: at the 11th beat, 600 MiB, 424 MiB left.
        let values = (0...10).map { 500 * Self.mib + Double($0) * 10 * Self.mib }
        let beats = run(values, limit: 1 << 30, horizon: .seconds(3 * 3600))
        #expect(beats[6].isEmpty, "seven samples are too few to call a trend")
        #expect(beats[8].isEmpty, "a trend found at two heartbeats in a row is not yet a warning")
        #expect(!beats[9].isEmpty, "three in a row is")
        let forecast = try #require(beats[10].first)
        #expect(forecast.resource == .memory)
        #expect(forecast.used == 600 << 20)
        #expect(forecast.limit == 1 << 30)
        #expect(abs(forecast.growthPerSecond - 10 * Self.mib / 60) < 1)
        #expect(forecast.timeToLimit == .milliseconds(2_544_000), "424 MiB at 10 MiB/min is 42.4 min")
        #expect(forecast.window == .seconds(600))
    }

    @Test func theHorizonDecides() {
        let values = (0...10).map { 500 * Self.mib + Double($0) * 10 * Self.mib }
        #expect(run(values, limit: 1 << 30).last?.isEmpty == true, "42 min away is beyond 15 min")
        #expect(run(values, limit: 700 << 20).last?.first?.timeToLimit == .seconds(600), "100 MiB left: 10 min")
    }

    @Test func aSawtoothOfGarbageCollectionsNeverWarns() {
        // Up 40 MiB over four minutes, collected back down, for two hours.
        let values = (0..<120).map { 600 * Self.mib + Double($0 % 5) * 10 * Self.mib }
        let beats = run(values, limit: 700 << 20)
        #expect(beats.allSatisfy { $0.isEmpty })
    }

    @Test func aFlatSeriesWithSpikesNeverWarns() {
        let values = (0..<120).map { index -> Double in
            index % 17 == 16 ? 690 * Self.mib : 600 * Self.mib
        }
        #expect(run(values, limit: 700 << 20).allSatisfy { $0.isEmpty })
    }

    @Test func aFallingSeriesNeverWarns() {
        let values = (0..<30).map { 690 * Self.mib - Double($0) * Self.mib }
        #expect(run(values, limit: 700 << 20).allSatisfy { $0.isEmpty })
    }

    @Test func noiseNearTheLimitNeverWarns() {
        // Flat at 95 % with ±2 % noise, 400 seeds: never a trend (seeds 297 and 379 pass a single fit; see `persistence`).
        for seed in 1...400 {
            var generator = SplitMix(seed: UInt64(seed))
            let values = (0..<60).map { _ in 665 * Self.mib + Double(generator.next() % 29) * Self.mib - 14 * Self.mib }
            #expect(run(values, limit: 700 << 20).allSatisfy { $0.isEmpty }, "seed \(seed)")
        }
    }

    @Test func growthAmidNoiseStillWarns() throws {
        var generator = SplitMix(seed: 7)
        // 5 MiB a minute with ±3 MiB noise, 100 MiB below the limit.
        let values = (0..<11).map { 600 * Self.mib + Double($0) * 5 * Self.mib + Double(generator.next() % 7) * Self.mib - 3 * Self.mib }
        let forecast = try #require(run(values, limit: 700 << 20, horizon: .seconds(3600)).last?.first)
        // A synthetic series, not a clock: 100 MiB left at about 5 MiB a minute.
        #expect((300 ... 900).contains(forecast.timeToLimit.components.seconds))
    }

    @Test func descriptorsAreForecastToo() throws {
        var forecaster = ResourceForecaster(horizon: .seconds(900))
        var last: [Heartbeat.ResourceForecast] = []
        for index in 0..<10 {
            last = forecaster.update(
                ResourceUsage(openFileDescriptors: UInt64(100 + 50 * index), fileDescriptorLimit: 1024),
                now: UInt64(index) * 60 * Self.second
            )
        }
        let forecast = try #require(last.first)
        #expect(forecast.resource == .fileDescriptors)
        #expect(forecast.used == 550)
        #expect(forecast.timeToLimit == .milliseconds(568_800), "474 left at 50 a minute")
    }

    @Test func samplesOlderThanTheWindowAreDropped() {
        // Growth long ago, flat for the last ten minutes: no warning.
        let values = (0..<10).map { 400 * Self.mib + Double($0) * 30 * Self.mib } + Array(repeating: 690 * Self.mib, count: 11)
        #expect(run(values, limit: 700 << 20).last?.isEmpty == true)
    }

    @Test func onlyTheLatestSamplesAreFitted() {
        // One heartbeat a second: a climb of 72 s, then 64 s flat. The fit keeps the last 64
        // samples (its cost grows with the square of their number), which are flat.
        let values = (0..<72).map { 600 * Self.mib + Double($0) * Self.mib } + Array(repeating: 672 * Self.mib, count: 64)
        #expect(run(values, limit: 700 << 20, every: 1).last?.isEmpty == true)
    }

    @Test func aFitOfPerfectlyRisingSamplesScoresATrend() throws {
        let fit = try #require(TrendFit(times: [0, 1, 2, 3, 4, 5], values: [1, 2, 3, 4, 5, 6]))
        #expect(fit.slope == 1)
        #expect(fit.intercept == 1)
        #expect(fit.noise == 0)
        #expect(fit.z > 2.326)
        let flat = try #require(TrendFit(times: [0, 1, 2, 3, 4, 5], values: [3, 3, 3, 3, 3, 3]))
        #expect(flat.z == 0 && flat.slope == 0)
    }
}

/// A small seeded generator, so "noise" is the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
