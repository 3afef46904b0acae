public import MonitorExport
import ProcessMonitor

/// A self-contained HTML report of one or more heartbeat logs: a timeline of every lane's
/// phases with stalls marked, CPU, memory, file-descriptor and progress charts, and tables of
/// stalls and lost records, per process.
///
/// Add the decoded records of any number of files in any order: records are grouped into
/// processes by pid and attributes, ordered by sequence number, and each sequence number is
/// kept once, so a rotated set (`hb.jsonl.2 hb.jsonl hb.jsonl.1`) or an overlapping copy reads
/// as one log. The page is one file with inline SVG and CSS and no script: it loads nothing
/// (its Content-Security-Policy forbids every fetch) and reads the same with JavaScript off.
/// The same input always gives the same bytes.
///
/// ```swift
/// var report = HTMLReport(title: "train-42")
/// for line in try String(contentsOfFile: "hb.jsonl", encoding: .utf8).split(separator: "\n") {
///     report.add(try HeartbeatRecordDecoder().decode(line: String(line)), source: "hb.jsonl")
/// }
/// try report.render().write(toFile: "report.html", atomically: true, encoding: .utf8)
/// ```
public struct HTMLReport: Sendable {
    /// The page's title and heading.
    public let title: String
    /// What the report draws before it summarises.
    public let limits: ReportLimits

    private var runs: [RunKey: ReportRun] = [:]
    /// The first ``ReportLimits/tableRows`` lines that could not be read: the table shows no
    /// more, and a log of bad lines must not fill memory.
    private var skippedSample: [(source: String, line: Int, reason: String)] = []
    private var sourceNames: Set<String> = []
    private var strings = StringTable()

    /// Creates an empty report.
    public init(title: String = "Heartbeat report", limits: ReportLimits = ReportLimits()) {
        self.title = title
        self.limits = limits
    }

    /// Adds one decoded record; `source` names where it came from (a file name) in the report.
    public mutating func add(_ record: DecodedRecord, source: String) {
        let key = RunKey(processID: record.heartbeat.processID, attributes: record.attributes)
        var record = record
        strings.intern(&record.heartbeat)
        runs[key, default: ReportRun(key: key, budget: limits.heartbeatsPerRun)].add(record, source: strings.intern(source))
        sourceNames.insert(source)
    }

    /// Records a line that could not be read, so the report says it is incomplete and where.
    /// Every one is counted; the first ``ReportLimits/tableRows`` are kept to be listed.
    public mutating func noteSkippedLine(source: String, line: Int, reason: String) {
        skippedLineCount += 1
        if skippedSample.count < limits.tableRows { skippedSample.append((source, line, MessageValue.excerpt(reason))) }
        sourceNames.insert(source)
    }

    /// Lines noted as unreadable so far, listed or not.
    public private(set) var skippedLineCount = 0

    /// Heartbeats kept so far (duplicates not counted).
    public var heartbeatCount: Int {
        runs.values.reduce(0) { $0 + $1.heartbeatsRead }
    }

    /// The whole HTML document.
    public func render() -> String {
        let ordered = orderedRuns()
        let axes = Self.axes(for: ordered)
        var html = ""
        html.reserveCapacity(256 * 1024)
        html += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        // Belt and braces: labels are escaped, and even so the browser may fetch nothing.
        html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
        HTMLEscaping.append(title, to: &html)
        html += "</title>\n<style>\n" + ReportStyle.css + "\n</style></head>\n<body>\n<header><h1>"
        HTMLEscaping.append(title, to: &html)
        html += "</h1><p class=\"lead\">"
        HTMLEscaping.append(lead(ordered), to: &html)
        html += "</p></header>\n<main>\n"

        if ordered.isEmpty {
            html += "<p class=\"empty\">The input held no heartbeats.</p>\n"
        } else {
            appendOverview(ordered, axes: axes, to: &html)
        }
        appendSkippedLines(to: &html)
        for (index, run) in ordered.prefix(limits.runs).enumerated() {
            RunSection(run: run, number: index + 1, axis: axes.perRun[index], limits: limits).render(into: &html)
            html += "\n"
        }
        html += "</main>\n"
        appendFooter(shared: axes.shared, runCount: ordered.count, to: &html)
        html += "</body></html>\n"
        return html
    }

