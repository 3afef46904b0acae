/// One sample of a chart line: a time (seconds since 1970) and a value; a `nil` value breaks
/// the line (the active phase changed, or the figure was unknown).
struct SeriesPoint: Equatable {
    var time: Double
    var value: Double?
}

/// Thins a chart line to what a screen can show without losing its extremes.
///
/// A line with more points than the budget is cut into `budget / 2` buckets of equal time, and
/// each bucket keeps only its lowest and its highest sample, in their original order. A plot
/// 980 pixels wide cannot show more than one or two values per pixel anyway, and min/max
/// keeps every spike and every dip that averaging or picking every n-th sample would lose: one
/// sample of 100 among 20 000 of 1 still reaches the top of the chart.
enum SeriesDownsampling {
    /// Returns `points` unchanged when they fit in `budget`, else the min/max of each bucket.
    /// `points` must be in time order; `start` and `end` are the axis's ends.
    static func minMax(_ points: [SeriesPoint], budget: Int, start: Double, end: Double) -> [SeriesPoint] {
        let budget = max(budget, 2)
        guard points.count > budget else { return points }
        let buckets = budget / 2
        let span = end - start
        guard span > 0, span.isFinite else { return Array(points.prefix(budget)) }

        struct Bucket {
            var low: Int?
            var high: Int?
            var opensWithBreak = false
            var hasBreakAfterValue = false
            var used = false
        }
        var table = [Bucket](repeating: Bucket(), count: buckets)
        for (index, point) in points.enumerated() {
            let position = (point.time - start) / span * Double(buckets)
            // Clamped as a Double first: converting a huge one to Int would trap.
            let slot = position.isFinite ? Int(min(max(position, 0), Double(buckets - 1))) : 0
            if !table[slot].used {
                table[slot].used = true
                if point.value == nil { table[slot].opensWithBreak = true }
            }
            guard let value = point.value else {
                if table[slot].low != nil { table[slot].hasBreakAfterValue = true }
                continue
            }
            if let low = table[slot].low, let lowValue = points[low].value, lowValue <= value {
                // keep the earlier minimum
            } else {
                table[slot].low = index
            }
            if let high = table[slot].high, let highValue = points[high].value, highValue >= value {
                // keep the earlier maximum
            } else {
                table[slot].high = index
            }
        }

        var out: [SeriesPoint] = []
        out.reserveCapacity(budget + buckets / 4)
        for bucket in table where bucket.used {
            if bucket.opensWithBreak, out.last?.value != nil {
                out.append(SeriesPoint(time: out.last?.time ?? start, value: nil))
            }
            if let low = bucket.low, let high = bucket.high {
                out.append(points[min(low, high)])
                if low != high { out.append(points[max(low, high)]) }
            }
            if bucket.hasBreakAfterValue, let last = out.last, last.value != nil {
                out.append(SeriesPoint(time: last.time, value: nil))
            }
        }
        return out
    }
}
