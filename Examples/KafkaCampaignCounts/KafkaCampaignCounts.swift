import ArgumentParser
import Foundation
import Spate
import SpateKafka
import SpatePostgres

/// Kafka -> event-time windowed campaign counts -> PostgreSQL, exactly once.
///
/// Events are Kafka records keyed by campaign with the value `<event time ms>,<campaign>,<user>`. The program
/// counts them per campaign in tumbling event-time windows (`--window-seconds`) behind a watermark that trails the
/// newest event time by `--delay-seconds`: each window is written once, with its final count, when the watermark
/// passes its end, as a row `(campaign, window_start, events)` in one transaction with the batch's Kafka offsets.
/// Events older than the watermark are late: counted (`BatchInfo.lateRecords`, logged) and sent to the late topic
/// `<topic>-late`, keyed by their origin. Malformed values go to the dead-letter topic `<topic>-dlq`.
///
/// The watermark, the open windows and the Kafka offsets live in the checkpoint (`--checkpoint`); a restarted
/// process resumes from it and first reads up to the offsets stored with the rows, so a crash at any point
/// neither loses nor doubles a window. Keep the checkpoint directory and the table together.
///
///     scripts/services.sh start && scripts/kafka.sh topic campaign-events 6 && scripts/kafka.sh topic campaign-events-late 1
///     swift run KafkaCampaignCounts --topic campaign-events
///
/// `--scale-out <state dir>` and `--consumer-group` run it as a consumer group instead (GroupModes.swift).
@main
struct KafkaCampaignCounts: AsyncParsableCommand {
    @Option(help: "Kafka bootstrap servers.") var brokers = "127.0.0.1:9092"
    @Option(help: "The topic of campaign events.") var topic = "campaign-events"
    @Option(help: "The consumer group id (also the key of the stored offsets).") var group = "campaign-counts"
    @Option(help: "libpq connection string of the PostgreSQL database.")
    var postgres = "host=127.0.0.1 port=5432 user=postgres dbname=spate"
    @Option(help: "The results table.") var table = "campaign_counts"
    @Option(help: "Event-time window length, seconds.") var windowSeconds = 10
    @Option(help: "How far behind the newest event time an event may be and still count, seconds.")
    var delaySeconds = 5
    @Option(help: "Batch interval, milliseconds.") var batchMs = 500
    @Option(help: "The checkpoint directory (watermark, open windows, Kafka offsets).")
    var checkpoint = "campaign-counts-checkpoint"
    @Option(help: "Write a checkpoint every this many batches.") var checkpointEvery = 1
    @Option(help: "Scale-out mode: the state directory shared by the group's processes.") var scaleOut: String?
    @Flag(help: "Join the consumer group and add per-batch counts (no event-time windows).") var consumerGroup = false
    @Option(help: "Kafka session timeout, ms: how soon the group moves a dead process's partitions.")
    var sessionTimeoutMs = 6000
    @Option(help: "Write the partitions this process reads to this file after every batch.") var statusFile: String?
    @Option(help: "Stop after this many seconds (0: run until SIGINT/SIGTERM).") var seconds = 0

    func validate() throws {
        guard windowSeconds > 0 else { throw ValidationError("--window-seconds must be positive") }
        guard delaySeconds >= 0 else { throw ValidationError("--delay-seconds must be zero or more") }
        guard batchMs > 0 else { throw ValidationError("--batch-ms must be positive") }
        guard checkpointEvery > 0 else { throw ValidationError("--checkpoint-every must be positive") }
        // At start-up, before anything runs: the store's lookup blocks this thread for a moment.
        if scaleOut == nil, !consumerGroup { try checkCheckpointIsThere() }
    }

    func run() async throws {
        let ssc: StreamingContext
        if scaleOut != nil || consumerGroup {
            ssc = StreamingContext(batchInterval: .milliseconds(batchMs))
            try groupCounts(ssc)
        } else {
            ssc = try StreamingContext.getOrCreate(checkpoint: URL(fileURLWithPath: checkpoint)) {
                let ssc = StreamingContext(batchInterval: .milliseconds(batchMs))
                try eventTimeCounts(ssc)
                return ssc
            }
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

    /// Fails when the table's offsets are stored but the checkpoint directory holds no checkpoint
    /// (`checkpoint-<ms>.spate`): the open windows' counts were in the checkpoint, so starting at the stored
    /// offsets would lose them. (A process killed after its first batches were written and before its first
    /// checkpoint leaves this.)
    func checkCheckpointIsThere() throws {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: checkpoint)) ?? []
        guard !files.contains(where: { $0.hasPrefix("checkpoint-") && $0.hasSuffix(".spate") }) else { return }
        guard try PostgresOffsetStore(connection: postgres, table: table).offsets(group: group).isEmpty else {
            throw ValidationError(
                "table \(table) holds the offsets of group \(group) but \(checkpoint) holds no checkpoint: the open "
                    + "windows' counts are gone. Pass the --checkpoint the table was written with, or drop the table "
                    + "and its spate_offsets rows to count the topic again from the start")
        }
    }

    /// The pipeline: Kafka -> event-time windows -> PostgreSQL, late events to `<topic>-late`.
    func eventTimeCounts(_ ssc: StreamingContext) throws {
        let store = PostgresOffsetStore(connection: postgres, table: table)
        let kafka = ssc.directKafkaStream(
            brokers: brokers, topics: [topic], groupID: group,
            options: KafkaStreamOptions(startingOffsets: .stored(store), deadLetterTopic: "\(topic)-dlq"))
        // A watermark per topic-partition (the minimum over the active ones): a lagging partition's events are
        // never late because another ran ahead; one silent for 30 s of batch time stops holding windows open.
        let timed = try kafka.decoded(
            { try CampaignEvent.parse($0) }, eventTime: { $0.timeMs }, delay: .seconds(delaySeconds),
            idleTimeout: .seconds(30))
        // .append (the default): a window is emitted once, final, in the batch after which the watermark passed it.
        let counts = try timed.countByKeyAndWindow(key: { $0.campaign }, length: .seconds(windowSeconds))
            .checkpoint(interval: .milliseconds(batchMs * checkpointEvery))
        // First (outputs run in order): a batch whose offsets are stored has its late events in the late topic.
        timed.late.saveToKafka(topic: "\(topic)-late", brokers: brokers) { KafkaMessage($0.value, key: $0.origin) }
        // Keyed by (campaign, window_start) and adding: a window written twice would show as a doubled count.
        try counts.saveToPostgres(
            connection: postgres, table: table, mode: .accumulate,
            columns: [TableColumn("campaign", .text), TableColumn("window_start", .integer), TableColumn("events", .integer)],
            key: ["campaign", "window_start"], offsets: kafka.batchOffsets
        ) { window, n in [.text(window.key), .integer(window.window.start), .integer(Int64(n))] }
        ssc.addListener(LateRecordsLog())
    }
}
