import Testing
@testable import Spate

/// `withWatermark`: W(t) from the batches before t, never decreasing, none before the first record; late
/// records left out, handed to `late` and counted in `BatchInfo.lateRecords`.
@Suite struct EventTimeWatermarkTests {
    @Test func theWatermarkComesFromTheBatchesBeforeAndNeverDecreases() async throws {
        // Event times in ms; delay 5 s.
        let input: [[Int64]] = [[], [10_000, 4_000], [3_000, 12_000, 7_000], [1_000, 6_999, 7_000], []]
        var records: Collector<Int64>?, late: Collector<Int64>?, marks: Collector<Int64>?
        let infos = try await runEventProgram(input) { stream in
            let timed = try stream.withWatermark(eventTime: { $0 }, delay: .seconds(5))
            records = Collector(timed.records)
            late = Collector(timed.late)
            marks = Collector(timed.watermarks)
        }
        // Batch 1 has no record: no watermark yet. Batch 2: none in force, so nothing is late (4 s included);
        // after it, 10 s - 5 s. Batch 3: 3 s < 5 s is late. Batch 4: W = 7 s; 6.999 s is late, 7 s is not; the
        // newest stays 12 s, so the watermark stays 7 s, and so on with no records.
        #expect(records!.results.map { $0.sorted() } == [[], [4_000, 10_000], [7_000, 12_000], [7_000], []])
        #expect(late!.results.map { $0.sorted() } == [[], [], [3_000], [1_000, 6_999], []])
        #expect(marks!.results == [[], [5_000], [7_000], [7_000], [7_000]])
        #expect(infos.map(\.lateRecords) == [0, 0, 1, 2, 0])
    }

    @Test func lateRecordsMatchThePlainSwiftRuleOnRandomInput() async throws {
        let input = outOfOrderEvents(seed: 7, batches: 30, perBatch: 200, keys: 5, stepMs: 1000, lagMs: 4000, outOfOrder: 0.2)
        var reference = ReferenceWatermark(delay: 2000)
        let expected = input.map { reference.batch($0) { $0.1 } }
        var records: Collector<(String, Int64)>?, late: Collector<(String, Int64)>?, marks: Collector<Int64>?
        let infos = try await runEventProgram(input, parallelism: 3) { stream in
            let timed = try stream.withWatermark(eventTime: { $0.1 }, delay: .seconds(2))
            records = Collector(timed.records)
            late = Collector(timed.late)
            marks = Collector(timed.watermarks)
        }
        let show = { (batch: [(String, Int64)]) in batch.map { "\($0.0)@\($0.1)" }.sorted() }
        #expect(records!.results.map(show) == expected.map { show($0.onTime) })
        #expect(late!.results.map(show) == expected.map { show($0.late) })
        #expect(marks!.results == expected.map { $0.after.map { [$0] } ?? [] })
        #expect(infos.map(\.lateRecords) == expected.map(\.late.count))
        #expect(expected.reduce(0) { $0 + $1.late.count } > 100)  // the input does exercise lateness
    }

    @Test func aNegativeDelayFailsAtDefinitionWithTheFix() throws {
        let ssc = manualContext()
        let stream = ssc.queueStream([[Int64(1)]])
        #expect(throws: EventTimeError.negativeDelay(.seconds(-1))) {
            try stream.withWatermark(eventTime: { $0 }, delay: .seconds(-1))
        }
        let message = "\(EventTimeError.negativeDelay(.seconds(-1)))"
        #expect(message.contains("use a delay of zero or more"))
        // Zero is allowed: a record older than the newest seen before is late.
        _ = try stream.withWatermark(eventTime: { $0 }, delay: .zero)
    }

    @Test func mapAndFilterKeepEachRecordsTimeAndTheStreamsWatermark() async throws {
        // (key, time): the mapped records have no time of their own; windows still use the original times.
        let input: [[(String, Int64)]] = [[("a", 1_000), ("b", 2_000), ("a", 12_000)], [("a", 3_000), ("a", 25_000)], []]
        var counts: Collector<(Windowed<String>, Int)>?, late: Collector<String>?
        try await runEventProgram(input) { stream in
            let timed = try stream.withWatermark(eventTime: { $0.1 }, delay: .zero)
            let mapped = timed.filter { $0.0 == "a" }.map { $0.0.uppercased() }
            counts = Collector(try mapped.countByKeyAndWindow(key: { $0 }, length: .seconds(10)))
            late = Collector(mapped.late)
        }
        // Batch 1: W after = 12 s closes [0, 10 s) with one "A" (b was filtered out). Batch 2: 3 s is late
        // (W = 12 s), 25 s moves W to 25 s and closes [10 s, 20 s).
        #expect(windowRows(counts!.results) == [["A@[0, 10000)=1"], ["A@[10000, 20000)=1"], []])
        #expect(late!.results == [[], ["A"], []])
    }
}
