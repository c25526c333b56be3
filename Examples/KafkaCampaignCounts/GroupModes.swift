import Foundation
import Spate
import SpateKafka
import SpatePostgres

/// The consumer-group modes: several processes share the topic's partitions, so the counts are kept per
/// partition (the event-time windows' watermark and open windows are one program's): every event is counted
/// under its hand-computed window key, with no watermark and no late events.
/// - `--consumer-group`: each batch's counts are ADDED to the table in one transaction with the batch's Kafka
///   offsets (`spate_offsets`), and each partition starts from the offsets stored there (they fence out a
///   process that lost a partition).
/// - `--scale-out <state dir>`: each process keeps the running counts of its partitions in Spate
///   (`partitionedUpdateStateByKey`), snapshotted to the shared state directory; a partition moved to another
///   process brings its counts along. Rows are written with a version-guarded upsert (the partition's offset is
///   the version).
///
///     swift run KafkaCampaignCounts --topic campaign-events --scale-out /tmp/campaign-state   # up to 6 processes
extension KafkaCampaignCounts {
    /// Defines the consumer-group pipeline of `--scale-out` or `--consumer-group` on `ssc`.
    func groupCounts(_ ssc: StreamingContext) throws {
        let windowMs = Int64(windowSeconds) * 1000
        let scaleOut = self.scaleOut
        let offsetStore = PostgresOffsetStore(connection: postgres, table: table)
        let groupSettings = ["session.timeout.ms": "\(sessionTimeoutMs)", "heartbeat.interval.ms": "\(max(100, sessionTimeoutMs / 6))"]
        let kafka = ssc.directKafkaStream(
            brokers: brokers, topics: [topic], groupID: group,
            options: KafkaStreamOptions(
                startingOffsets: scaleOut == nil ? .stored(offsetStore) : .earliest,
                commitOffsets: .afterOutputs, assignment: .consumerGroup, deadLetterTopic: "\(topic)-dlq",
                settings: groupSettings))
        let columns = [TableColumn("campaign", .text), TableColumn("window_start", .integer), TableColumn("events", .integer)]

        if let stateDirectory = scaleOut {
            // Running counts per (campaign, window) in Spate, scoped to the Kafka partitions this process holds.
            let counts = try kafka.partitionedUpdateStateByKey(
                stateDirectory: stateDirectory,
                extract: { record -> (WindowKey, Int)? in (try CampaignEvent.parse(record).key(windowMs: windowMs), 1) },
                update: { (ones: [Int], total: Int?) -> Int? in (total ?? 0) + ones.count })
            try counts.saveToPostgres(
                connection: postgres, table: table, mode: .upsert,
                columns: columns + [TableColumn("kafka_offset", .integer)], key: ["campaign", "window_start"],
                version: "kafka_offset"
            ) { c in [.text(c.key.campaign), .integer(c.key.windowStart), .integer(Int64(c.state)), .integer(c.offset)] }
        } else {
            // Per-batch counts, added to the table together with the batch's offsets.
            let counts = kafka.decoded { try CampaignEvent.parse($0).key(windowMs: windowMs) }.map { ($0, 1) }.reduceByKey(+)
            try counts.saveToPostgres(
                connection: postgres, table: table, mode: .accumulate, columns: columns,
                key: ["campaign", "window_start"], offsets: kafka.batchOffsets
            ) { key, n in [.text(key.campaign), .integer(key.windowStart), .integer(Int64(n))] }
        }
        if let statusFile {
            ssc.addListener(AssignmentStatus(kafka: kafka, file: statusFile))
        }
    }
}

/// Writes the partitions the stream reads after every batch (for watching a consumer group share them).
final class AssignmentStatus: StreamingListener {
    let kafka: KafkaStream
    let file: String
    init(kafka: KafkaStream, file: String) { self.kafka = kafka; self.file = file }
    func batchCompleted(_ info: BatchInfo) {
        let line = kafka.assignedPartitions.map(\.description).joined(separator: " ") + "\n"
        try? Data(line.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
    }
}
