package import ProcessMonitor

// The columns of the figure table beyond the record formats: what Prometheus, OTLP metrics and
// the HTML report make of each headline figure. Each column is decided per row: a figure a
// format does not carry says why (`.none(because:)`), so a forgotten one cannot pass silently.

/// What the formats other than JSON Lines and logfmt make of one headline figure.
package struct FigureColumns: Sendable {
    /// The Swift property path from a `Heartbeat` (`resources.openFileDescriptors`), for the
    /// README's name table.
    package let swift: String
    /// Where the figure goes in an OTLP log record.
    package let otlpAttribute: OTLPAttribute
    package let prometheus: PrometheusColumn
    package let otlp: OTLPMetricColumn
    package let report: ReportColumn
}

/// Where a figure goes in an OTLP log record.
package enum OTLPAttribute: Sendable {
    /// A log attribute named `processmonitor.<json key>`.
    case logAttribute
    /// A resource attribute of its own (`process.pid`): the same for every record of a process.
    case resource(String)

    /// The prefix of every log attribute the format names after a JSON key.
    static let prefix = "processmonitor."
}

// MARK: - Prometheus

/// A Prometheus metric family: name, type, base unit and help text.
package struct PrometheusFamily: Sendable {
    /// The metric types the format writes.
    package enum Kind: String, Sendable {
        case gauge
        case counter
    }

    /// The base unit; the name carries it as a suffix (before `_total`), as the Prometheus
    /// naming conventions ask.
    package enum Unit: String, Sendable {
        case seconds
        case bytes
        /// A ratio of 0 to 1.
        case ratio
        /// A plain count or a flag: no suffix.
        case none = ""
    }

    /// How a figure becomes the sample's value.
    package enum Sample: Sendable {
        /// The figure itself.
        case figure
        /// 1 when a word figure equals this word, else 0 (`processmonitor_final_heartbeat`).
        case oneWhen(String)
    }

    package let name: String
    package let kind: Kind
    package let unit: Unit
    package let help: String
    let sample: Sample
    /// `# HELP …` and `# TYPE …`, rendered once.
    let helpLine: String
    let typeLine: String

    init(_ name: String, _ kind: Kind, unit: Unit, help: String, sample: Sample = .figure) {
        self.name = name
        self.kind = kind
        self.unit = unit
        self.help = help
        self.sample = sample
        self.helpLine = "# HELP \(name) \(help)"
        self.typeLine = "# TYPE \(name) \(kind.rawValue)"
    }
}

/// What Prometheus makes of a figure.
package enum PrometheusColumn: Sendable {
    case family(PrometheusFamily)
    /// Not a Prometheus family, and why.
    case none(because: String)

    static func gauge(_ name: String, unit: PrometheusFamily.Unit = .none, _ help: String,
                      sample: PrometheusFamily.Sample = .figure) -> PrometheusColumn {
        .family(PrometheusFamily(name, .gauge, unit: unit, help: help, sample: sample))
    }

    static func counter(_ name: String, unit: PrometheusFamily.Unit = .none, _ help: String) -> PrometheusColumn {
        .family(PrometheusFamily(name, .counter, unit: unit, help: help))
    }

    package var family: PrometheusFamily? {
        if case .family(let family) = self { family } else { nil }
    }
}

// MARK: - OTLP metrics

