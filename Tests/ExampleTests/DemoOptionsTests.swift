import Testing
@testable import spate

/// `spate demo`'s options: values that used to trap (overflowing durations and products) fail validation with
/// a message that says what to pass.
@Suite struct DemoOptionsTests {
    @Test(arguments: [
        ["--batch-ms", "9223372036854775807"], ["--batch-ms", "5"], ["--window-batches", "4611686018427387904"],
        ["--window-batches", "0"], ["--rate", "9223372036854775807"], ["--rate", "0"], ["--seconds=-1"],
        ["--seconds", "9223372036854775807"], ["--dashboard-port", "70000"],
    ])
    func outOfRangeOptionsAreRefused(arguments: [String]) {
        do {
            _ = try Demo.parse(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let message = Demo.message(for: error)
            #expect(message.contains("must be in"), "\(message)")
            #expect(message.contains("e.g."), "\(message)")
        }
    }

    @Test func defaultsAndLargestValuesAreAccepted() throws {
        _ = try Demo.parse([])
        _ = try Demo.parse(["--batch-ms", "3600000", "--window-batches", "10000", "--rate", "100000000"])
    }
}
