import MonitorExport
import ProcessMonitor

/// The part of a report about one process: its summary, timeline, charts and tables.
struct RunSection {
    let run: ReportRun
    let number: Int
    let axis: TimeAxis
    let limits: ReportLimits
    let entries: [ReportRun.Entry]
    let gaps: [ReportRun.Gap]

    init(run: ReportRun, number: Int, axis: TimeAxis, limits: ReportLimits) {
        self.run = run
        self.number = number
        self.axis = axis
        self.limits = limits
        self.entries = run.sortedEntries()
        self.gaps = run.gaps()
    }

    /// `pid 4242 · job=train rank=3`
    static func title(of key: RunKey) -> String {
        var title = "pid \(key.processID)"
        let attributes = key.sortedAttributes
        if !attributes.isEmpty {
            title += " · " + attributes.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        return title
    }

    func render(into html: inout String) {
        let heartbeats = entries.map(\.heartbeat)
        html += "<section class=\"run\" id=\"run-\(number)\"><h2>Process \(number): "
        HTMLEscaping.append(Self.title(of: run.key), to: &html)
        html += "</h2>"
        appendSummary(heartbeats, to: &html)

        html += "<h3>Timeline of innermost phases</h3>"
        let timeline = ReportTimeline(heartbeats: heartbeats)
        let drawing = TimelineChart(timeline: timeline, axis: axis, gaps: gaps, limits: limits).render()
        var notes: [String] = []
        if drawing.lanesHidden > 0 {
            notes.append("\(ReportFormatting.plural(drawing.lanesHidden, "more lane")) not drawn: the timeline "
                + "shows the first \(drawing.lanesShown) lanes to appear. Their stalls are in the table below.")
        }
        if timeline.cappedHeartbeats > 0 {
            notes.append("Phase lines were capped in \(ReportFormatting.count(timeline.cappedHeartbeats)) of "
                + "\(ReportFormatting.count(heartbeats.count)) heartbeats (up to "
                + "\(ReportFormatting.plural(timeline.mostOmittedPhases, "lane")) left out of one record, those with the "
                + "youngest phases): their bars have holes or are missing there. Stalled lanes are always listed.")
        }
        if drawing.mergedBars > 0 {
            notes.append("\(ReportFormatting.count(drawing.mergedBars)) phases too short to draw apart at this scale "
                + "are shown as grey \"several phases\" bars, each holding consecutive phases of a lane that fit in "
                + "\(ReportFormatting.number(drawing.mergeWidth)) pixels; hover for what they hold.")
        }
        if timeline.tracks.isEmpty { notes.append("No lane was inside a scope at any heartbeat.") }
        appendNotes(notes, to: &html)
        html += "<div class=\"fig\">" + drawing.svg + "</div>"
        html += "<p class=\"legend\"><span class=\"sw sw-bar\"></span>a phase (hover for its label, age and progress)"
            + "<span class=\"sw sw-st\"></span>stalled<span class=\"sw sw-se\"></span>STALL-END"
            + "<span class=\"sw sw-many\"></span>several short phases<span class=\"sw sw-gap\"></span>lost records</p>"

        appendCharts(heartbeats, to: &html)
        appendStalls(to: &html)
        appendActivePhases(heartbeats, to: &html)
        appendGaps(to: &html)
        html += "</section>"
    }

    // MARK: Summary

    private func appendSummary(_ heartbeats: [Heartbeat], to html: inout String) {
        guard let first = heartbeats.first, let last = heartbeats.last else { return }
        var rows: [(String, String)] = []
        let firstTime = ReportFormatting.time(first.timestamp)
        let lastTime = ReportFormatting.time(last.timestamp)
        if first.sequence == 1 {
            rows.append(("Monitor started", ReportFormatting.wallClock(seconds: firstTime - ReportFormatting.seconds(first.elapsed))))
        }
        rows.append(("First heartbeat", "\(ReportFormatting.wallClock(seconds: firstTime)) (seq \(first.sequence))"))
        let ending = last.trigger == .final
            ? "the final heartbeat: the monitor stopped normally"
            : "not a final heartbeat: the process was still running, died, or the log is cut"
        rows.append(("Last heartbeat", "\(ReportFormatting.wallClock(seconds: lastTime)) (seq \(last.sequence)), \(ending)"))
        rows.append(("Time axis", "0 is \(ReportFormatting.wallClock(seconds: axis.start))"))
        var count = ReportFormatting.plural(run.heartbeatsRead, "heartbeat")
        if run.isThinned {
            count += " (drawn from \(ReportFormatting.count(heartbeats.count)) of them: one in \(run.stride) by seq, "
                + (run.notableStride > 1 ? "one in \(run.notableStride) of those with a stall" : "every one with a stall")
                + ", the first and the last)"
        }
        if run.duplicates > 0 {
            count += "; \(ReportFormatting.plural(run.duplicates, "duplicate record")) ignored (same seq)"
        }
        if run.conflictingDuplicates > 0 {
            count += ", \(run.conflictingDuplicates) of them different from the record kept: two processes may share this pid and these attributes"
        }
        rows.append(("Heartbeats", count))
        rows.append(("Read from", run.sources().map { "\($0.name) (\(ReportFormatting.plural($0.records, "record")))" }
            .joined(separator: ", ")))
        let lost = gaps.filter { $0.before != nil }.reduce(UInt64(0)) { $0 &+ $1.count }
        var lostText = lost == 0 ? "none" : "\(ReportFormatting.count(lost)) (see below)"
        if run.mostDropped > 0 {
            let dropped = run.mostDropped
            lostText += "; the writer counted \(ReportFormatting.count(dropped)) records it could not write"
        }
        rows.append(("Lost records", lostText))
        rows.append(("Stall threshold", ReportFormatting.duration(last.stallThreshold)))
        if let read = last.resources.readBytes, let written = last.resources.writeBytes {
            rows.append(("Storage I/O", "\(ReportFormatting.bytes(Double(read))) read, \(ReportFormatting.bytes(Double(written))) written by the last heartbeat"))
        }
        if let kills = heartbeats.compactMap(\.resources.oomKills).max(), kills > 0 {
            let firstKill = heartbeats.first { ($0.resources.oomKills ?? 0) > 0 }.map { ReportFormatting.time($0.timestamp) } ?? firstTime
            rows.append(("OOM kills", "\(kills) in the process's cgroup, first seen at \(ReportFormatting.offset(seconds: firstKill - axis.start))"))
        }
        html += "<dl>"
        for (name, value) in rows {
            html += "<dt>"
            HTMLEscaping.append(name, to: &html)
            html += "</dt><dd>"
            HTMLEscaping.append(value, to: &html)
            html += "</dd>"
        }
        html += "</dl>"
    }

    // MARK: Charts

    private func appendCharts(_ heartbeats: [Heartbeat], to html: inout String) {
        for chart in ReportChart.allCases {
            html += "<h3>"
            HTMLEscaping.append(chart.title, to: &html)
            html += "</h3>"
            appendChart(LineChart(label: chart.label, unit: chart.unit, series: Self.series(of: chart, heartbeats)), to: &html)
        }
        appendResourceWarnings(heartbeats, to: &html)

        // Progress of the active phase: the line breaks where the active phase changes, so
        // two phases' counters are never joined into one slope.
        var progress: [SeriesPoint] = []
        var rate: [SeriesPoint] = []
        var previous: (LaneID, String)?
        for heartbeat in heartbeats {
            let time = ReportFormatting.time(heartbeat.timestamp)
            let key = heartbeat.active.map { ($0.lane, $0.label) }
            if let previous, key.map({ $0.0 != previous.0 || $0.1 != previous.1 }) ?? true {
                progress.append(SeriesPoint(time: time, value: nil))
                rate.append(SeriesPoint(time: time, value: nil))
            }
            previous = key
            let reading = heartbeat.active?.progress
            progress.append(SeriesPoint(time: time, value: reading?.fraction.map { $0 * 100 }))
            rate.append(SeriesPoint(time: time, value: reading?.unitsPerSecond.flatMap { $0.isFinite ? $0 : nil }))
        }
        html += "<h3>Progress of the active phase</h3>"
        appendChart(LineChart(label: "Progress of the active phase over time", unit: .percent,
                              series: [LineChart.Series(name: "done", style: "s1", points: progress)]), to: &html)
        html += "<h3>Rate of the active phase</h3>"
        appendChart(LineChart(label: "Rate of the active phase over time", unit: .perSecond,
                              series: [LineChart.Series(name: "units per second since the phase began", style: "s3", points: rate)]),
                    to: &html)
    }

    private func appendChart(_ chart: LineChart, to html: inout String) {
        if let rendered = chart.render(axis: axis, gaps: gaps, budget: limits.pointsPerSeries) {
            html += "<div class=\"fig\">" + rendered + "</div>"
        } else {
            html += "<p class=\"note\">Not in this log.</p>"
        }
    }

    private func appendResourceWarnings(_ heartbeats: [Heartbeat], to html: inout String) {
        var notes: [String] = []
        for resource in ResourceWarning.Resource.allCases {
            let warned = heartbeats.filter { $0.resourceWarnings.contains { $0.resource == resource } }
            guard let first = warned.first else { continue }
            let what = resource == .memory ? "Memory in use" : "Open file descriptors"
            notes.append("\(what) reached 90 % of the limit in \(ReportFormatting.plural(warned.count, "heartbeat")), "
                + "first at \(ReportFormatting.offset(seconds: ReportFormatting.time(first.timestamp) - axis.start)).")
        }
        appendNotes(notes, to: &html, class: "warn")
    }

    // MARK: Tables

    private func appendStalls(to html: inout String) {
        let ledger = StallLedger(entries: entries)
        let episodes = ledger.ordered()
        html += "<h3>Stalls</h3>"
        var notes: [String] = []
        if ledger.omittedStalls > 0 {
            notes.append("\(ReportFormatting.plural(ledger.omittedStalls, "stall listing")) were left out of records for the line limit.")
        }
        if episodes.isEmpty {
            notes.append("No stalls.")
            appendNotes(notes, to: &html)
            return
        }
        appendNotes(notes, to: &html)
        let lastFinal = entries.last?.heartbeat.trigger == .final
        let rows = episodes.prefix(limits.tableRows).map { episode -> [String] in
            let ended: String
            let duration: String
            if let end = episode.endReported {
                ended = "yes: STALL-END reported at \(offset(end))"
                duration = ReportFormatting.duration(episode.duration)
            } else if episode.atLastHeartbeat {
                ended = lastFinal ? "no: still stalled at the final heartbeat" : "no: still stalled at the last heartbeat"
                duration = "≥ " + ReportFormatting.duration(episode.duration)
            } else {
                ended = "not listed after \(episode.lastSeen.map(offset) ?? "?"); no STALL-END in the log"
                duration = "≥ " + ReportFormatting.duration(episode.duration)
            }
            return [
                episode.lane.description, episode.label, episode.entered.map(offset) ?? "?",
                episode.firstSeen.map(offset) ?? "not seen (records lost)", duration, ended,
            ]
        }
        appendTable(["Lane", "Label", "Entered", "First listed as a stall", "Duration", "Ended"], rows,
                    total: episodes.count, to: &html)
    }

    private func appendActivePhases(_ heartbeats: [Heartbeat], to html: inout String) {
        struct Segment {
            var active: Heartbeat.ActivePhase
            var entered: Double
            var from: Double
            var to: Double
        }
        var segments: [Segment] = []
        for heartbeat in heartbeats {
            guard let active = heartbeat.active else { continue }
            let time = ReportFormatting.time(heartbeat.timestamp)
            let entered = time - ReportFormatting.seconds(active.age)
            if let last = segments.last, last.active.lane == active.lane, last.active.label == active.label,
                abs(last.entered - entered) <= ReportTimeline.sameScopeTolerance
            {
                segments[segments.count - 1].active = active
                segments[segments.count - 1].to = time
                continue
            }
            segments.append(Segment(active: active, entered: entered, from: time, to: time))
        }
        html += "<h3>Active phases</h3>"
        guard !segments.isEmpty else {
            appendNotes(["No phase was active at any heartbeat."], to: &html)
            return
        }
        appendNotes(["The active phase is the lane's innermost scope that has run longest; its progress is the "
            + "innermost counter on that lane."], to: &html)
        let rows = segments.prefix(limits.tableRows).map { segment -> [String] in
            [
                segment.active.label, segment.active.lane.description, offset(segment.entered),
                "\(offset(segment.from)) – \(offset(segment.to))",
                segment.active.progress.map(ReportFormatting.progress) ?? "no counter",
            ]
        }
        appendTable(["Label", "Lane", "Entered", "Active at heartbeats", "Progress at the last of them"], rows,
                    total: segments.count, to: &html)
    }

    private func appendGaps(to html: inout String) {
        html += "<h3>Lost records</h3>"
        guard !gaps.isEmpty else {
            appendNotes(["No gaps in seq: every record from the first to the last is here."], to: &html)
            return
        }
        appendNotes(["A gap in seq is a record the writer lost (a full disk) or one in a file not given to the "
            + "report. Gaps are shaded on every drawing above."], to: &html)
        let rows = gaps.prefix(limits.tableRows).map { gap -> [String] in
            [
                gap.first == gap.last ? "\(gap.first)" : "\(gap.first)–\(gap.last)",
                ReportFormatting.count(gap.count),
                gap.before.map { "between \(offset($0)) and \(offset(gap.after))" } ?? "before the first record, at \(offset(gap.after))",
            ]
        }
        appendTable(["Missing seq", "Records", "Where"], rows, total: gaps.count, to: &html)
    }

    // MARK: Helpers

    private func offset(_ time: Double) -> String {
        ReportFormatting.offset(seconds: time - axis.start)
    }

    private func appendNotes(_ notes: [String], to html: inout String, class className: String = "note") {
        for note in notes {
            html += "<p class=\"\(className)\">"
            HTMLEscaping.append(note, to: &html)
            html += "</p>"
        }
    }

    private func appendTable(_ header: [String], _ rows: [[String]], total: Int, to html: inout String) {
        html += "<table><thead><tr>"
        for cell in header {
            html += "<th>"
            HTMLEscaping.append(cell, to: &html)
            html += "</th>"
        }
        html += "</tr></thead><tbody>"
        for row in rows {
            html += "<tr>"
            for cell in row {
                html += "<td>"
                HTMLEscaping.append(cell, to: &html)
                html += "</td>"
            }
            html += "</tr>"
        }
        html += "</tbody></table>"
        if total > rows.count {
            appendNotes(["\(ReportFormatting.count(total - rows.count)) more rows not shown (the table keeps the first \(rows.count))."], to: &html)
        }
    }

    // MARK: Series from the figure table

    /// The lines of `chart`: the figure table's rows that name it, in table order, each drawn
    /// when its rule says so.
    static func series(of chart: ReportChart, _ heartbeats: [Heartbeat]) -> [LineChart.Series] {
        RecordFields.headline.compactMap { field -> LineChart.Series? in
            guard case .series(chart, let name, let style, let isLimit, let shown)? = field.columns?.report else { return nil }
            let values = heartbeats.map { field.reader.number($0) }
            switch shown {
            case .always:
                break
            case .whenKnown:
                guard values.contains(where: { $0 != nil }) else { return nil }
            case .whenDifferentFrom(let key):
                guard let other = RecordFields.headlineField(key),
                      zip(values, heartbeats).contains(where: { value, heartbeat in value.map { $0 != other.reader.number(heartbeat) } ?? false })
                else { return nil }
            }
            let points = zip(heartbeats, values).map { heartbeat, value in
                SeriesPoint(time: ReportFormatting.time(heartbeat.timestamp), value: value)
            }
            return LineChart.Series(name: name, style: "s\(style)", points: points, isLimit: isLimit)
        }
    }
}

extension ReportChart {
    /// The heading above the chart.
    var title: String {
        switch self {
        case .cpuCores: "CPU cores busy"
        case .memory: "Memory"
        case .fileDescriptors: "Open file descriptors"
        }
    }

    /// The chart's accessible label.
    var label: String { title + " over time" }

    var unit: LineChart.Unit {
        switch self {
        case .cpuCores: .cores
        case .memory: .bytes
        case .fileDescriptors: .count
        }
    }
}
