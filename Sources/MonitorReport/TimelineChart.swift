import ProcessMonitor

/// Draws a ``ReportTimeline`` as SVG: one row per lane, a bar per innermost phase.
///
/// The budget: a log of 10 000 heartbeats can hold hundreds of thousands of short phases, far
/// more than a 980-pixel row can show. Consecutive bars of a lane that together fit in
/// ``ReportLimits/minimumBarPixels`` are drawn as one grey "several phases" bar whose tooltip
/// counts them and names a few; a bar wide enough on its own is drawn on its own, with its
/// label and figures. When the lanes would still need more than
/// ``ReportLimits/barsPerTimeline`` bars (64 lanes of phases a few pixels long each), the
/// merge width doubles until they fit, which bounds the page's size whatever the log holds.
struct TimelineChart {
    static let rowHeight = 16.0
    static let barHeight = 12.0
    static let top = 4.0

    let timeline: ReportTimeline
    let axis: TimeAxis
    let gaps: [ReportRun.Gap]
    let limits: ReportLimits

    /// The SVG, and what the reader must know about what it leaves out.
    func render() -> (svg: String, lanesShown: Int, lanesHidden: Int, mergedBars: Int, mergeWidth: Double) {
        let tracks = timeline.orderedTracksWithDepth()
        let shown = Array(tracks.prefix(limits.lanesPerRun))
        var mergeWidth = limits.minimumBarPixels
        while mergeWidth < TimeAxis.plotWidth,
            shown.reduce(0, { $0 + groups(of: $1.track, mergeWidth: mergeWidth).count }) > limits.barsPerTimeline
        {
            mergeWidth *= 2
        }
        let height = Self.top + Double(max(shown.count, 1)) * Self.rowHeight + 24
        var svg = SVGWriter(reservingCapacity: 64 * 1024)
        svg.open(width: TimeAxis.svgWidth, height: height, label: "Timeline of innermost phases per lane")
        let plotBottom = Self.top + Double(max(shown.count, 1)) * Self.rowHeight

        for (row, _) in shown.enumerated() where row % 2 == 1 {
            svg.rect(x: 0, y: Self.top + Double(row) * Self.rowHeight, width: TimeAxis.svgWidth,
                     height: Self.rowHeight, class: "row")
        }
        GapBands.draw(gaps, axis: axis, top: Self.top, bottom: plotBottom, into: &svg)

        var merged = 0
        for (row, (track, depth)) in shown.enumerated() {
            let y = Self.top + Double(row) * Self.rowHeight
            let name = track.lane.description
            // A child task's row sits under its parent's, its name marked as one.
            let shownName = depth > 0 ? String(repeating: "·", count: min(depth, 4) - 1) + "↳" + name : name
            svg.text(Self.shortened(shownName, to: 30), x: TimeAxis.plotLeft - 6, y: y + Self.barHeight - 1,
                     class: "lane", anchor: "end", title: track.parent.map { "\(name), started from \($0)" } ?? name)
            merged += drawBars(of: track, mergeWidth: mergeWidth, y: y + (Self.rowHeight - Self.barHeight) / 2, into: &svg)
            drawStallEnds(of: track, y: y, into: &svg)
        }
        axis.appendAxis(at: plotBottom, to: &svg.out)
        svg.close()
        return (svg.out, shown.count, tracks.count - shown.count, merged, mergeWidth)
    }

    /// A lane's bars in drawing groups: a group is one bar, or consecutive bars that together
    /// fit in `mergeWidth` pixels.
    private func groups(of track: ReportTimeline.Track, mergeWidth: Double) -> [Range<Int>] {
        var groups: [Range<Int>] = []
        var start = 0
        var groupLeft = 0.0
        for (index, bar) in track.bars.enumerated() {
            let left = axis.x(bar.drawFrom)
            let right = max(axis.x(bar.lastSeen), left)
            if index > start, right - groupLeft < mergeWidth { continue }
            if index > start { groups.append(start..<index) }
            start = index
            groupLeft = left
        }
        if start < track.bars.count { groups.append(start..<track.bars.count) }
        return groups
    }

    /// Draws a lane's bars; returns how many bars went into "several phases" bars.
    private func drawBars(of track: ReportTimeline.Track, mergeWidth: Double, y: Double, into svg: inout SVGWriter) -> Int {
        var merged = 0
        for group in groups(of: track, mergeWidth: mergeWidth) {
            if group.count == 1 {
                drawBar(track.bars[group.lowerBound], lane: track.lane, y: y, into: &svg)
            } else {
                merged += group.count
                drawMerged(track.bars[group], mergeWidth: mergeWidth, y: y, into: &svg)
            }
        }
        return merged
    }

