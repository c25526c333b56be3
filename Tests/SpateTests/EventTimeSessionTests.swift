import Testing
@testable import Spate

/// Plain-Swift sessions: a key's open records, re-merged from scratch every batch.
private struct ReferenceSessions {
    let gap: Int64, mode: OutputMode
    var open: [String: [Int64]] = [:]

    /// The sessions of sorted times: spans `[x, x + gap)` merged while they overlap.
    static func sessions(_ times: [Int64], gap: Int64) -> [(EventWindow, Int)] {
        var out: [(EventWindow, Int)] = []
        for t in times.sorted() {
            if let last = out.last, t < last.0.end {
                out[out.count - 1] = (EventWindow(start: last.0.start, end: Swift.max(last.0.end, t + gap)), last.1 + 1)
            } else {
                out.append((EventWindow(start: t, end: t + gap), 1))
            }
        }
        return out
    }

    mutating func batch(_ records: [(String, Int64)], after: Int64?) -> [String] {
        for (k, t) in records { open[k, default: []].append(t) }
        var out: [String] = []
        for (key, times) in open {
            var remaining: [Int64] = []
            for (window, count) in Self.sessions(times, gap: gap) {
                let closed = after.map { window.end <= $0 } ?? false
                let touched = records.contains { $0.0 == key && window.start <= $0.1 && $0.1 < window.end }
                if (mode == .append && closed) || (mode == .update && touched) {
                    out.append("\(Windowed(key: key, window: window))=\(count)")
                }
                if !closed { remaining += times.filter { window.start <= $0 && $0 < window.end } }
            }
            open[key] = remaining.isEmpty ? nil : remaining
        }
        return out.sorted()
    }
}

/// `reduceByKeyAndSession`: spans `[x, x + gap)` merged per key, also when a record bridges two sessions;
/// closed like windows; `.append` and `.update`.
@Suite struct EventTimeSessionTests {
    @Test func aRecordBridgingTwoSessionsMergesThem() async throws {
        // Gap 10 s, delay 30 s (nothing closes until the end). Batch 1: sessions [0, 10 s) and [15 s, 25 s).
        // Batch 2: 8 s spans [8 s, 18 s), overlapping both: one session [0, 25 s) of 3 records.
        let input: [[(String, Int64)]] = [[("u", 0), ("u", 15_000)], [("u", 8_000)], [("u", 100_000)]]
        var sessions: Collector<(Windowed<String>, Int)>?, updates: Collector<(Windowed<String>, Int)>?
        try await runEventProgram(input) { stream in
            let timed = try stream.withWatermark(eventTime: { $0.1 }, delay: .seconds(30))
            sessions = Collector(try timed.reduceByKeyAndSession(key: { $0.0 }, value: { _ in 1 }, +, gap: .seconds(10)))
            updates = Collector(try timed.reduceByKeyAndSession(
                key: { $0.0 }, value: { _ in 1 }, +, gap: .seconds(10), emit: .update))
        }
        // Batch 3: W after = 70 s closes [0, 25 s); [100 s, 110 s) stays open.
        #expect(windowRows(sessions!.results) == [[], [], ["u@[0, 25000)=3"]])
        #expect(windowRows(updates!.results) == [
            ["u@[0, 10000)=1", "u@[15000, 25000)=1"], ["u@[0, 25000)=3"], ["u@[100000, 110000)=1"],
        ])
    }

    @Test func touchingSpansStayApartAndSessionsCloseWhenTheWatermarkReachesTheirEnd() async throws {
        // [0, 10 s) and [10 s, 20 s) touch but do not overlap. Delay 0: batch 1's watermark (10 s) closes
        // [0, 10 s) only; batch 2's (25 s) closes [10 s, 20 s) and v's [3 s, 13 s).
        let input: [[(String, Int64)]] = [[("u", 0), ("u", 10_000), ("v", 3_000)], [("u", 25_000)], [("u", 40_000)]]
        var sessions: Collector<(Windowed<String>, Int64)>?
        let infos = try await runEventProgram(input) { stream in
            let timed = try stream.withWatermark(eventTime: { $0.1 }, delay: .zero)
            sessions = Collector(try timed.reduceByKeyAndSession(key: { $0.0 }, value: { $0.1 }, +, gap: .seconds(10))
                .named("sessions"))
        }
        #expect(windowRows(sessions!.results) == [
            ["u@[0, 10000)=0"], ["u@[10000, 20000)=10000", "v@[3000, 13000)=3000"], ["u@[25000, 35000)=25000"],
        ])
        // The state holds the keys with open sessions.
        #expect(infos.map { $0.stateKeys["sessions"] } == [2, 1, 1])
    }

    private func compare(mode: OutputMode, seed: UInt64) async throws {
        let input = outOfOrderEvents(seed: seed, batches: 30, perBatch: 40, keys: 6, stepMs: 1000, lagMs: 3000, outOfOrder: 0.2)
        var watermark = ReferenceWatermark(delay: 1500)
        var reference = ReferenceSessions(gap: 400, mode: mode)
        let idle = 6
        let expected = (input + Array(repeating: [], count: idle)).map { batch -> [String] in
            let (onTime, _, after) = watermark.batch(batch) { $0.1 }
            return reference.batch(onTime, after: after)
        }
        var out: Collector<(Windowed<String>, Int)>?
        try await runEventProgram(input, idle: idle, parallelism: 3) { stream in
            let timed = try stream.withWatermark(eventTime: { $0.1 }, delay: .milliseconds(1500))
            out = Collector(try timed.reduceByKeyAndSession(
                key: { $0.0 }, value: { _ in 1 }, +, gap: .milliseconds(400), emit: mode))
        }
        #expect(windowRows(out!.results) == expected)
        #expect(expected.joined().count > 50)
    }

    @Test func appendSessionsMatchThePlainSwiftReference() async throws {
        try await compare(mode: .append, seed: 11)
    }

    @Test func updateSessionsMatchThePlainSwiftReference() async throws {
        try await compare(mode: .update, seed: 12)
    }

    @Test func aGapUnderOneMillisecondFailsAtDefinition() throws {
        let timed = try manualContext().queueStream([[Int64(1)]]).withWatermark(eventTime: { $0 }, delay: .zero)
        #expect(throws: EventTimeError.nonPositiveGap(operation: "reduceByKeyAndSession", gap: .zero)) {
            try timed.reduceByKeyAndSession(key: { $0 }, value: { $0 }, +, gap: .zero)
        }
    }
}
