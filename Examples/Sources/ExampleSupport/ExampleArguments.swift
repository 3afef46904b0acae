import Foundation

/// The examples' command lines, checked before anything runs: `--help` (or `-h`) prints the
/// usage and exits 0; an unknown flag or too many arguments print the usage on stderr and exit
/// 2, so a mistyped flag is never taken for a file name (`ServiceLifecycleExample --help` once
/// wrote heartbeats to a file called `--help`, for ever). `--` ends the flags, for a file name
/// that starts with a dash.
///
/// ```swift
/// let operands = ExampleArguments.parse(usage: "usage: MyExample [FILE]", maxOperands: 1)
/// ```
public enum ExampleArguments {
    /// The operands (non-flag arguments) of `arguments`, at most `maxOperands`; exits the
    /// process on `--help` (0) or on a bad command line (2).
    public static func parse(
        usage: String, maxOperands: Int = 0, arguments: [String] = Array(CommandLine.arguments.dropFirst())
    ) -> [String] {
        switch check(arguments, maxOperands: maxOperands) {
        case .run(let operands):
            return operands
        case .help:
            FileHandle.standardOutput.write(Data((usage + "\n").utf8))
            exit(0)
        case .invalid(let problem):
            FileHandle.standardError.write(Data("\(problem)\n\(usage)\n".utf8))
            exit(2)
        }
    }

    /// What a command line asks for.
    public enum Outcome: Equatable, Sendable {
        case run([String])
        case help
        case invalid(String)
    }

    /// The decision alone, without printing or exiting, for tests.
    public static func check(_ arguments: [String], maxOperands: Int) -> Outcome {
        var operands: [String] = []
        var flagsEnded = false
        for argument in arguments {
            if !flagsEnded && (argument == "--help" || argument == "-h") { return .help }
            if !flagsEnded && argument == "--" {
                flagsEnded = true
                continue
            }
            if !flagsEnded && argument.hasPrefix("-") && argument != "-" {
                return .invalid("unknown option \(argument.debugDescription.prefix(80))")
            }
            operands.append(argument)
        }
        guard operands.count <= maxOperands else {
            return .invalid(maxOperands == 0 ? "this example takes no arguments" : "too many arguments (at most \(maxOperands))")
        }
        return .run(operands)
    }
}
