import Foundation
import Spate
import SpateKafka
import SpatePostgres
import Testing

/// State in Spate's checkpoint, offsets stored with the rows in PostgreSQL: a program recovered from a
/// checkpoint older than the stored offsets first reads exactly up to them, so its state takes the records of
/// the batches written after the checkpoint once, and the sink skips those batches as written.
@Suite(.serialized) struct StoredOffsetsCatchUpTests {
    /// Running totals per partition (`updateStateByKey`), checkpointed every 2 batches, upserted with the offsets.
    static func program(_ ssc: StreamingContext, topic: String, table: String, group: String) throws {
        let store = PostgresOffsetStore(connection: Pipeline.postgres, table: table)
        let kafka = ssc.directKafkaStream(
            brokers: Pipeline.brokers, topics: [topic], groupID: group,
            options: KafkaStreamOptions(startingOffsets: .stored(store)))
        let totals = kafka.records.map { ("p\($0.partition)", 1) }
            .updateStateByKey { (ones: [Int], total: Int?) -> Int? in (total ?? 0) + ones.count }
            .checkpoint(interval: .seconds(2))
        try totals.saveToPostgres(
            connection: Pipeline.postgres, table: table, mode: .upsert,
            columns: [TableColumn("key", .text), TableColumn("value", .integer)], key: ["key"],
            offsets: kafka.batchOffsets
        ) { key, total in [.text(key), .integer(Int64(total))] }
    }

    @Test func aRecoveryFromAnOlderCheckpointCatchesUpToTheStoredOffsets() async throws {
        try await Pipeline.prepareDatabase()
        let topic = Pipeline.unique("catch-up").replacingOccurrences(of: "_", with: "-")
        try KafkaAdmin.createTopic(topic, partitions: 2, brokers: Pipeline.brokers, timeout: .seconds(5))
        let (table, group) = (Pipeline.unique("catch_up_totals"), Pipeline.unique("catch-up"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(Pipeline.unique("spate-catch-up"))
        defer { try? FileManager.default.removeItem(at: dir) }
        let producer = try KafkaProducer(brokers: Pipeline.brokers)
        func produce(_ n: Int) throws {
            try producer.send((0..<2).flatMap { p in (0..<n).map { _ in KafkaMessage("x", partition: p) } }, to: topic)
        }
        func context() throws -> StreamingContext {
            try StreamingContext.getOrCreate(checkpoint: dir) {
                let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
                try Self.program(ssc, topic: topic, table: table, group: group)
                return ssc
            }
        }

        // Batches 1-3 read 2, 3 and 4 records a partition; the checkpoint of batch 2 is the newest.
        let first = try context()
        try await first.start()
        for n in [2, 3, 4] {
            try produce(n)
            try await first.advance(by: .seconds(1))
        }
        await first.stop(graceful: false)
        #expect(try await RetentionTests.counts(table) == ["p0": 9, "p1": 9])

        // More records arrived meanwhile: the batch after the checkpoint must not take them with batch 3's.
        try produce(5)
        let second = try context()
        try await second.start()
        try await second.advance(by: .seconds(3))
        await second.stop()
        #expect(try await RetentionTests.counts(table) == ["p0": 14, "p1": 14], "each record counted once")
        try? KafkaAdmin.deleteTopic(topic, brokers: Pipeline.brokers)
    }
}
