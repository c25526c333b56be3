import Spate
import SpateStreamSQL
import SpateTesting
import Testing

/// `over:` histories: a query spans the last N batches, and the tables hold no more than those.
@Suite struct SQLHistoryTests {
    @Test func aQueryOverTheLastThreeBatchesEqualsACountOfThoseBatches() async throws {
        let batches = randomWordBatches(seed: 21, batches: 8)
        let out = try await runSQL(batches) { words in
            words.sql("SELECT value, COUNT(*) FROM batch GROUP BY value", over: .batches(3)) { row in
                (row.text(0), row.integer(1))
            }
        }
        #expect(out.count == batches.count)
        for (i, result) in out.enumerated() {
            let window = batches[Swift.max(0, i - 2)...i].flatMap { $0 }
            #expect(Dictionary(uniqueKeysWithValues: result) == counted(window), "batch \(i + 1)")
        }
    }

    @Test func theTablesHoldOnlyTheHistorysBatches() async throws {
        let batches = (1...7).map { n in Array(repeating: n, count: n) }
        let out = try await runSQL(batches) { s in
            s.sql("SELECT COUNT(*), COUNT(DISTINCT batch_time), MIN(batch_time), MAX(batch_time) FROM batch",
                  over: .window(.seconds(2))) { row in [row.integer(0), row.integer(1), row.integer(2), row.integer(3)] }
        }
        // Batch k (at k s) holds k rows; the window holds batches k-1 and k.
        let expected: [[Int]] = [[1, 1, 1000, 1000]] + (2...7).map { (k: Int) -> [Int] in
            [2 * k - 1, 2, (k - 1) * 1000, k * 1000]
        }
        #expect(out.map { $0[0] } == expected)
    }

    @Test func aJoinOfTwoStreamsEqualsASwiftJoinPerBatchAndOverAHistory() async throws {
        var rng = SeededRandom(seed: 5)
        let users = ["ann", "bob", "cy", "dee"]
        let clicks: [[(String, Int)]] = (0..<5).map { _ in
            (0..<Int(rng.next() % 30)).map { _ in (users[Int(rng.next() % 4)], Int(rng.next() % 100)) }
        }
        let buys: [[(String, Int)]] = (0..<5).map { _ in
            (0..<Int(rng.next() % 6)).map { _ in (users[Int(rng.next() % 4)], 1) }
        }
        let query = "SELECT c.key, SUM(c.value) FROM batch c JOIN buys b ON b.key = c.key GROUP BY c.key"
        for history in [SQLHistory.batch, .batches(2)] {
            let driver = StreamingTestDriver { t in
                let c = try t.input("clicks", of: (String, Int).self), b = try t.input("buys", of: (String, Int).self)
                try t.output("out", c.sql(query, columns: .pair(), joining: b, as: "buys", columns: .pair(),
                                          over: history) { row in (row.text(0), row.integer(1)) })
            }
            try await driver.start()
            for i in 0..<5 {
                try driver.input("clicks", of: (String, Int).self).push(clicks[i])
                try driver.input("buys", of: (String, Int).self).push(buys[i])
            }
            try await driver.advance(batches: 5)
            let out = try driver.output("out", of: (String, Int).self).batches.map(\.records)
            await driver.stop()
            for i in 0..<5 {
                let from = history == .batch ? i : Swift.max(0, i - 1)
                let c = clicks[from...i].flatMap { $0 }, b = buys[from...i].flatMap { $0 }
                var expected: [String: Int] = [:]
                for (user, value) in c { for (buyer, _) in b where buyer == user { expected[user, default: 0] += value } }
                #expect(Dictionary(uniqueKeysWithValues: out[i]) == expected, "\(history) batch \(i + 1)")
            }
        }
    }

    @Test func aRecoveredBatchIsQueriedAgainWithTheSameResult() async throws {
        let batches = randomWordBatches(seed: 33, batches: 6)
        let query = "SELECT value, COUNT(*) FROM batch GROUP BY value"
        func program(_ history: SQLHistory) -> StreamingTestDriver.Program {
            { t in
                try t.output("out", try t.input("words", of: String.self).sql(query, over: history) { row in
                    (row.text(0), row.integer(1))
                })
            }
        }
        for history in [SQLHistory.batch, .batches(3)] {
            let plain = StreamingTestDriver(program: program(history))
            try await plain.start()
            for b in batches { try plain.input("words", of: String.self).push(b) }
            try await plain.advance(batches: 6)
            let expected = try plain.output("out", of: (String, Int).self).batches.map { Dictionary(uniqueKeysWithValues: $0.records) }
            await plain.stop()

            let driver = StreamingTestDriver(checkpointing: true, program: program(history))
            try await driver.start()
            for b in batches { try driver.input("words", of: String.self).push(b) }
            try await driver.advance(batches: 3)
            try await driver.crashAndRecover()
            try await driver.advance(batches: 3)
            let recovered = try driver.output("out", of: (String, Int).self)
            #expect(driver.runs == 2)
            #expect(recovered.batches.map { Dictionary(uniqueKeysWithValues: $0.records) } == expected, "\(history)")
            // Every run of a batch, replays included, gave that batch's result.
            for run in recovered.history {
                #expect(Dictionary(uniqueKeysWithValues: run.records) == expected[Int(run.time.milliseconds / 1000) - 1])
            }
            await driver.stop()
        }
    }
}
