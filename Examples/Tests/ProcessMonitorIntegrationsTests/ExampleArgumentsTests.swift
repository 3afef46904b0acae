import ExampleSupport
import Testing

@Suite struct ExampleArgumentsTests {
    @Test func helpUnknownFlagsAndTooManyArgumentsAreToldApart() {
        #expect(ExampleArguments.check([], maxOperands: 1) == .run([]))
        #expect(ExampleArguments.check(["hb.jsonl"], maxOperands: 1) == .run(["hb.jsonl"]))
        #expect(ExampleArguments.check(["--help"], maxOperands: 1) == .help)
        #expect(ExampleArguments.check(["hb.jsonl", "-h"], maxOperands: 1) == .help)
        #expect(ExampleArguments.check(["--bogus"], maxOperands: 1) == .invalid("unknown option \"--bogus\""))
        #expect(ExampleArguments.check(["a", "b"], maxOperands: 1) == .invalid("too many arguments (at most 1)"))
        #expect(ExampleArguments.check(["x"], maxOperands: 0) == .invalid("this example takes no arguments"))
        // After --, a dash is a file name.
        #expect(ExampleArguments.check(["--", "--help"], maxOperands: 1) == .run(["--help"]))
        #expect(ExampleArguments.check(["-"], maxOperands: 1) == .run(["-"]))
    }
}
