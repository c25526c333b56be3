import Foundation
import Spate
import SpateKafka
import SpatePostgres
import Synchronization
import Testing

/// An event-time pipeline (Kafka -> watermark -> 10 s windows -> PostgreSQL with the offsets) whose checkpoint
/// is two batches behind the offsets stored with its rows when it stops without a checkpoint (as a crash would):
/// the offsets log makes the recovered run cut those two batches with the ranges they had, so which events are
/// late, and the table, equal an uninterrupted run's exactly (read as one batch, the late event of the second
/// would be on time and counted).
@Suite(.serialized) struct OffsetLogRecoveryTests {
    /// One event, `time,campaign`.
    struct Event: Sendable {
        let time: Int64
        let campaign: String
    }

    /// What a run wrote: late events by batch time (a batch run again replaces its entry).
    final class LateEvents: Sendable {
        let byBatch = Mutex<[Int: [Int64]]>([:])
    }

    /// Events per batch (times in ms, one campaign): batch 5 raises the watermark to 19,000, so batch 6's event at
    /// 15,000 is late; batch 7 closes the windows [10,000, 20,000) and [20,000, 30,000).
    static let batches: [[Int64]] = [[1_000, 3_000], [5_000], [8_000], [12_000], [21_000], [15_000], [35_000], []]

    static func program(
        _ ssc: StreamingContext, topic: String, table: String, group: String, late: LateEvents
    ) throws {
        let store = PostgresOffsetStore(connection: Pipeline.postgres, table: table)
        let kafka = ssc.directKafkaStream(
            brokers: Pipeline.brokers, topics: [topic], groupID: group,
            options: KafkaStreamOptions(startingOffsets: .stored(store)))
        let events = kafka.records.map { record -> Event in
            let fields = (record.valueString ?? "").split(separator: ",")
            return Event(time: Int64(fields[0]) ?? 0, campaign: String(fields[1]))
        }
        let timed = try events.withWatermark(eventTime: { $0.time }, delay: .seconds(2))
        timed.late.foreachBatch { batch, time in
            late.byBatch.withLock { $0[time.milliseconds] = batch.collect().map(\.time).sorted() }
        }
        let counts = try timed.countByKeyAndWindow(key: { $0.campaign }, length: .seconds(10))
            .checkpoint(interval: .seconds(4))
        try counts.saveToPostgres(
            connection: Pipeline.postgres, table: table, mode: .upsert,
            columns: [TableColumn("key", .text), TableColumn("value", .integer)], key: ["key"],
            offsets: kafka.batchOffsets
        ) { window, count in [.text("\(window.key)@\(window.window.start)"), .integer(Int64(count))] }
    }

    /// A fresh topic, table, group and checkpoint directory; runs `body` with a context maker and the sender of
    /// batch `i`'s events.
    static func run(
        _ name: String,
        _ body: (_ context: () throws -> StreamingContext, _ send: (Int) throws -> Void) async throws -> Void
    ) async throws -> (table: [String: Int64], late: [Int: [Int64]]) {
        let topic = Pipeline.unique(name).replacingOccurrences(of: "_", with: "-")
        try KafkaAdmin.createTopic(topic, partitions: 1, brokers: Pipeline.brokers, timeout: .seconds(5))
        defer { try? KafkaAdmin.deleteTopic(topic, brokers: Pipeline.brokers) }
        let (table, group) = (Pipeline.unique("\(name)_windows"), Pipeline.unique(name))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(Pipeline.unique("spate-\(name)"))
        defer { try? FileManager.default.removeItem(at: dir) }
        let producer = try KafkaProducer(brokers: Pipeline.brokers)
        let late = LateEvents()
        try await body({
            try StreamingContext.getOrCreate(checkpoint: dir) {
                let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
                try Self.program(ssc, topic: topic, table: table, group: group, late: late)
                return ssc
            }
        }, { i in
            try producer.send(Self.batches[i].map { KafkaMessage("\($0),c0", partition: 0) }, to: topic)
        })
        return (try await RetentionTests.counts(table), late.byBatch.withLock { $0 })
    }

    @Test func aRecoveryTwoBatchesBehindTheStoredOffsetsReplaysTheSameBatches() async throws {
        try await Pipeline.prepareDatabase()
        let reference = try await Self.run("offset_log_ref") { context, send in
            let ssc = try context()
            try await ssc.start()
            for i in Self.batches.indices {
                try send(i)
                try await ssc.advance(by: .seconds(1))
            }
            await ssc.stop()
        }
        #expect(reference.table == ["c0@0": 4, "c0@10000": 1, "c0@20000": 1])
        #expect(reference.late[6_000] == [15_000])

        let recovered = try await Self.run("offset_log") { context, send in
            // Batches 1-6 run; the newest checkpoint is batch 4's, the stored offsets are batch 6's.
            let first = try context()
            try await first.start()
            for i in 0..<6 {
                try send(i)
                try await first.advance(by: .seconds(1))
            }
            await first.stop(graceful: false)
            let second = try context()
            try await second.start()
            try await second.advance(by: .seconds(2))  // batches 5 and 6 again
            for i in 6..<Self.batches.count {
                try send(i)
                try await second.advance(by: .seconds(1))
            }
            await second.stop()
        }
        #expect(recovered.table == reference.table, "the table of an uninterrupted run")
        #expect(recovered.late == reference.late, "the same late events in the same batches")
    }
}
