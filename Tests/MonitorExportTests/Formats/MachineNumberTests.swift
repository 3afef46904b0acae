import Foundation
@testable import MonitorExport
import ProcessMonitor
import Testing

@Suite struct MachineNumberTests {
    @Test(arguments: [
        (Int64(0), "0.000"), (1, "0.001"), (99, "0.099"), (512, "0.512"), (999, "0.999"), (1000, "1.000"),
        (3_725_004, "3725.004"), (123_456_789, "123456.789"), (Int64.max, "9223372036854775.807"), (-1_500, "-1.500"),
    ])
    func secondsHaveExactlyThreeFractionDigits(milliseconds: Int64, text: String) {
        var line = LineBuffer()
        line.appendSeconds(.milliseconds(milliseconds))
        #expect(line.text == text)
    }

    @Test func numbersAreIntegersWhenWholeAndShortestOtherwise() {
        for (value, text) in [(2.0, "2"), (0.5, "0.5"), (1.9, "1.9"), (0.0, "0"), (1e300, "1e+300"), (-1.0, "null"),
                              (Double.nan, "null"), (Double.infinity, "null")] {
            var line = LineBuffer()
            line.appendMachineNumber(value, else: "null")
            #expect(line.text == text, "\(value)")
        }
    }
}