/// An OTLP metric: name, instrument, unit (UCUM, as OTLP wants) and description.
package struct OTLPMetric: Sendable {
    /// How a metric aggregates: OTLP's gauge, or a cumulative sum that only grows (a counter)
    /// or may go down (an up-down counter, which is what the semantic conventions make
    /// `process.memory.usage`, `process.thread.count` and the descriptor count).
    package enum Kind: Sendable {
        case gauge
        case counter
        case upDownSum
    }

    package let name: String
    package let kind: Kind
    package let unit: String
    package let description: String
    /// Whether the name is OpenTelemetry's (semantic conventions
    /// ``OTLPJSONFormat/semanticConventionsVersion``) rather than one under `processmonitor.`.
    package let semanticConvention: Bool
    /// A data-point attribute: figures that are points of one metric (`process.disk.io` with
    /// `disk.io.direction` `read` and `write`) are adjacent rows with the same name.
    package let pointAttribute: (key: String, value: String)?
    /// `{"name":"…","description":"…","unit":"…","gauge":{"dataPoints":[` (or `"sum"`), rendered once.
    let opening: [UInt8]

    init(_ name: String, _ kind: Kind, unit: String, _ description: String,
         semanticConvention: Bool = false, pointAttribute: (key: String, value: String)? = nil) {
        self.name = name
        self.kind = kind
        self.unit = unit
        self.description = description
        self.semanticConvention = semanticConvention
        self.pointAttribute = pointAttribute
        var out = LineBuffer(capacity: 160)
        out.append("{\"name\":")
        out.appendJSONString(name)
        out.append(",\"description\":")
        out.appendJSONString(description)
        out.append(",\"unit\":")
        out.appendJSONString(unit)
        out.append(kind == .gauge ? ",\"gauge\":{\"dataPoints\":[" : ",\"sum\":{\"dataPoints\":[")
        self.opening = out.bytes.array()
    }
}

/// What OTLP metrics make of a figure.
package enum OTLPMetricColumn: Sendable {
    case metric(OTLPMetric)
    /// Not an OTLP metric (the log record still carries it), and why.
    case none(because: String)

    static func gauge(_ name: String, unit: String, _ description: String, semanticConvention: Bool = false) -> OTLPMetricColumn {
        .metric(OTLPMetric(name, .gauge, unit: unit, description, semanticConvention: semanticConvention))
    }

    static func counter(_ name: String, unit: String, _ description: String, semanticConvention: Bool = false,
                        pointAttribute: (key: String, value: String)? = nil) -> OTLPMetricColumn {
        .metric(OTLPMetric(name, .counter, unit: unit, description, semanticConvention: semanticConvention,
                           pointAttribute: pointAttribute))
    }

    static func upDownSum(_ name: String, unit: String, _ description: String, semanticConvention: Bool = false) -> OTLPMetricColumn {
        .metric(OTLPMetric(name, .upDownSum, unit: unit, description, semanticConvention: semanticConvention))
    }

    package var metric: OTLPMetric? {
        if case .metric(let metric) = self { metric } else { nil }
    }
}

// MARK: - The HTML report

/// The report's time-series charts of headline figures.
package enum ReportChart: Sendable, CaseIterable {
    case cpuCores
    case memory
    case fileDescriptors
}

/// Where the HTML report shows a figure.
package enum ReportColumn: Sendable {
    /// When a chart draws a series.
    package enum Shown: Sendable, Equatable {
        case always
        /// Only when some heartbeat knows the figure (a quota most jobs do not have).
        case whenKnown
        /// Only when the figure differs from the row `key` in some heartbeat.
        case whenDifferentFrom(String)
    }

    /// A line of a chart; a limit is drawn dashed. `style` picks the colour (`s1`…`s4`).
    case series(ReportChart, name: String, style: Int, isLimit: Bool = false, shown: Shown = .always)
    /// A row of the run's summary, or a section, headed `title`.
    case shown(under: String)
    /// Not in the report, and why.
    case none(because: String)
}

// MARK: - Figures derived from the record

/// A figure Prometheus or OTLP metrics carry that is computed from a record rather than one of
/// its headline fields: the stall count, the active phase's age, the dropped-record counter.
package struct DerivedFigure: Sendable {
    /// How the value is computed from the heartbeat and its context.
    package enum Value: Sendable {
        case count(@Sendable (Heartbeat, FormatContext) -> UInt64?)
        case seconds(@Sendable (Heartbeat) -> Duration?)
        case number(@Sendable (Heartbeat) -> Double?)
        /// One series per resource, labelled `resource`: 1 while it is at 90 % of its limit.
        case resourceWarnings
        /// Always 1, labelled `phase` with the active phase's label; no sample when idle.
        case activePhaseInfo
        /// One series per forecast, labelled `resource`: the time left to its limit.
        case resourceForecasts
    }

    /// What the figure is computed from, in JSON Lines terms (`stalls`, `active.age_s`).
    package let source: String
    package let value: Value
    package let prometheus: PrometheusColumn
    package let otlp: OTLPMetricColumn
}
