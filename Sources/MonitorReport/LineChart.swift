/// A time-series chart: one or more lines over a process's time axis, with their limits.
///
/// Limits (available cores, the memory limit, the descriptor limit) are drawn as dashed lines
/// when they are on the data's scale; a limit more than four times the highest value would
/// flatten the data into the bottom pixels, so it is named in the legend as off the scale
/// instead. Lines over ``ReportLimits/pointsPerSeries`` points are downsampled by
/// ``SeriesDownsampling``, and the legend says so.
struct LineChart {
    /// What the values are, for the axis labels.
    enum Unit {
        case cores, bytes, count, percent, perSecond

        func format(_ value: Double) -> String {
            switch self {
            case .cores: ReportFormatting.number(value, digits: 2)
            case .bytes: ReportFormatting.bytes(value)
            case .count: ReportFormatting.number(value, digits: 0)
            case .percent: ReportFormatting.number(value, digits: 0) + "%"
            case .perSecond: ReportFormatting.number(value, digits: 1) + "/s"
            }
        }

        /// The lowest top of the y axis, so a line of zeros still gets distinct grid labels.
        var smallestScale: Double {
            switch self {
            case .bytes: 4096
            case .count: 4
            case .cores, .percent, .perSecond: 1
            }
        }
    }

    struct Series {
        var name: String
        /// `s1`…`s4` pick the colour; limits are dashed.
        var style: String
        var points: [SeriesPoint]
        var isLimit = false
    }

    static let plotTop = 8.0
    static let plotHeight = 140.0
    /// A limit this many times the data's maximum or more is left off the scale.
    static let offScaleFactor = 4.0

    var label: String
    var unit: Unit
    var series: [Series]

    /// The chart and its legend as HTML, or `nil` when no line has a single known value (the
    /// figure is not in this log: a v1 record, or a platform that does not report it).
    func render(axis: TimeAxis, gaps: [ReportRun.Gap], budget: Int) -> String? {
        // A line with no known value (a figure this log does not carry) is left out entirely.
        let data = series.filter { !$0.isLimit && Self.maximum($0.points) != nil }
        let dataMax = data.compactMap { Self.maximum($0.points) }.max()
        guard let dataMax else { return nil }
        var drawn = data
        var offScale: [(Series, Double)] = []
        var top = dataMax
        for limit in series where limit.isLimit {
            guard let limitMax = Self.maximum(limit.points) else { continue }
            if dataMax > 0, limitMax <= dataMax * Self.offScaleFactor || unit == .percent {
                drawn.append(limit)
                top = max(top, limitMax)
            } else {
                offScale.append((limit, limitMax))
            }
        }
        let yMax = unit == .percent ? 100 : max(Self.niceCeiling(top * 1.05, unit: unit), unit.smallestScale)

        var svg = SVGWriter(reservingCapacity: 32 * 1024)
        let bottom = Self.plotTop + Self.plotHeight
        svg.open(width: TimeAxis.svgWidth, height: bottom + 24, label: label)
        GapBands.draw(gaps, axis: axis, top: Self.plotTop, bottom: bottom, into: &svg)
        for step in 0...4 {
            let value = yMax * Double(step) / 4
            let y = bottom - Self.plotHeight * Double(step) / 4
            svg.line(x1: TimeAxis.plotLeft, y1: y, x2: TimeAxis.plotLeft + TimeAxis.plotWidth, y2: y, class: "grid")
            svg.text(unit.format(value), x: TimeAxis.plotLeft - 6, y: y + 4, class: "yl", anchor: "end")
        }
        var samples = 0
        for line in drawn {
            let points = SeriesDownsampling.minMax(line.points, budget: budget, start: axis.start, end: axis.end)
            if points.count < line.points.count {
                samples = max(samples, line.points.count)
            }
            let pixels = points.map { point -> (x: Double, y: Double)? in
                guard let value = point.value else { return nil }
                let clamped = min(max(value, 0), yMax * 1.02)
                return (axis.x(point.time), bottom - clamped / yMax * Self.plotHeight)
            }
            svg.polyline(pixels, class: "ln \(line.style)\(line.isLimit ? " lim" : "")")
        }
        axis.appendAxis(at: bottom, to: &svg.out)
        svg.close()

        var html = svg.out
        html += "<p class=\"legend\">"
        for line in drawn {
            html += "<span class=\"key \(line.style)\(line.isLimit ? " lim" : "")\"></span>"
            HTMLEscaping.append(line.name + Self.summary(line.points, unit: unit), to: &html)
            html += " "
        }
        for (limit, value) in offScale {
            HTMLEscaping.append("\(limit.name) \(unit.format(value)) (off the scale). ", to: &html)
        }
        html += "</p>"
        if samples > 0 {
            let bucket = axis.span / Double(max(budget / 2, 1))
            html += "<p class=\"note\">"
            HTMLEscaping.append("Downsampled: \(ReportFormatting.count(samples)) samples a line, drawn as at most "
                + "\(ReportFormatting.count(budget)) points: the lowest and highest of each "
                + "\(ReportFormatting.duration(seconds: bucket)) of time.", to: &html)
            html += "</p>"
        }
        return html
    }

    /// ` (lowest 1.2, highest 3.4, last 2.0)`; just the value when it never changes.
    static func summary(_ points: [SeriesPoint], unit: Unit) -> String {
        let values = points.compactMap(\.value)
        guard let first = values.first, let last = values.last else { return "" }
        let low = values.min() ?? first
        let high = values.max() ?? first
        if low == high { return " \(unit.format(low))" }
        return " (lowest \(unit.format(low)), highest \(unit.format(high)), last \(unit.format(last)))"
    }

    static func maximum(_ points: [SeriesPoint]) -> Double? {
        var result: Double?
        for point in points {
            guard let value = point.value else { continue }
            result = max(result ?? value, value)
        }
        return result
    }

    /// The smallest 1, 2, 4 or 8 × 10ⁿ at or above `value`, so the four grid steps are round
    /// too (in KiB, MiB or GiB for bytes: the axis reads `10MiB`, not `10.5MB`).
    static func niceCeiling(_ value: Double, unit: Unit) -> Double {
        guard value.isFinite, value > 0 else { return 1 }
        var scale = 1.0
        if unit == .bytes {
            while value / scale >= 1024, scale < 1e18 { scale *= 1024 }
        }
        let scaled = value / scale
        var power = 1.0
        while power * 10 <= scaled, power < 1e300 { power *= 10 }
        while power > scaled, power > 1e-300 { power /= 10 }
        for step in [1.0, 2, 4, 8, 10] where step * power >= scaled {
            return step * power * scale
        }
        return 10 * power * scale
    }
}
