import Spate
import SpateTesting
import Testing
@testable import SQLWordCount

/// SQLWordCount's pipeline tested as a user would: pushed lines in place of the socket, each batch's SQL counts
/// against a Swift count of the same words.
@Suite struct SQLWordCountTests {
    @Test func countsTheWordsOfEachBatchAsASwiftCountDoes() async throws {
        let driver = StreamingTestDriver { t in
            try t.output("counts", sqlWordCounts(try t.input("lines", of: String.self)))
        }
        try await driver.start()
        let lines = try driver.input("lines", of: String.self)
        let batches = [["to be or not", "to  be"], [], ["être ou ne pas être", "🎉 🎉"]]
        for b in batches { lines.push(b) }
        try await driver.advance(batches: 3)
        let counts = try driver.output("counts", of: (String, Int).self).batches.map {
            Dictionary(uniqueKeysWithValues: $0.records)
        }
        let expected = batches.map { b in
            b.flatMap { $0.split(separator: " ").map(String.init) }.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        }
        #expect(counts == expected)
        await driver.stop()
    }

    @Test func showPrintsTheCountsAsSparksDataFrameShowDoes() {
        #expect(show([("be", 2), ("to", 2), ("or", 1)]) == """
            +----+-----+
            |word|total|
            +----+-----+
            |  be|    2|
            |  to|    2|
            |  or|    1|
            +----+-----+
            """)
        #expect(show([("a", 1), ("b", 1)], limit: 1).hasSuffix("only showing top 1 rows"))
    }
}
