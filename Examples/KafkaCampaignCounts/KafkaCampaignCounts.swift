import ArgumentParser
import Foundation
import Spate
import SpateKafka
import SpatePostgres

/// Kafka -> windowed campaign counts -> PostgreSQL, exactly once.
///
/// Events are Kafka records keyed by campaign with the value `<event time ms>,<campaign>,<user>`; the program
/// counts them per campaign and event-time window (tumbling, `--window-seconds`) into the table
/// `(campaign, window_start, events)`. Malformed values go to the dead-letter topic `<topic>-dlq`.
///
/// Two ways to run it, both exactly-once whatever crashes:
/// - default: each batch's counts are ADDED to the table in one transaction with the batch's Kafka offsets
///   (`spate_offsets`), and the stream starts from the offsets stored there. Run one process, or several with
///   `--group` (the offsets fence out a process that lost a partition).
/// - `--scale-out <state dir>`: a consumer group where each process keeps the running counts of its
///   partitions in Spate (`partitionedUpdateStateByKey`), snapshotted to the shared state directory; a
///   partition moved to another process brings its counts along. Rows are written with a version-guarded
///   upsert (the partition's offset is the version).
///
///     scripts/services.sh start && scripts/kafka.sh topic campaign-events 6
///     swift run KafkaCampaignCounts --topic campaign-events
///     # in other terminals, for scale-out: the same with --scale-out /tmp/campaign-state (up to 6 processes)
@main
struct KafkaCampaignCounts: AsyncParsableCommand {
    @Option(help: "Kafka bootstrap servers.") var brokers = "127.0.0.1:9092"
    @Option(help: "The topic of campaign events.") var topic = "campaign-events"
    @Option(help: "The consumer group id (also the key of the stored offsets).") var group = "campaign-counts"
    @Option(help: "libpq connection string of the PostgreSQL database.")
    var postgres = "host=127.0.0.1 port=5432 user=postgres dbname=spate"
    @Option(help: "The results table.") var table = "campaign_counts"
    @Option(help: "Event-time window length, seconds.") var windowSeconds = 10
    @Option(help: "Batch interval, milliseconds.") var batchMs = 500
    @Option(help: "Scale-out mode: the state directory shared by the group's processes.") var scaleOut: String?
    @Flag(help: "Default mode: join the consumer group instead of reading every partition.") var consumerGroup = false
    @Option(help: "Kafka session timeout, ms: how soon the group moves a dead process's partitions.")
    var sessionTimeoutMs = 6000
    @Option(help: "Write the partitions this process reads to this file after every batch.") var statusFile: String?
    @Option(help: "Stop after this many seconds (0: run until SIGINT/SIGTERM).") var seconds = 0

    func validate() throws {
        guard windowSeconds > 0 else { throw ValidationError("--window-seconds must be positive") }
        guard batchMs > 0 else { throw ValidationError("--batch-ms must be positive") }
    }

    func run() async throws {
        let windowMs = Int64(windowSeconds) * 1000
        let ssc = StreamingContext(batchInterval: .milliseconds(batchMs))
        let scaleOut = self.scaleOut
        let offsetStore = PostgresOffsetStore(connection: postgres, table: table)
        let groupSettings = ["session.timeout.ms": "\(sessionTimeoutMs)", "heartbeat.interval.ms": "\(max(100, sessionTimeoutMs / 6))"]
        let kafka = ssc.directKafkaStream(
            brokers: brokers, topics: [topic], groupID: group,
            options: KafkaStreamOptions(
                startingOffsets: scaleOut == nil ? .stored(offsetStore) : .earliest,
                commitOffsets: .afterOutputs,
                assignment: scaleOut != nil || consumerGroup ? .consumerGroup : .allPartitions,
                deadLetterTopic: "\(topic)-dlq",
                settings: groupSettings))
        let columns = [TableColumn("campaign", .text), TableColumn("window_start", .integer), TableColumn("events", .integer)]

        if let stateDirectory = scaleOut {
            // Running counts per (campaign, window) in Spate, scoped to the Kafka partitions this process holds.
            let counts = try kafka.partitionedUpdateStateByKey(
                stateDirectory: stateDirectory,
                extract: { record -> (WindowKey, Int)? in (try CampaignEvent.parse(record, windowMs: windowMs).key, 1) },
                update: { (ones: [Int], total: Int?) -> Int? in (total ?? 0) + ones.count })
            try counts.saveToPostgres(
                connection: postgres, table: table, mode: .upsert,
                columns: columns + [TableColumn("kafka_offset", .integer)], key: ["campaign", "window_start"],
                version: "kafka_offset"
            ) { c in [.text(c.key.campaign), .integer(c.key.windowStart), .integer(Int64(c.state)), .integer(c.offset)] }
        } else {
            // Per-batch counts, added to the table together with the batch's offsets.
            let events = kafka.decoded { try CampaignEvent.parse($0, windowMs: windowMs) }
            let counts = events.map { ($0.key, 1) }.reduceByKey(+)
            try counts.saveToPostgres(
                connection: postgres, table: table, mode: .accumulate, columns: columns,
                key: ["campaign", "window_start"], offsets: kafka.batchOffsets
            ) { key, n in [.text(key.campaign), .integer(key.windowStart), .integer(Int64(n))] }
        }

        if let statusFile {
            ssc.addListener(AssignmentStatus(kafka: kafka, file: statusFile))
        }
        ssc.stopGracefullyOnSignals()
        try await ssc.start()
        if seconds > 0 {
            Task {
                try await Task.sleep(for: .seconds(seconds))
                await ssc.stop(graceful: true)
            }
        }
        try await ssc.awaitTermination()
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
