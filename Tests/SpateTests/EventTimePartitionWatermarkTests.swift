import Foundation
import Testing
@testable import Spate

/// A record of an in-memory multi-partition source: its source partition's id and its event time.
typealias PartitionedEvent = (partition: String, time: Int64)

/// The source partition of a `PartitionedEvent`, in stream "s".
@Sendable func sourcePartition(_ e: PartitionedEvent) -> SourcePartition {
    SourcePartition(stream: "s", id: e.partition)
}

/// Plain-Swift per-partition watermark (API.md's rule per partition): each partition's largest event time,
/// active while its last records are less than `idleMs` of batch time old; W(t+1) = max(W(t), min over the
/// active partitions - delay), unchanged when none is active.
struct ReferencePartitionWatermark {
    let delay: Int64, idleMs: Int
    var watermark: Int64?
    var newest: [String: (time: Int64, lastBatch: Int)] = [:]

    /// Splits batch `index` (one per second) into on-time and late records by W(t) and returns W(t+1).
    mutating func batch(
        _ records: [PartitionedEvent], index: Int
    ) -> (onTime: [PartitionedEvent], late: [PartitionedEvent], after: Int64?) {
        let w = watermark
        let late = records.filter { w != nil && $0.time < w! }
        let onTime = records.filter { w == nil || $0.time >= w! }
        for r in records { newest[r.partition] = (Swift.max(newest[r.partition]?.time ?? r.time, r.time), index) }
        let active = newest.values.filter { (index - $0.lastBatch) * 1000 < idleMs }
        if let slowest = active.map(\.time).min() {
            watermark = Swift.max(watermark ?? slowest - delay, slowest - delay)
        }
        return (onTime, late, watermark)
    }
}

/// `withWatermark(eventTime:delay:partition:idleTimeout:)`: the minimum over the active partitions, an idle
/// timeout in batch time, rejoining, never decreasing, and the single-watermark form's old checkpoints.
@Suite struct EventTimePartitionWatermarkTests {
    /// Partition a runs ahead, b lags; b goes quiet after batch 2 and rejoins in batch 6. Delay 0, idle 3 s.
    static let input: [[PartitionedEvent]] = [
        [("a", 10_000), ("b", 4_000)],
        [("b", 5_000), ("a", 12_000), ("b", 4_500)],
        [("a", 13_000)], [("a", 14_000)], [("a", 15_000)],
        [("b", 6_000), ("a", 15_500)],
        [("a", 21_000), ("b", 16_000), ("b", 20_000)],
    ]

