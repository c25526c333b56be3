import Foundation
import Spate
import SpateTesting
import Testing

/// The test driver's own specification: inputs reach the program one batch per batch time, outputs record each
/// batch, and a crash plus recovery continues exactly as an uninterrupted run does.
@Suite struct StreamingTestDriverTests {
    /// Running totals per key (updateStateByKey) and a 3-batch windowed count (incremental, with inverse).
    static let program: StreamingTestDriver.Program = { t in
        let pairs = try t.input("events", of: Int.self).map { ("k\($0 % 3)", $0) }
        let totals = pairs.updateStateByKey { (new: [Int], old: Int?) -> Int? in (old ?? 0) + new.reduce(0, +) }
            .named("totals")
        let window = try pairs.mapValues { _ in 1 }
            .reduceByKeyAndWindow(+, inverse: -, length: .seconds(3), slide: .seconds(1)).named("window")
        try t.output("totals", totals)
        try t.output("window", window)
    }

    /// The batches pushed: batch i holds i..<i+5 (batch 4 is empty).
    static func batch(_ i: Int) -> [Int] { i == 4 ? [] : Array(i..<(i + 5)) }

    static func rows(_ output: TestOutput<(String, Int)>) -> [[String]] {
        output.batches.map { $0.records.map { "\($0.0)=\($0.1)" }.sorted() }
    }

    @Test func inputsReachTheProgramOneBatchPerBatchTime() async throws {
        let driver = StreamingTestDriver { t in try t.output("doubled", try t.input("n", of: Int.self).map { $0 * 2 }) }
        try await driver.start()
        let n = try driver.input("n", of: Int.self)
        n.push([1, 2])
        n.push([3])
        try await driver.advance(batches: 3)
        let doubled = try driver.output("doubled", of: Int.self)
        #expect(doubled.batches.map { $0.records.sorted() } == [[2, 4], [6], []])
        #expect(doubled.records(at: BatchTime(milliseconds: 2000)) == [6])
        #expect(driver.time == BatchTime(milliseconds: 3000))
        #expect(n.pushedBatches == 2)
        await driver.stop()
    }

    @Test func crashAndRecoveryContinueLikeAnUninterruptedRun() async throws {
        let reference = StreamingTestDriver(program: Self.program)
        try await reference.start()
        for i in 1...8 { try reference.input("events", of: Int.self).push(Self.batch(i)) }
        try await reference.advance(batches: 8)
        await reference.stop()

        // Checkpoints every 2 batches; crash after batch 5: batch 5 ran but was not checkpointed, so it runs
        // again after the recovery.
        let driver = StreamingTestDriver(checkpointing: true, checkpointEvery: 2, program: Self.program)
        try await driver.start()
        let events = try driver.input("events", of: Int.self)
        for i in 1...5 { events.push(Self.batch(i)) }
        try await driver.advance(batches: 5)
        try await driver.crash()
        // Batches pushed while the program is down are read after the recovery.
        for i in 6...8 { events.push(Self.batch(i)) }
        try await driver.recover()
        #expect(driver.time == BatchTime(milliseconds: 4000))
        #expect(driver.runs == 2)
        try await driver.advance(batches: 4)

        for name in ["totals", "window"] {
            let got = try driver.output(name, of: (String, Int).self)
            let want = try reference.output(name, of: (String, Int).self)
            #expect(Self.rows(got) == Self.rows(want), "\(name)")
            #expect(got.batches.map(\.time.milliseconds) == Array(stride(from: 1000, through: 8000, by: 1000)))
            // Batch 5 ran twice: once before the crash, once after.
            #expect(got.history.filter { $0.time.milliseconds == 5000 }.count == 2)
        }
        await driver.stop()
        #expect(!FileManager.default.fileExists(atPath: try #require(driver.checkpointDirectory).path))
    }

    @Test func misuseFailsWithAMessageThatNamesTheFix() async throws {
        let driver = StreamingTestDriver { t in try t.output("out", try t.input("n", of: Int.self)) }
        try await driver.start()
        #expect(throws: SpateTestingError.typeMismatch(name: "n", expected: "String", actual: "Int")) {
            try driver.input("n", of: String.self)
        }
        #expect(throws: SpateTestingError.unknown(kind: "output", name: "missing")) {
            try driver.output("missing", of: Int.self)
        }
        await #expect(throws: SpateTestingError.checkpointingRequired("crash()")) { try await driver.crash() }
        #expect("\(SpateTestingError.typeMismatch(name: "n", expected: "String", actual: "Int"))".contains("of: Int.self"))
        await driver.stop()

        let twice = StreamingTestDriver { t in
            let n = try t.input("n", of: Int.self)
            try t.output("out", n)
            try t.output("out", n)
        }
        await #expect(throws: SpateTestingError.duplicateName(kind: "output", name: "out")) { try await twice.start() }
    }
}