    private func drawBar(_ bar: ReportTimeline.Bar, lane: LaneID, y: Double, into svg: inout SVGWriter) {
        let left = axis.x(bar.drawFrom)
        let right = max(axis.x(bar.lastSeen), left + 1)
        svg.openGroup(title: tooltip(for: bar, lane: lane))
        svg.rect(x: left, y: y, width: right - left, height: Self.barHeight, fill: Self.colour(for: bar.label))
        if let stalledFrom = bar.stalledFrom {
            let stallLeft = min(max(axis.x(stalledFrom), left), right - 1)
            svg.rect(x: stallLeft, y: y, width: right - stallLeft, height: Self.barHeight, class: "st")
        }
        if right - left > 40 {
            // The label inside the bar when there is room for a few characters of it.
            let characters = Int((right - left - 6) / 6.5)
            svg.text(Self.shortened(bar.label, to: characters), x: left + 3, y: y + Self.barHeight - 2.5, class: "bl")
        }
        svg.closeGroup()
    }

    private func drawMerged(_ group: ArraySlice<ReportTimeline.Bar>, mergeWidth: Double, y: Double, into svg: inout SVGWriter) {
        var labels: [String] = []
        var distinct: Set<String> = []
        var stalls = 0
        for bar in group {
            if distinct.insert(bar.label).inserted, labels.count < 3 { labels.append(bar.label) }
            if bar.stalledFrom != nil { stalls += 1 }
        }
        let start = group.map(\.drawFrom).min() ?? 0
        let end = group.map(\.lastSeen).max() ?? 0
        let left = axis.x(start)
        let right = max(axis.x(end), left)
        var title = "\(ReportFormatting.count(group.count)) phases from \(offset(start)) to \(offset(end)), "
            + "too short to draw apart at this scale: " + labels.map { "\"\($0)\"" }.joined(separator: ", ")
        if distinct.count > labels.count { title += " and \(ReportFormatting.plural(distinct.count - labels.count, "other label"))" }
        if stalls > 0 { title += "\nSTALL in \(stalls) of them" }
        svg.rect(x: left, y: y, width: max(right - left, min(mergeWidth, 3)), height: Self.barHeight,
                 class: stalls > 0 ? "many st2" : "many", title: title)
    }

    private func drawStallEnds(of track: ReportTimeline.Track, y: Double, into svg: inout SVGWriter) {
        // Marks closer than 3 pixels would sit on top of each other: one mark says how many.
        var index = 0
        let marks = track.stallEnds.sorted { $0.time < $1.time }
        while index < marks.count {
            let x = axis.x(marks[index].time)
            var last = index
            while last + 1 < marks.count, axis.x(marks[last + 1].time) - x < 3 { last += 1 }
            let title: String
            if last == index {
                let mark = marks[index]
                title = "STALL-END \"\(mark.label)\" on \(track.lane): ended after "
                    + "\(ReportFormatting.duration(mark.duration)), at about \(offset(mark.time))"
            } else {
                title = "\(last - index + 1) STALL-ENDs on \(track.lane) around \(offset(marks[index].time)): "
                    + marks[index...last].prefix(3).map { "\"\($0.label)\" after \(ReportFormatting.duration($0.duration))" }
                    .joined(separator: ", ")
            }
            svg.openGroup(class: "se", title: title)
            svg.line(x1: x, y1: y + 1, x2: x, y2: y + Self.rowHeight - 1, class: "sel")
            svg.out += "<path d=\"M"
            ReportFormatting.appendCoordinate(x - 4, to: &svg.out)
            svg.out += " "
            ReportFormatting.appendCoordinate(y, to: &svg.out)
            svg.out += "h8l-4 5z\"/>"
            svg.closeGroup()
            index = last + 1
        }
    }

    private func tooltip(for bar: ReportTimeline.Bar, lane: LaneID) -> String {
        var lines = ["\"\(bar.label)\" on \(lane)" + (bar.depth.map { ", depth \($0)" } ?? "")]
        lines.append("entered \(offset(bar.entered)), age \(ReportFormatting.duration(bar.lastAge)) at \(offset(bar.lastSeen))"
            + (bar.sightings > 1 ? " (seen by \(bar.sightings) heartbeats)" : ""))
        if let progress = bar.progress { lines.append("progress " + ReportFormatting.progress(progress)) }
        if let stalledFrom = bar.stalledFrom { lines.append("STALL from \(offset(stalledFrom))") }
        if bar.activeDescendants > 0 {
            lines.append("waiting on \(ReportFormatting.plural(bar.activeDescendants, "child lane"))")
        }
        if let parent = bar.parent { lines.append("started from \(parent)") }
        return lines.joined(separator: "\n")
    }

    private func offset(_ time: Double) -> String {
        ReportFormatting.offset(seconds: time - axis.start)
    }

    /// `text` cut to `count` characters with an ellipsis; the full text is in the tooltip.
    static func shortened(_ text: String, to count: Int) -> String {
        guard count > 1, text.count > count else { return count > 1 ? text : "" }
        return String(text.prefix(count - 1)) + "…"
    }

    /// Hues a label's colour may take: every hue but the reds around the stall colour
    /// (`#d1272f`, hue 357), so no phase can be mistaken for a stall.
    static let labelHues = 30 ..< 330

    /// A stable colour per label (FNV-1a of its bytes picks the hue), so the same phase has the
    /// same colour on every lane and in every report; never a red (``labelHues``).
    static func colour(for label: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in label.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return "hsl(\(labelHues.lowerBound + Int(hash % UInt32(labelHues.count))),55%,62%)"
    }
}
