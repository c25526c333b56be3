import Spate
import SpateTesting
import Testing
@testable import NetworkWordCount

/// NetworkWordCount's pipeline tested the way a user tests a program: SpateTesting's driver pushes batches of
/// lines in place of the socket and records the counts of every batch.
@Suite struct NetworkWordCountTests {
    @Test func countsTheWordsOfEachBatch() async throws {
        let driver = StreamingTestDriver { t in
            try t.output("counts", wordCounts(try t.input("lines", of: Utf8Text.self)))
        }
        try await driver.start()
        let lines = try driver.input("lines", of: Utf8Text.self)
        lines.push([Utf8Text("to be or not"), Utf8Text("to  be")])
        lines.push([])
        lines.push([Utf8Text("be\tquick")])
        try await driver.advance(batches: 3)
        let counts = try driver.output("counts", of: (TextKey, Int).self)
        let perBatch = counts.batches.map { batch in
            Dictionary(uniqueKeysWithValues: batch.records.map { ($0.0.string, $0.1) })
        }
        #expect(perBatch == [["to": 2, "be": 2, "or": 1, "not": 1], [:], ["be": 1, "quick": 1]])
        #expect(counts.batches.map(\.time.milliseconds) == [1000, 2000, 3000])
        await driver.stop()
    }
}
