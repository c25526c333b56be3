import Foundation
import Spate
import SpateKafka
import SpatePostgres
import Synchronization
import Testing

/// Retention past the offsets stored in PostgreSQL (records deleted with DeleteRecords while the program was
/// down): by default the stream refuses to start, naming the partition, the offsets lost and the fix
/// (Spark's `failOnDataLoss=true`); with `failOnDataLoss: false` it counts the loss, reports it in
/// `BatchInfo`, and goes on, with the sink taking the skip (no endless rewind to the deleted offsets).
@Suite(.serialized) struct RetentionTests {
    /// A program adding each batch's record count per partition to a table, with the offsets in
    /// `spate_offsets`, starting from the stored offsets.
    final class Program: StreamingListener {
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let lost = Mutex<[String]>([])

        init(topic: String, table: String, group: String, failOnDataLoss: Bool = true) throws {
            let store = PostgresOffsetStore(connection: Pipeline.postgres, table: table)
            let kafka = ssc.directKafkaStream(
                brokers: Pipeline.brokers, topics: [topic], groupID: group,
                options: KafkaStreamOptions(failOnDataLoss: failOnDataLoss, startingOffsets: .stored(store)))
            try kafka.records.map { ("p\($0.partition)", 1) }.reduceByKey(+)
                .saveToPostgres(connection: Pipeline.postgres, table: table, mode: .accumulate, offsets: kafka.batchOffsets)
            ssc.addListener(self)
        }

        func batchCompleted(_ info: BatchInfo) {
            let entries = info.streamIdToMetadata.values.flatMap { $0.filter { $0.key.hasSuffix(" lost") }.map { "\($0.key): \($0.value)" } }
            lost.withLock { $0 += entries }
        }
    }

    static func counts(_ table: String) async throws -> [String: Int64] {
        let connection = PostgresConnection(Pipeline.postgres)
        defer { Task { await connection.close() } }
        var result: [String: Int64] = [:]
        for row in try await connection.query("SELECT key, value FROM \(table)") { result[row[0]!] = Int64(row[1]!)! }
        return result
    }

    /// Writes 10 records per partition, runs the program once over them, then writes 10 more and deletes every
    /// record before offset 15 (10..<15 were never read).
    static func prepare() async throws -> (topic: String, table: String, group: String) {
        try await Pipeline.prepareDatabase()
        let topic = Pipeline.unique("retention").replacingOccurrences(of: "_", with: "-")
        try KafkaAdmin.createTopic(topic, partitions: 2, brokers: Pipeline.brokers, timeout: .seconds(5))
        let (table, group) = (Pipeline.unique("retained"), Pipeline.unique("retention"))
        let producer = try KafkaProducer(brokers: Pipeline.brokers)
        try producer.send((0..<20).map { KafkaMessage("r\($0)", partition: $0 % 2) }, to: topic)
        let first = try Program(topic: topic, table: table, group: group)
        try await first.ssc.start()
        try await first.ssc.advance(by: .seconds(1))
        await first.ssc.stop()
        #expect(try await counts(table) == ["p0": 10, "p1": 10])
        try producer.send((20..<40).map { KafkaMessage("r\($0)", partition: $0 % 2) }, to: topic)
        try KafkaAdmin.deleteRecords(topic, before: [0: 15, 1: 15], brokers: Pipeline.brokers)
        return (topic, table, group)
    }

    @Test func byDefaultTheStreamStopsNamingTheLossAndTheFix() async throws {
        let (topic, table, group) = try await Self.prepare()
        let again = try Program(topic: topic, table: table, group: group)
        do {
            try await again.ssc.start()
            try await again.ssc.advance(by: .seconds(3))
            await again.ssc.stop()
            Issue.record("a start past lost offsets should fail; the table holds \(try await Self.counts(table))")
        } catch {
            let message = "\(error)"
            #expect(message.contains("offsets 10..<15 of \(topic)-0"), "\(message)")
            #expect(message.contains("failOnDataLoss = false"), "\(message)")
        }
        #expect(try await Self.counts(table) == ["p0": 10, "p1": 10], "nothing written past the loss")
        try? KafkaAdmin.deleteTopic(topic, brokers: Pipeline.brokers)
    }

    @Test func withoutFailOnDataLossTheLossIsCountedAndTheStreamGoesOn() async throws {
        let (topic, table, group) = try await Self.prepare()
        let again = try Program(topic: topic, table: table, group: group, failOnDataLoss: false)
        try await again.ssc.start()
        try await again.ssc.advance(by: .seconds(3))
        await again.ssc.stop()
        // Offsets 15..<20 of each partition are what was left: read once, and the stored offsets moved on.
        #expect(try await Self.counts(table) == ["p0": 15, "p1": 15])
        let stored = try PostgresOffsetStore(connection: Pipeline.postgres, table: table).offsets(group: group)
        #expect(stored.values.compactMap(\.int64Value) == [20, 20])
        let lost = again.lost.withLock { $0 }.sorted()
        #expect(lost.count == 2 && lost.allSatisfy { $0.contains("offsets 10..<15 (5 records)") }, "\(lost)")
        try? KafkaAdmin.deleteTopic(topic, brokers: Pipeline.brokers)
    }
}