    // MARK: Parts

    /// Processes in the order they started, then by pid and attributes.
    private func orderedRuns() -> [ReportRun] {
        runs.values.sorted { a, b in
            let left = Self.firstTime(a)
            let right = Self.firstTime(b)
            if left != right { return left < right }
            return RunKey.precedes(a.key, b.key)
        }
    }

    private static func firstTime(_ run: ReportRun) -> Double {
        run.entries.values.map { ReportFormatting.time($0.heartbeat.timestamp) }.min() ?? 0
    }

    /// One axis per process: its own span, from the monitor's start when the log has seq 1.
    /// Processes that ran at about the same time (the union of their spans at most 1.5 times
    /// the longest) share one axis, so ranks of a job line up on the page.
    private static func axes(for runs: [ReportRun]) -> (perRun: [TimeAxis], shared: Bool) {
        let own = runs.map { run -> TimeAxis in
            let times = run.entries.values.map { ReportFormatting.time($0.heartbeat.timestamp) }
            let last = times.max() ?? 0
            var first = times.min() ?? 0
            if let one = run.entries[1] {
                first = min(first, ReportFormatting.time(one.heartbeat.timestamp) - ReportFormatting.seconds(one.heartbeat.elapsed))
            }
            return TimeAxis(start: first, end: last)
        }
        guard own.count > 1 else { return (own, false) }
        let start = own.map(\.start).min() ?? 0
        let end = own.map(\.end).max() ?? 0
        let longest = own.map(\.span).max() ?? 1
        if end - start <= longest * 1.5 {
            let shared = TimeAxis(start: start, end: end)
            return (own.map { _ in shared }, true)
        }
        return (own, false)
    }

    private func lead(_ ordered: [ReportRun]) -> String {
        let heartbeats = ordered.reduce(0) { $0 + $1.heartbeatsRead }
        var text = "\(ReportFormatting.plural(heartbeats, "heartbeat")) from "
            + "\(ReportFormatting.plural(ordered.count, "process", plural: "processes")) in "
            + "\(ReportFormatting.plural(sourceNames.count, "source"))"
        let duplicates = ordered.reduce(0) { $0 + $1.duplicates }
        if duplicates > 0 { text += ", \(ReportFormatting.plural(duplicates, "duplicate")) ignored" }
        if skippedLineCount > 0 { text += ", \(ReportFormatting.plural(skippedLineCount, "unreadable line")) skipped" }
        return text + "."
    }

    private func appendOverview(_ ordered: [ReportRun], axes: (perRun: [TimeAxis], shared: Bool), to html: inout String) {
        html += "<h2>Processes</h2><table><thead><tr><th>#</th><th>Process</th><th>Heartbeats</th><th>From</th>"
            + "<th>To</th><th>Lost records</th><th>Stalls</th><th>Ended with</th></tr></thead><tbody>"
        for (index, run) in ordered.enumerated() {
            let entries = run.sortedEntries()
            let gaps = run.gaps()
            let lost = gaps.filter { $0.before != nil }.reduce(UInt64(0)) { $0 &+ $1.count }
            let stalls = StallLedger(entries: entries).episodes.count
            let first = entries.first.map { ReportFormatting.time($0.heartbeat.timestamp) } ?? 0
            let last = entries.last.map { ReportFormatting.time($0.heartbeat.timestamp) } ?? 0
            let drawn = index < limits.runs
            html += "<tr><td>"
            html += drawn ? "<a href=\"#run-\(index + 1)\">\(index + 1)</a>" : "\(index + 1)"
            html += "</td><td>"
            HTMLEscaping.append(RunSection.title(of: run.key) + (drawn ? "" : " (not drawn: over the limit of \(limits.runs) processes)"), to: &html)
            html += "</td><td>\(ReportFormatting.count(run.heartbeatsRead))</td><td>"
            HTMLEscaping.append(ReportFormatting.wallClock(seconds: first), to: &html)
            html += "</td><td>"
            HTMLEscaping.append(ReportFormatting.wallClock(seconds: last), to: &html)
            html += "</td><td>\(ReportFormatting.count(lost))</td><td>\(ReportFormatting.count(stalls))</td><td>"
            html += entries.last?.heartbeat.trigger == .final ? "final heartbeat" : "no final heartbeat"
            html += "</td></tr>"
        }
        html += "</tbody></table>"
        if axes.shared {
            html += "<p class=\"note\">These processes ran at about the same time: their drawings share one time axis, "
                + "so they line up.</p>"
        }
    }

