@testable import MonitorReport
import Testing

@Suite struct DownsamplingTests {
    @Test("a single spike and a single dip among 20,000 points survive")
    func extremesSurvive() {
        var points = (0..<20_000).map { SeriesPoint(time: Double($0), value: 1) }
        points[12_345].value = 100
        points[777].value = -5
        let thinned = SeriesDownsampling.minMax(points, budget: 1500, start: 0, end: 19_999)
        #expect(thinned.count <= 1500)
        #expect(thinned.contains(SeriesPoint(time: 12_345, value: 100)))
        #expect(thinned.contains(SeriesPoint(time: 777, value: -5)))
        #expect(zip(thinned, thinned.dropFirst()).allSatisfy { $0.time <= $1.time }, "still in time order")
    }

    @Test func smallSeriesAreUnchanged() {
        let points = (0..<1500).map { SeriesPoint(time: Double($0), value: Double($0 % 7)) }
        #expect(SeriesDownsampling.minMax(points, budget: 1500, start: 0, end: 1499) == points)
    }

    @Test func breaksAreKept() {
        var points = (0..<10_000).map { SeriesPoint(time: Double($0), value: 1) }
        points[5_000].value = nil
        let thinned = SeriesDownsampling.minMax(points, budget: 200, start: 0, end: 9_999)
        #expect(thinned.contains { $0.value == nil })
        #expect(thinned.count <= 202)
    }

    @Test("a spike drawn through a chart reaches the top of the plot")
    func spikeReachesTheTop() throws {
        var points = (0..<20_000).map { SeriesPoint(time: Double($0), value: 1) }
        points[9_999].value = 100
        let chart = LineChart(label: "t", unit: .count, series: [LineChart.Series(name: "n", style: "s1", points: points)])
        let html = try #require(chart.render(axis: TimeAxis(start: 0, end: 19_999), gaps: [], budget: 1500))
        // y max is 100 * 1.05 rounded up to 200: the spike is at half height, 148 - 70 = 78.
        #expect(html.contains(" 78L"))
        #expect(html.contains("Downsampled: 20,000 samples a line, drawn as at most 1,500 points"))
    }
}
