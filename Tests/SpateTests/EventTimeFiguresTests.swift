import Testing
@testable import Spate

/// Given a manual-clock program with a watermark, a tumbling window and sessions, when its batches run, then
/// every `BatchInfo` reports the watermark after the batch, the late records and each event-time operator's
/// open windows or sessions, as the watermark rule of API.md computes them by hand.
@Suite struct EventTimeFiguresTests {
    /// Four batches of `(key, event time ms)`; delay 2 s, windows of 10 s, sessions with a 6 s gap.
    ///
    /// - Batch 1: newest 19 s, so W(2) = 17 s. Windows a[0,10) and b[0,10) close; a[10,20) and c[10,20) stay
    ///   open (2). Sessions: a [1,7) and b [3,9) close; a [12,18), a [19,25) and c [11,19) (two records)
    ///   stay open: 3 sessions of 2 keys.
    /// - Batch 2: a at 9 s is late (9 < 17); b at 30 s: W(3) = 28 s. Every window and session of batch 1
    ///   closes; b[30,40) and b's session [30,36) are open (1 each).
    /// - Batch 3: empty. The watermark stays at 28 s, the state as it was.
    /// - Batch 4: b at 31 s (on time, joins b's window and session), c at 50 s: W(5) = 48 s. b's window and
    ///   session close; c[50,60) and c's session [50,56) are open.
    static let input: [[(String, Int64)]] = [
        [("a", 1000), ("b", 3000), ("a", 12000), ("a", 19000), ("c", 11000), ("c", 13000)],
        [("a", 9000), ("b", 30000)],
        [],
        [("b", 31000), ("c", 50000)],
    ]

    @Test func batchInfoReportsWatermarkLateRecordsAndOpenWindowsPerBatch() async throws {
        let infos = try await runEventProgram(Self.input) { stream in
            let timed = try stream.withWatermark(eventTime: { $0.1 }, delay: .seconds(2))
            try timed.countByKeyAndWindow(key: { $0.0 }, length: .seconds(10)).named("windows")
                .foreachBatch { _, _ in }
            try timed.reduceByKeyAndSession(key: { $0.0 }, value: { _ in 1 }, +, gap: .seconds(6)).named("sessions")
                .foreachBatch { _, _ in }
        }
        #expect(infos.map(\.batchTime.milliseconds) == [1000, 2000, 3000, 4000])
        #expect(infos.map { $0.watermarks["withWatermark#1"] } == [17000, 28000, 28000, 48000])
        #expect(infos.map { $0.watermarks.count } == [1, 1, 1, 1])
        #expect(infos.map(\.lateRecords) == [0, 1, 0, 0])
        #expect(infos.map { $0.eventTimeState["windows"] } == [2, 1, 1, 1])
        #expect(infos.map { $0.eventTimeState["sessions"] } == [3, 1, 1, 1])
        // stateKeys counts keys: the sessions' two keys, not their three sessions.
        #expect(infos.map { $0.stateKeys["sessions"] } == [2, 1, 1, 1])
        // Only the event-time operators report an event-time state (not the watermark node itself).
        #expect(infos.allSatisfy { Set($0.eventTimeState.keys) == ["windows", "sessions"] })
        #expect(infos[0].description.contains("watermark withWatermark#1 17000 ms"))
    }

    @Test func theJoinReportsItsBufferedRecordsAndNoWatermarkBeforeTheFirstRecord() async throws {
        // Nothing in batch 1; then records at 10 s and 11 s on the left, 10.5 s on the right.
        let input: [[(String, Int64)]] = [[], [("a", 10_000), ("b", 11_000)], []]
        let infos = try await runEventProgram(input) { stream in
            let left = try stream.withWatermark(eventTime: { $0.1 }, delay: .seconds(5))
            let right = try stream.filter { $0.0 == "a" }.map { ($0.0, $0.1 + 500) }
                .withWatermark(eventTime: { $0.1 }, delay: .seconds(5))
            try left.intervalJoin(right, key: { $0.0 }, otherKey: { $0.0 }, lower: .zero, upper: .seconds(1))
                .named("join").foreachBatch { _, _ in }
        }
        #expect(infos[0].watermarks.isEmpty)
        #expect(infos.map { $0.watermarks["withWatermark#1"] } == [nil, 6000, 6000])
        #expect(infos.map { $0.watermarks["withWatermark#2"] } == [nil, 5500, 5500])
        // The common watermark (5.5 s) rules out no partner yet: all three records stay buffered.
        #expect(infos.map { $0.eventTimeState["join"] } == [0, 3, 3])
    }
}
