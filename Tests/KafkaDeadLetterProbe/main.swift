// A Kafka -> PostgreSQL pipeline with a dead-letter topic, for ExactlyOnceTests' kill -9 tests: it sums the
// numbers of a topic per partition into a table (offsets stored with them) and sends the values that are not
// numbers to `<topic>-dlq`. With `crash`, it kills itself with SIGKILL at one of the two points where a dead
// letter could be lost or doubled, in the first batch that rejected a record:
//   after-commit    after the batch's PostgreSQL transaction committed (a listener, before the stream's own
//                   after-batch work)
//   before-commit   after the batch's dead letters were acknowledged, before the transaction that stores its
//                   offsets
// With a checkpoint directory as the 7th argument the offsets live only in Spate's checkpoint (no `offsets:`,
// a checkpoint after every batch); the 6th argument is then `after-checkpoint` (SIGKILL once the checkpoint
// covering the first batch that rejected a record is on disk, before the stream's after-batch work) or
// `checkpointed` (no crash).
// Usage: KafkaDeadLetterProbe <brokers> <topic> <postgres> <table> <group> [after-commit|before-commit]
//        KafkaDeadLetterProbe <brokers> <topic> <postgres> <table> <group> after-checkpoint|checkpointed <dir>
import Foundation
import Spate
import SpateKafka
import SpatePostgres
import Synchronization

let args = CommandLine.arguments
guard args.count >= 6 else {
    FileHandle.standardError.write(Data("usage: KafkaDeadLetterProbe brokers topic postgres table group [crash]\n".utf8))
    exit(2)
}
if args.count > 7 {
    try await Probe.runCheckpointed(brokers: args[1], topic: args[2], postgres: args[3], table: args[4],
                                    group: args[5], crash: args[6] == "after-checkpoint",
                                    checkpoint: URL(fileURLWithPath: args[7]))
} else {
    try await Probe.run(brokers: args[1], topic: args[2], postgres: args[3], table: args[4], group: args[5],
                        crash: args.count > 6 ? args[6] : "")
}

/// Kills the process at the end of the first batch that rejected a record.
final class CrashAfterCommit: StreamingListener {
    func batchCompleted(_ info: BatchInfo) {
        if info.failedRecords > 0 { kill(getpid(), SIGKILL) }
    }
}

/// Kills the process once the checkpoint of the first batch that rejected a record is on disk: the point
/// where the batch counts as done, before the stream's after-batch work (where the dead letters used to be
/// flushed). It waits on the batch's listener call, which the stream's after-batch work follows.
final class CrashAfterCheckpoint: StreamingListener {
    let directory: URL
    init(directory: URL) { self.directory = directory }

    func batchCompleted(_ info: BatchInfo) {
        guard info.failedRecords > 0 else { return }
        let file = directory.appendingPathComponent("checkpoint-\(info.batchTime.milliseconds).spate").path
        let deadline = Date().addingTimeInterval(10)
        // A probe's crash point: blocking this listener call is what holds the batch at the gap.
        while !FileManager.default.fileExists(atPath: file), Date() < deadline { usleep(1_000) }
        kill(getpid(), SIGKILL)
    }
}

struct NotANumber: Error, CustomStringConvertible {
    let text: String
    var description: String { "not a number: \(text)" }
}

enum Probe {
    /// Records rejected so far in this process.
    static let rejected = Atomic(0)

    static func run(brokers: String, topic: String, postgres: String, table: String, group: String, crash: String) async throws {
        let ssc = StreamingContext(batchInterval: .milliseconds(300))
        let store = PostgresOffsetStore(connection: postgres, table: table)
        let kafka = ssc.directKafkaStream(
            brokers: brokers, topics: [topic], groupID: group,
            // A long linger keeps unflushed dead letters in the producer's queue, so a kill loses them unless
            // the stream flushed them first.
            options: KafkaStreamOptions(startingOffsets: .stored(store), deadLetterTopic: "\(topic)-dlq",
                                        settings: ["linger.ms": "5000"]))
        let stored = kafka.batchOffsets
        let offsets = crash != "before-commit" ? stored : BatchOffsets(
            group: stored.group, ranges: { stored.ranges(for: $0) }, rewind: { stored.rewind($0) },
            beforeStore: { time in
                try await stored.prepareToStore(time)
                if rejected.load(ordering: .relaxed) > 0 { kill(getpid(), SIGKILL) }
            })
        if crash == "after-commit" { ssc.addListener(CrashAfterCommit()) }
        try kafka.decoded(parse).reduceByKey(+).saveToPostgres(connection: postgres, table: table, mode: .accumulate, offsets: offsets)
        ssc.stopGracefullyOnSignals()
        try await ssc.start()
        try await ssc.awaitTermination()
    }

    /// The same pipeline with its offsets only in Spate's checkpoint (written after every batch).
    static func runCheckpointed(
        brokers: String, topic: String, postgres: String, table: String, group: String, crash: Bool, checkpoint: URL
    ) async throws {
        let ssc = try StreamingContext.getOrCreate(checkpoint: checkpoint) {
            let ssc = StreamingContext(batchInterval: .milliseconds(300))
            let kafka = ssc.directKafkaStream(
                brokers: brokers, topics: [topic], groupID: group,
                options: KafkaStreamOptions(startingOffsets: .earliest, deadLetterTopic: "\(topic)-dlq",
                                            settings: ["linger.ms": "5000"]))
            try kafka.decoded(parse).reduceByKey(+).checkpoint(interval: .milliseconds(300))
                .saveToPostgres(connection: postgres, table: table, mode: .accumulate)
            return ssc
        }
        if crash { ssc.addListener(CrashAfterCheckpoint(directory: checkpoint)) }
        ssc.stopGracefullyOnSignals()
        try await ssc.start()
        try await ssc.awaitTermination()
    }

    /// A record's number keyed by its partition; throws on a value that is not a number.
    @Sendable static func parse(_ record: KafkaRecord) throws -> (String, Int) {
        let text = record.valueString ?? ""
        guard let n = Int(text) else {
            rejected.add(1, ordering: .relaxed)
            throw NotANumber(text: text)
        }
        return ("p\(record.partition)", n)
    }
}
