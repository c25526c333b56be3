import Foundation
import Spate
import SpateTesting
import Testing

/// A NaN or an infinity in checkpointed state used to make every later checkpoint fail (JSONEncoder refuses
/// them): the program then recovered from the last checkpoint before the NaN, far behind.
@Suite struct NonFiniteStateTests {
    static let program: StreamingTestDriver.Program = { t in
        let sums = try t.input("values", of: (String, Double).self)
            .updateStateByKey { (new: [Double], old: Double?) -> Double? in (old ?? 0) + new.reduce(0, +) }
            .named("sums")
        try t.output("sums", sums)
    }

    @Test func nanAndInfinityInStateAreCheckpointedAndRecovered() async throws {
        let driver = StreamingTestDriver(checkpointing: true, program: Self.program)
        try await driver.start()
        let values = try driver.input("values", of: (String, Double).self)
        values.push([("a", 1), ("b", 1), ("c", 1)])
        values.push([("a", .nan), ("b", .infinity), ("c", -.infinity)])
        values.push([("d", 2)])
        try await driver.advance(batches: 3)
        try await driver.crashAndRecover()
        // Checkpoints went on after the NaN: the recovery is from the last batch, not from batch 1.
        #expect(driver.time == BatchTime(milliseconds: 3000))
        values.push([("d", 3)])
        try await driver.advance(batches: 1)
        let last = try #require(try driver.output("sums", of: (String, Double).self).last)
        let sums = Dictionary(uniqueKeysWithValues: last)
        #expect(sums["a"]?.isNaN == true)
        #expect(sums["b"] == .infinity)
        #expect(sums["c"] == -.infinity)
        #expect(sums["d"] == 5)
        await driver.stop()
    }
}
