/// Marks lost records on a drawing: a shaded band from the record before a gap in sequence
/// numbers to the record after it, with a tooltip saying which numbers are missing. Every
/// drawing of a process shows its gaps, so a flat stretch of a chart is never mistaken for
/// a quiet one.
enum GapBands {
    static func draw(_ gaps: [ReportRun.Gap], axis: TimeAxis, top: Double, bottom: Double, into svg: inout SVGWriter) {
        var lastRight = -Double.infinity
        for gap in gaps {
            // A log that begins after sequence 1 has nothing before its first record to shade.
            guard let before = gap.before else { continue }
            let left = axis.x(before)
            let right = max(axis.x(gap.after), left + 2)
            // Thousands of one-record gaps would repeat the same pixels: draw each band once.
            guard right > lastRight + 0.5 else { continue }
            lastRight = right
            svg.rect(x: left, y: top, width: right - left, height: bottom - top, class: "gap", title: description(gap, axis: axis))
        }
    }

    static func description(_ gap: ReportRun.Gap, axis: TimeAxis) -> String {
        let numbers = gap.first == gap.last ? "seq \(gap.first)" : "seq \(gap.first)–\(gap.last)"
        let records = ReportFormatting.plural(Int(clamping: gap.count), "record")
        guard let before = gap.before else {
            return "\(numbers) not in the input (\(records)): the log begins later"
        }
        return "\(numbers) lost (\(records)) between \(ReportFormatting.offset(seconds: before - axis.start)) "
            + "and \(ReportFormatting.offset(seconds: gap.after - axis.start))"
    }
}