    @Test func theWatermarkIsTheMinimumOverActivePartitionsAndAnIdleOneStopsHoldingIt() async throws {
        var records: Collector<PartitionedEvent>?, late: Collector<PartitionedEvent>?, marks: Collector<Int64>?
        var perPartition: Collector<[String: Int64]>?
        let infos = try await runEventProgram(Self.input) { stream in
            let timed = try stream.withWatermark(
                eventTime: { $0.time }, delay: .zero, partition: sourcePartition, idleTimeout: .seconds(3))
            records = Collector(timed.records)
            late = Collector(timed.late)
            marks = Collector(timed.watermarks)
            perPartition = Collector(timed.partitionWatermarks)
        }
        // b holds the watermark at its own 4 s / 5 s while a runs ahead, so b's 4.5 s (behind a's 10 s) is on
        // time; b's last records are in batch 2, so it still holds after batches 3 and 4 and stops after batch
        // 5 (3 s of batch time): W jumps to a's 15 s. b's 6 s in batch 6 is late (it rejoins behind W), and its
        // clock (6 s) is below W, which does not move back; in batch 7 the minimum (b's 20 s) moves it on.
        #expect(marks!.results == [[4_000], [5_000], [5_000], [5_000], [15_000], [15_000], [20_000]])
        #expect(late!.results.map { $0.map { "\($0.partition)@\($0.time)" } } == [[], [], [], [], [], ["b@6000"], []])
        #expect(records!.results.joined().count == Self.input.joined().count - 1)
        #expect(infos.map(\.lateRecords) == [0, 0, 0, 0, 0, 1, 0])
        #expect(perPartition!.results == [
            [["s-a": 10_000, "s-b": 4_000]], [["s-a": 12_000, "s-b": 5_000]], [["s-a": 13_000, "s-b": 5_000]],
            [["s-a": 14_000, "s-b": 5_000]], [["s-a": 15_000]], [["s-a": 15_500, "s-b": 6_000]],
            [["s-a": 21_000, "s-b": 20_000]],
        ])
    }

    @Test func windowsCloseOnlyWhenTheSlowestActivePartitionPassesTheirEnd() async throws {
        var counts: Collector<(Windowed<String>, Int)>?
        try await runEventProgram(Self.input) { stream in
            let timed = try stream.withWatermark(
                eventTime: { $0.time }, delay: .zero, partition: sourcePartition, idleTimeout: .seconds(3))
            counts = Collector(try timed.countByKeyAndWindow(key: { $0.partition }, length: .seconds(5)))
        }
        // [0, 5 s) closes after batch 2 (b reached 5 s), though a was at 12 s; b's [5 s, 10 s) and a's
        // [10 s, 15 s) only when b went idle (after batch 5), so b's late 6 s is in neither; [15 s, 20 s)
        // when both passed 20 s (batch 7).
        #expect(windowRows(counts!.results) == [
            [], ["b@[0, 5000)=2"], [], [], ["a@[10000, 15000)=4", "b@[5000, 10000)=1"], [],
            ["a@[15000, 20000)=2", "b@[15000, 20000)=1"],
        ])
    }

    @Test func aLaggingPartitionsOrderedRecordsAreNeverLate() async throws {
        // Two partitions in order, the second 8 s behind the first: a per-stream watermark would drop most of
        // the second as late; per partition none is.
        let input: [[PartitionedEvent]] = (0..<20).map { b in
            (0..<10).flatMap { i -> [PartitionedEvent] in
                let t = Int64(b * 1000 + i * 100)
                return [("fast", t + 8_000), ("slow", t)]
            }
        }
        var counts: Collector<(Windowed<String>, Int)>?
        let infos = try await runEventProgram(input, parallelism: 3) { stream in
            let timed = try stream.withWatermark(
                eventTime: { $0.time }, delay: .seconds(1), partition: sourcePartition, idleTimeout: .seconds(5))
            counts = Collector(try timed.countByKeyAndWindow(key: { $0.partition }, length: .seconds(2)))
        }
        #expect(infos.map(\.lateRecords).reduce(0, +) == 0)
        // Every closed window of the slow partition is complete (20 records of 2 s).
        let slow = counts!.results.joined().filter { $0.0.key == "slow" }
        #expect(slow.count >= 8 && slow.allSatisfy { $0.1 == 20 })
        let single = try await runEventProgram(input, parallelism: 3) { stream in
            _ = Collector(try stream.withWatermark(eventTime: { $0.time }, delay: .seconds(1)).records)
        }
        #expect(single.map(\.lateRecords).reduce(0, +) > 100)  // what the per-partition form prevents
    }

    @Test func lateRecordsAndWatermarksMatchThePlainSwiftRuleOnRandomInput() async throws {
        // Three partitions out of order; partition 2 lags 3 s and is silent for batches 10..<16 (idle 4 s).
        var random = SeededGenerator(seed: 41)
        let input: [[PartitionedEvent]] = (0..<30).map { b in
            (0..<90).compactMap { _ -> PartitionedEvent? in
                let p = Int.random(in: 0..<3, using: &random)
                if p == 2 && (10..<16).contains(b) { return nil }
                let lag: Int64 = random.nextUniform() < 0.2 ? Int64.random(in: 0...2500, using: &random) : 0
                let t = Int64(b * 1000) + Int64.random(in: 0..<1000, using: &random) - lag - (p == 2 ? 3000 : 0)
                return ("\(p)", t)
            }
        }
        var reference = ReferencePartitionWatermark(delay: 1000, idleMs: 4000)
        let expected = input.enumerated().map { reference.batch($0.element, index: $0.offset) }
        var late: Collector<PartitionedEvent>?, marks: Collector<Int64>?
        try await runEventProgram(input, parallelism: 3) { stream in
            let timed = try stream.withWatermark(
                eventTime: { $0.time }, delay: .seconds(1), partition: sourcePartition, idleTimeout: .seconds(4))
            late = Collector(timed.late)
            marks = Collector(timed.watermarks)
        }
        let show = { (batch: [PartitionedEvent]) in batch.map { "\($0.partition)@\($0.time)" }.sorted() }
        #expect(late!.results.map(show) == expected.map { show($0.late) })
        #expect(marks!.results == expected.map { $0.after.map { [$0] } ?? [] })
        #expect(expected.reduce(0) { $0 + $1.late.count } > 50)  // the input does exercise lateness
        // The watermark never decreases.
        let flat = marks!.results.joined()
        #expect(zip(flat, flat.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func aNonPositiveIdleTimeoutFailsAtDefinitionWithTheFix() throws {
        let stream = manualContext().queueStream([[PartitionedEvent]]())
        #expect(throws: EventTimeError.nonPositiveIdleTimeout(.zero)) {
            try stream.withWatermark(
                eventTime: { $0.time }, delay: .zero, partition: sourcePartition, idleTimeout: .zero)
        }
        #expect("\(EventTimeError.nonPositiveIdleTimeout(.zero))".contains("use at least 1 ms"))
        #expect(throws: EventTimeError.negativeDelay(.seconds(-1))) {
            try stream.withWatermark(
                eventTime: { $0.time }, delay: .seconds(-1), partition: sourcePartition, idleTimeout: .seconds(1))
        }
    }

    @Test func anAssignedPartitionWithNoRecordsHoldsUntilIdleAndARevokedOneLeavesAtOnce() {
        let a = SourcePartition(stream: "s", id: "a"), b = SourcePartition(stream: "s", id: "b")
        var clock = WatermarkClock()
        // b is assigned but brings nothing: it holds the watermark (none yet) for 2 s of batch time.
        #expect(clock.advance(maxima: [a: 9_000], assigned: [a, b], atMs: 1000, delayMs: 0, idleMs: 2000) == nil)
        #expect(clock.advance(maxima: [a: 9_500], assigned: [a, b], atMs: 2000, delayMs: 0, idleMs: 2000) == nil)
        #expect(clock.advance(maxima: [:], assigned: [a, b], atMs: 3000, delayMs: 0, idleMs: 2000) == 9_500)
        // b brings a record: it holds at its own time, which is below W, so W stays.
        #expect(
            clock.advance(maxima: [b: 1_000, a: 12_000], assigned: [a, b], atMs: 4000, delayMs: 0, idleMs: 2000) == 9_500)
        // b revoked: it leaves the minimum at once.
        #expect(clock.advance(maxima: [a: 12_500], assigned: [a], atMs: 5000, delayMs: 0, idleMs: 2000) == 12_500)
        #expect(clock.partitions[b] == nil)
    }

    @Test func aSingleWatermarkCheckpointOfTheEarlierKindIsReadAndAnotherKindIsRefused() throws {
        let state = KeyedState<Int, WatermarkClock>(partitions: 1, empty: WatermarkClock())
        let participant = WatermarkCheckpoint(
            defaultName: "withWatermark#0", node: NodeName(), state: state, delayMs: 2000)
        let legacy = OperatorCheckpoint(
            kind: "withWatermark<Int64>", lastMs: 7000, keys: Data("[0]".utf8), values: Data("[12000]".utf8),
            extra: nil)
        try participant.restore(legacy)
        #expect(state.withPartition(0) { $0 } == WatermarkClock(watermark: 10_000, partitions: [:]))
        #expect(state.progress.lastAppliedMs == 7000)
        // What it writes reads back.
        state.withPartition(0) {
            $0.partitions[WatermarkClock.implicitPartition] = .init(maxTime: 12_500, lastActiveMs: 8000)
        }
        let written = try participant.snapshot()()
        #expect(written.kind == "withWatermark<partitions>")
        state.withPartition(0) { $0 = WatermarkClock() }
        try participant.restore(written)
        #expect(state.withPartition(0) { $0.watermark } == 10_000)
        #expect(state.withPartition(0) { $0.partitions[WatermarkClock.implicitPartition]?.maxTime } == 12_500)
        var other = written
        other.kind = "updateStateByKey<Int, Int64>"
        #expect(throws: CheckpointError.self) { try participant.restore(other) }
    }
}
