import ProcessMonitor
import Foundation

/// One setting, read alike from a command-line flag (`--interval 2s`, `--interval=2s`) and from
/// an environment variable (`PROCESS_MONITOR_INTERVAL=2s`): its names, what its value looks
/// like, its help, and what it changes. A table of these is the one description of a
/// program's settings: ``SettingsReader`` reads the environment and the arguments with it, and
/// ``SettingsReader/help(_:for:)`` writes `--help` from it.
package struct Setting<Root>: Sendable {
    /// `--interval`; `nil` for a setting only the environment gives.
    package let flag: String?
    /// `PROCESS_MONITOR_INTERVAL`; `nil` for a flag only.
    package let variable: String?
    /// What the value looks like in `--help` (`D`, `N`, `FORMAT:DEST`); `nil` for a switch
    /// (`--help`), which takes no value.
    package let placeholder: String?
    /// One line (or a few) for `--help`.
    package let help: String
    /// The environment variable holds a list separated by this character; a flag gives one
    /// item and may be repeated, and flags replace the environment's list as a whole.
    package let listSeparator: Character?
    private let change: @Sendable (String, inout Root) throws(SettingProblem) -> Void
    private let clear: (@Sendable (inout Root) -> Void)?
    private let show: (@Sendable (Root) -> String?)?

    /// A setting; `apply` takes one value (one list item) and throws a ``SettingProblem``
    /// worded to follow the value (`is not a duration such as 2s`). `reset` empties a list
    /// before the first flag replaces the environment's; `current` shows the value in `--help`.
    package init(
        flag: String?, variable: String?, placeholder: String?, help: String, listSeparator: Character? = nil,
        current: (@Sendable (Root) -> String?)? = nil, reset: (@Sendable (inout Root) -> Void)? = nil,
        apply: @escaping @Sendable (String, inout Root) throws(SettingProblem) -> Void
    ) {
        self.flag = flag
        self.variable = variable
        self.placeholder = placeholder
        self.help = help
        self.listSeparator = listSeparator
        self.change = apply
        self.clear = reset
        self.show = current
    }

    func apply(_ value: String, to root: inout Root) throws(SettingProblem) { try change(value, &root) }
    func reset(_ root: inout Root) { clear?(&root) }
    func current(_ root: Root) -> String? { show?(root) }

    /// The same setting applied to the part of a larger value at `path`: a program adds its own
    /// settings (the demo's `--duration`) beside the library's.
    package func lifted<Outer>(_ path: any WritableKeyPath<Outer, Root> & Sendable) -> Setting<Outer> {
        let change = self.change
        var current: (@Sendable (Outer) -> String?)?
        if let show = self.show {
            current = { outer in show(outer[keyPath: path]) }
        }
        var reset: (@Sendable (inout Outer) -> Void)?
        if let clear = self.clear {
            reset = { outer in clear(&outer[keyPath: path]) }
        }
        let apply: @Sendable (String, inout Outer) throws(SettingProblem) -> Void = { value, outer throws(SettingProblem) in
            try change(value, &outer[keyPath: path])
        }
        return Setting<Outer>(
            flag: flag, variable: variable, placeholder: placeholder, help: help, listSeparator: listSeparator,
            current: current, reset: reset, apply: apply
        )
    }
}

/// Why a setting's value was refused, worded to follow the value: `is not a duration such as
/// 500ms, 2s, 1m or 1h`. The reader puts the setting's name and the value (cut when long) in
/// front.
package struct SettingProblem: Error {
    package let text: String

    package init(_ text: String) {
        self.text = text
    }
}

