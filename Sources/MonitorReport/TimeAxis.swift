/// Maps seconds since 1970 to x pixels of a plot, and draws the axis with ticks at round
/// steps.
///
/// Every drawing of one process shares one axis, and so do the drawings of processes that ran
/// at about the same time (ranks of one job), so they line up on the page and can be compared
/// by eye.
struct TimeAxis {
    /// Left edge of the plot area in every SVG of the report: lane names and y labels sit left
    /// of it.
    static let plotLeft = 200.0
    /// Width of the plot area.
    static let plotWidth = 980.0
    /// Width of every SVG of the report.
    static let svgWidth = plotLeft + plotWidth + 20

    /// Seconds since 1970 at the left edge.
    let start: Double
    /// Seconds since 1970 at the right edge; always after `start`.
    let end: Double

    init(start: Double, end: Double) {
        let start = start.isFinite ? start : 0
        let end = end.isFinite ? end : start
        self.start = start
        // An axis of zero width (a single heartbeat) would divide by zero; give it a second.
        self.end = end > start ? end : start + 1
    }

    var span: Double { end - start }

    /// x of a time, clamped to the plot (a scope entered before the monitor started begins at
    /// the left edge rather than off the drawing).
    func x(_ time: Double) -> Double {
        let fraction = (time - start) / span
        guard fraction.isFinite else { return Self.plotLeft }
        return Self.plotLeft + min(max(fraction, 0), 1) * Self.plotWidth
    }

    /// Tick positions (seconds since `start`) at a round step giving at most about ten ticks.
    func ticks() -> [Double] {
        let steps: [Double] = [
            0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30,
            60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
        ]
        var step = steps.first { span / $0 <= 10 } ?? 86400
        while span / step > 10 { step *= 2 }  // beyond a day: double until it fits
        var ticks: [Double] = []
        var tick = 0.0
        while tick <= span + step * 1e-9, ticks.count < 64 {
            ticks.append(tick)
            tick += step
        }
        return ticks
    }

    /// A tick's label: ticks fall on round steps, so `+30m` and `+1h30m` say it all, where a
    /// general duration would read `+30m00s`.
    static func tickLabel(_ seconds: Double) -> String {
        guard seconds >= 60, seconds.rounded() == seconds, seconds < 1e12 else {
            return ReportFormatting.offset(seconds: seconds)
        }
        let whole = Int(seconds)
        let days = whole / 86400
        let hours = whole / 3600 % 24
        let minutes = whole / 60 % 60
        let rest = whole % 60
        var text = "+"
        if days > 0 { text += "\(days)d" }
        if hours > 0 { text += "\(hours)h" }
        if minutes > 0 { text += "\(minutes)m" }
        if rest > 0 { text += "\(rest)s" }
        return text
    }

    /// Appends the axis line, ticks and labels at `y` (the plot's bottom).
    func appendAxis(at y: Double, to out: inout String) {
        out += "<g class=\"axis\"><line x1=\""
        ReportFormatting.appendCoordinate(Self.plotLeft, to: &out)
        out += "\" x2=\""
        ReportFormatting.appendCoordinate(Self.plotLeft + Self.plotWidth, to: &out)
        out += "\" y1=\""
        ReportFormatting.appendCoordinate(y, to: &out)
        out += "\" y2=\""
        ReportFormatting.appendCoordinate(y, to: &out)
        out += "\"/>"
        for tick in ticks() {
            let x = x(start + tick)
            out += "<line x1=\""
            ReportFormatting.appendCoordinate(x, to: &out)
            out += "\" x2=\""
            ReportFormatting.appendCoordinate(x, to: &out)
            out += "\" y1=\""
            ReportFormatting.appendCoordinate(y, to: &out)
            out += "\" y2=\""
            ReportFormatting.appendCoordinate(y + 4, to: &out)
            out += "\"/><text x=\""
            ReportFormatting.appendCoordinate(x, to: &out)
            out += "\" y=\""
            ReportFormatting.appendCoordinate(y + 15, to: &out)
            out += "\">"
            out += Self.tickLabel(tick)
            out += "</text>"
        }
        out += "</g>"
    }
}
