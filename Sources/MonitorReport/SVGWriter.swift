/// Appends inline SVG elements to a string, escaping every piece of text.
///
/// Inline SVG inside HTML needs no namespace declaration, so the report never names a URL, not
/// even the SVG namespace's. Styling is by class, from the report's one `<style>` element.
struct SVGWriter {
    var out = ""

    init(reservingCapacity capacity: Int = 4096) {
        out.reserveCapacity(capacity)
    }

    mutating func open(width: Double, height: Double, label: String) {
        out += "<svg viewBox=\"0 0 "
        ReportFormatting.appendCoordinate(width, to: &out)
        out += " "
        ReportFormatting.appendCoordinate(height, to: &out)
        out += "\" width=\""
        ReportFormatting.appendCoordinate(width, to: &out)
        out += "\" height=\""
        ReportFormatting.appendCoordinate(height, to: &out)
        out += "\" role=\"img\" aria-label=\""
        HTMLEscaping.append(label, to: &out)
        out += "\">"
    }

    mutating func close() {
        out += "</svg>"
    }

    /// `<g class=…>` with an optional tooltip, which browsers show on hover with no script.
    mutating func openGroup(class className: String? = nil, title: String? = nil) {
        out += "<g"
        if let className { out += " class=\"\(className)\"" }
        out += ">"
        if let title { appendTitle(title) }
    }

    mutating func closeGroup() {
        out += "</g>"
    }

    mutating func appendTitle(_ text: String) {
        out += "<title>"
        HTMLEscaping.append(text, to: &out)
        out += "</title>"
    }

    /// A rectangle; a negative or non-finite size is drawn as nothing rather than rejected
    /// by the browser with a console error.
    mutating func rect(
        x: Double, y: Double, width: Double, height: Double,
        class className: String? = nil, fill: String? = nil, title: String? = nil
    ) {
        out += "<rect x=\""
        ReportFormatting.appendCoordinate(x, to: &out)
        out += "\" y=\""
        ReportFormatting.appendCoordinate(y, to: &out)
        out += "\" width=\""
        ReportFormatting.appendCoordinate(width.isFinite ? max(width, 0) : 0, to: &out)
        out += "\" height=\""
        ReportFormatting.appendCoordinate(height.isFinite ? max(height, 0) : 0, to: &out)
        out += "\""
        if let className { out += " class=\"\(className)\"" }
        if let fill { out += " fill=\"\(fill)\"" }
        if let title {
            out += ">"
            appendTitle(title)
            out += "</rect>"
        } else {
            out += "/>"
        }
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, class className: String) {
        out += "<line x1=\""
        ReportFormatting.appendCoordinate(x1, to: &out)
        out += "\" y1=\""
        ReportFormatting.appendCoordinate(y1, to: &out)
        out += "\" x2=\""
        ReportFormatting.appendCoordinate(x2, to: &out)
        out += "\" y2=\""
        ReportFormatting.appendCoordinate(y2, to: &out)
        out += "\" class=\"\(className)\"/>"
    }

    /// Text; `anchor` is `start`, `middle` or `end`.
    mutating func text(
        _ text: String, x: Double, y: Double, class className: String? = nil, anchor: String = "start",
        title: String? = nil
    ) {
        out += "<text x=\""
        ReportFormatting.appendCoordinate(x, to: &out)
        out += "\" y=\""
        ReportFormatting.appendCoordinate(y, to: &out)
        out += "\""
        if anchor != "start" { out += " text-anchor=\"\(anchor)\"" }
        if let className { out += " class=\"\(className)\"" }
        out += ">"
        if let title { appendTitle(title) }
        HTMLEscaping.append(text, to: &out)
        out += "</text>"
    }

    /// A path through `points` (already in pixels); `nil` breaks the line. A point alone
    /// between two breaks is drawn as a short dash, since a path of one point draws nothing.
    mutating func polyline(_ points: [(x: Double, y: Double)?], class className: String) {
        var path = ""
        path.reserveCapacity(points.count * 12)
        var pointsInSubpath = 0
        for point in points {
            guard let point else {
                if pointsInSubpath == 1 { path += "h1" }
                pointsInSubpath = 0
                continue
            }
            path += pointsInSubpath > 0 ? "L" : "M"
            ReportFormatting.appendCoordinate(point.x, to: &path)
            path += " "
            ReportFormatting.appendCoordinate(point.y, to: &path)
            pointsInSubpath += 1
        }
        if pointsInSubpath == 1 { path += "h1" }
        guard !path.isEmpty else { return }
        out += "<path d=\"\(path)\" class=\"\(className)\"/>"
    }
}