/// Reads a ``Setting`` table from the environment and from the arguments.
package enum SettingsReader {
    /// The prefix that marks a variable as one of ours: one that matches no setting is reported.
    package static let variablePrefix = "PROCESS_MONITOR_"

    /// Applies the table's variables found in `environment`, then `arguments` (flags win; a list
    /// given by flags replaces the environment's). Returns the `PROCESS_MONITOR_*` variables that
    /// match no setting, sorted.
    ///
    /// - Throws: ``ExportError`` (`invalidConfiguration`) naming the variable or flag and the
    ///   value, cut when long: `PROCESS_MONITOR_INTERVAL="soon": is not a duration …`,
    ///   `--interval "soon": …`, `unknown option "--bogus"`, `--interval needs a value`.
    /// Arguments that are not flags (`FILE…`, `-`) go to `operand`; without one they are
    /// unknown options.
    package static func read<Root>(
        environment: [String: String], arguments: [String], table: [Setting<Root>], into root: inout Root,
        operand: ((String, inout Root) -> Void)? = nil
    ) throws(ExportError) -> [String] {
        for setting in table {
            guard let variable = setting.variable, let text = environment[variable] else { continue }
            guard !text.isEmpty else { throw invalid(variable + "=" + MessageValue.quoted(text), "is empty; unset it to keep the default") }
            let items = setting.listSeparator.map { text.split(separator: $0, omittingEmptySubsequences: false).map(String.init) } ?? [text]
            for item in items {
                do throws(SettingProblem) {
                    try setting.apply(item, to: &root)
                } catch {
                    throw invalid(variable + "=" + MessageValue.quoted(text), error.text)
                }
            }
        }
        var replaced: Set<String> = []
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            var name = argument
            var inline: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            guard let setting = table.first(where: { $0.flag == name }) else {
                if let operand, !argument.hasPrefix("-") || argument == "-" {
                    operand(argument, &root)
                    continue
                }
                throw ExportError(code: .invalidConfiguration, message: "unknown option \(MessageValue.quoted(argument))")
            }
            let value: String
            if setting.placeholder == nil {
                guard inline == nil else { throw ExportError(code: .invalidConfiguration, message: "\(name) takes no value") }
                value = ""
            } else if let inline {
                value = inline
            } else if let next = rest.popFirst() {
                value = next
            } else {
                throw ExportError(code: .invalidConfiguration, message: "\(name) needs a value (\(setting.placeholder ?? ""))")
            }
            if setting.listSeparator != nil, replaced.insert(name).inserted {
                setting.reset(&root)
            }
            do throws(SettingProblem) {
                try setting.apply(value, to: &root)
            } catch {
                throw invalid(name + " " + MessageValue.quoted(value), error.text)
            }
        }
        let known = Set(table.compactMap(\.variable))
        return environment.keys.filter { $0.hasPrefix(variablePrefix) && !known.contains($0) }.sorted()
    }

    /// The table as `--help` lists it: each flag with its value, its help, the value `root`
    /// holds (the default, before anything is read), and its environment variable.
    package static func help<Root>(_ table: [Setting<Root>], for root: Root) -> String {
        var lines: [String] = []
        let indent = String(repeating: " ", count: 28)
        for setting in table {
            var head = "  " + (setting.flag ?? "(environment only)")
            if let placeholder = setting.placeholder, setting.flag != nil { head += " " + placeholder }
            var text = setting.help
            if let current = setting.current(root) { text += " (default \(current))" }
            var wrapped = wrap(text, width: 80 - indent.count)
            if head.count < indent.count - 1, !wrapped.isEmpty {
                lines.append(head.padding(toLength: indent.count, withPad: " ", startingAt: 0) + wrapped.removeFirst())
            } else {
                lines.append(head)
            }
            lines += wrapped.map { indent + $0 }
            if let variable = setting.variable {
                let list = setting.listSeparator.map { ", a \"\($0)\"-separated list" } ?? ""
                lines.append(indent + "env " + variable + list)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `text` in lines of at most `width` characters, broken at spaces.
    package static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// The setting name a misspelt `name` most likely meant: the table's closest variable, when
    /// it is at most two edits away.
    package static func suggestion<Root>(for name: String, in table: [Setting<Root>]) -> String? {
        let candidates = table.compactMap(\.variable).map { ($0, editDistance(name, $0)) }
        guard let best = candidates.min(by: { $0.1 < $1.1 }), best.1 <= 2 else { return nil }
        return best.0
    }

    /// Levenshtein distance, over characters.
    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0 ... b.count)
        for (i, left) in a.enumerated() {
            var row = [i + 1]
            for (j, right) in b.enumerated() {
                row.append(min(previous[j + 1] + 1, row[j] + 1, previous[j] + (left == right ? 0 : 1)))
            }
            previous = row
        }
        return previous[b.count]
    }

    private static func invalid(_ subject: String, _ problem: String) -> ExportError {
        ExportError(code: .invalidConfiguration, message: "\(subject): \(problem)")
    }
}