    private func appendSkippedLines(to html: inout String) {
        guard skippedLineCount > 0 else { return }
        html += "<h2>Unreadable lines</h2><p class=\"note\">These lines were skipped; the report is drawn from the rest.</p><ul>"
        for skipped in skippedSample {
            html += "<li>"
            HTMLEscaping.append("\(skipped.source) line \(skipped.line): \(skipped.reason)", to: &html)
            html += "</li>"
        }
        html += "</ul>"
        if skippedLineCount > skippedSample.count {
            html += "<p class=\"note\">\(ReportFormatting.count(skippedLineCount - skippedSample.count)) more not listed.</p>"
        }
    }

    private func appendFooter(shared: Bool, runCount: Int, to html: inout String) {
        let rules = [
            "A process is a pid with its attributes. Its records are ordered by seq and each seq is kept once "
                + "(the first read), whatever the order the files were given in; a missing seq is a lost record, "
                + "shaded on every drawing and listed under Lost records.",
            "Heartbeats only sample: a bar starts where its scope was entered (heartbeat time minus age) and ends "
                + "at the last heartbeat that saw the same scope (same label, entry times within "
                + "\(ReportFormatting.duration(seconds: ReportTimeline.sameScopeTolerance))). An outer scope that is "
                + "innermost again starts where the lane's previous bar ends. Stalled time is red; a black flag "
                + "marks a STALL-END. Lanes are in order of first appearance; at most \(limits.lanesPerRun) per "
                + "process are drawn.",
            "Consecutive phases of a lane that together fit in \(ReportFormatting.number(limits.minimumBarPixels)) "
                + "pixels are drawn as one grey bar (red if any of them stalled); its tooltip counts them.",
            "A chart line of more than \(ReportFormatting.count(limits.pointsPerSeries)) samples is downsampled: "
                + "time is cut into \(ReportFormatting.count(limits.pointsPerSeries / 2)) equal buckets and each "
                + "keeps its lowest and highest sample, so spikes and dips survive. A limit more than "
                + "\(ReportFormatting.number(LineChart.offScaleFactor)) times the highest value is named, not drawn.",
            "Tables keep their first \(ReportFormatting.count(limits.tableRows)) rows; at most "
                + "\(limits.runs) processes are drawn in full.",
            "A process with more than \(ReportFormatting.count(limits.heartbeatsPerRun)) heartbeats is drawn from a "
                + "sample of them, so the report's memory does not grow with the log: one heartbeat in N by seq, every "
                + "heartbeat showing a stall or a stall's end, and the first and last. Lost records, duplicates and "
                + "counts are taken from every record read.",
            "Times on the axes are offsets from each process's start (or from the earliest start when processes "
                + "share an axis); wall-clock times are UTC.",
            "This page is one self-contained file: no script, no font, no image is loaded, and it reads the same "
                + "with JavaScript off. Hover a bar for its label, age and progress.",
        ]
        html += "<footer><h2>How this report is drawn</h2><ul>"
        for rule in rules {
            html += "<li>"
            HTMLEscaping.append(rule, to: &html)
            html += "</li>"
        }
        html += "</ul></footer>\n"
    }
}
