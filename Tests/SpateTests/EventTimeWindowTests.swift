import Testing
@testable import Spate

/// Tumbling and sliding event-time windows: `[k*slide, k*slide + length)`, closed when W(t+1) reaches the end,
/// `.append` once with the final value, `.update` each batch that touched them; bad definitions rejected.
@Suite struct EventTimeWindowTests {
    /// The engine's windows against the plain-Swift reference, batch by batch, on out-of-order input.
    private func compare(length: Int64, slide: Int64, mode: OutputMode, delay: Int64, seed: UInt64) async throws {
        let input = outOfOrderEvents(seed: seed, batches: 40, perBatch: 150, keys: 4, stepMs: 700, lagMs: 3000, outOfOrder: 0.1)
        var watermark = ReferenceWatermark(delay: delay)
        var windows = ReferenceWindows(length: length, slide: slide, mode: mode)
        let idle = 8
        let expected = (input + Array(repeating: [], count: idle)).map { batch -> [String] in
            let (onTime, _, after) = watermark.batch(batch) { $0.1 }
            return windows.batch(onTime, after: after).map { "\($0.0)=\($0.1)" }.sorted()
        }
        var out: Collector<(Windowed<String>, Int)>?
        try await runEventProgram(input, idle: idle, parallelism: 3) { stream in
            let timed = try stream.withWatermark(eventTime: { $0.1 }, delay: .milliseconds(delay))
            out = Collector(try timed.countByKeyAndWindow(
                key: { $0.0 }, length: .milliseconds(length), slide: .milliseconds(slide), emit: mode))
        }
        #expect(windowRows(out!.results) == expected)
        #expect(expected.joined().count > 50)
    }

    @Test func tumblingAppendEmitsEachWindowOnceWithItsFinalCount() async throws {
        try await compare(length: 2000, slide: 2000, mode: .append, delay: 1000, seed: 1)
    }

    @Test func slidingAppendWindowsAreIndependentOfTheBatchInterval() async throws {
        // 1.5 s windows every 0.5 s, on 1 s batches.
        try await compare(length: 1500, slide: 500, mode: .append, delay: 500, seed: 2)
    }

    @Test func slidingUpdateEmitsTheWindowsEachBatchTouched() async throws {
        try await compare(length: 3000, slide: 1000, mode: .update, delay: 2000, seed: 3)
    }

    @Test func aWindowClosesAfterTheBatchWhoseWatermarkReachesItsEndAndLateRecordsNeverReopenIt() async throws {
        // Delay 2 s, windows of 10 s. Batch 1: [0, 10 s) gets 1 s and 9 s; W after = 9 s - 2 s = 7 s: open.
        // Batch 2: 12 s: W after = 10 s >= 10 s: [0, 10 s) closes and is emitted now, once, with 2.
        // Batch 3: 9.5 s would belong to [0, 10 s) but is before W = 10 s: late, never counted.
        let input: [[(String, Int64)]] = [[("a", 1_000), ("a", 9_000)], [("a", 12_000)], [("a", 9_500)], [("a", 30_000)]]
        var out: Collector<(Windowed<String>, Int)>?, updates: Collector<(Windowed<String>, Int)>?
        let infos = try await runEventProgram(input) { stream in
            let timed = try stream.withWatermark(eventTime: { $0.1 }, delay: .seconds(2))
            out = Collector(try timed.countByKeyAndWindow(key: { $0.0 }, length: .seconds(10)))
            updates = Collector(try timed.countByKeyAndWindow(key: { $0.0 }, length: .seconds(10), emit: .update))
        }
        #expect(windowRows(out!.results) == [[], ["a@[0, 10000)=2"], [], ["a@[10000, 20000)=1"]])
        #expect(windowRows(updates!.results) == [["a@[0, 10000)=2"], ["a@[10000, 20000)=1"], [], ["a@[30000, 40000)=1"]])
        #expect(infos.map(\.lateRecords) == [0, 0, 1, 0])
    }

    @Test func windowsCoverNegativeTimesAndReduceAndCombineFormsAgree() async throws {
        let input: [[(String, Int64)]] = [[("a", -1), ("a", -10_000), ("b", 5)], [("a", 100_000)]]
        var sums: Collector<(Windowed<String>, Int64)>?, means: Collector<(Windowed<String>, Double)>?
        try await runEventProgram(input) { stream in
            let timed = try stream.withWatermark(eventTime: { $0.1 }, delay: .zero)
            sums = Collector(try timed.reduceByKeyAndWindow(key: { $0.0 }, value: { $0.1 }, +, length: .seconds(10)))
            let pairs = try timed.combineByKeyAndWindow(
                key: { $0.0 }, value: { Double($0.1) }, createCombiner: { ($0, 1) },
                mergeValue: { ($0.0 + $1, $0.1 + 1) }, mergeCombiners: { ($0.0 + $1.0, $0.1 + $1.1) },
                length: .seconds(10))
            means = Collector(pairs.map { ($0.0, $0.1.0 / Double($0.1.1)) })
        }
        // -1 and -10 s are both in [-10 s, 0), which closes at once (W after = 5 ms); 5 ms is in [0, 10 s),
        // which closes when 100 s arrives.
        #expect(windowRows(sums!.results) == [["a@[-10000, 0)=-10001"], ["b@[0, 10000)=5"]])
        #expect(windowRows(means!.results) == [["a@[-10000, 0)=-5000.5"], ["b@[0, 10000)=5.0"]])
    }

    @Test func invalidWindowsFailAtDefinitionWithTheFix() throws {
        let ssc = manualContext()
        let timed = try ssc.queueStream([[Int64(1)]]).withWatermark(eventTime: { $0 }, delay: .zero)
        #expect(throws: EventTimeError.lengthNotMultipleOfSlide(
            operation: "countByKeyAndWindow", lengthMilliseconds: 10_000, slideMilliseconds: 3_000)) {
            try timed.countByKeyAndWindow(key: { $0 }, length: .seconds(10), slide: .seconds(3))
        }
        let message = "\(EventTimeError.lengthNotMultipleOfSlide(operation: "countByKeyAndWindow", lengthMilliseconds: 10_000, slideMilliseconds: 3_000))"
        #expect(message.contains("use a slide that divides the length, such as 2500 ms"))
        #expect(throws: EventTimeError.nonPositiveWindow(operation: "reduceByKeyAndWindow", what: "length", duration: .zero)) {
            try timed.reduceByKeyAndWindow(key: { $0 }, value: { $0 }, +, length: .zero)
        }
        #expect(throws: EventTimeError.nonPositiveWindow(operation: "countByKeyAndWindow", what: "slide", duration: .seconds(-1))) {
            try timed.countByKeyAndWindow(key: { $0 }, length: .seconds(10), slide: .seconds(-1))
        }
    }
}
