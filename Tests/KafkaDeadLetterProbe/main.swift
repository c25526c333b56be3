// A Kafka -> PostgreSQL pipeline with a dead-letter topic, for ExactlyOnceTests' kill -9 tests: it sums the
// numbers of a topic per partition into a table (offsets stored with them) and sends the values that are not
// numbers to `<topic>-dlq`. With `crash`, it kills itself with SIGKILL at one of the two points where a dead
// letter could be lost or doubled, in the first batch that rejected a record:
//   after-commit    after the batch's PostgreSQL transaction committed (a listener, before the stream's own
//                   after-batch work)
//   before-commit   after the batch's dead letters were acknowledged, before the transaction that stores its
//                   offsets
// Usage: KafkaDeadLetterProbe <brokers> <topic> <postgres> <table> <group> [after-commit|before-commit]
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
try await Probe.run(brokers: args[1], topic: args[2], postgres: args[3], table: args[4], group: args[5],
                    crash: args.count > 6 ? args[6] : "")

/// Kills the process at the end of the first batch that rejected a record.
final class CrashAfterCommit: StreamingListener {
    func batchCompleted(_ info: BatchInfo) {
        if info.failedRecords > 0 { kill(getpid(), SIGKILL) }
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
        try kafka.decoded { record -> (String, Int) in
            let text = record.valueString ?? ""
            guard let n = Int(text) else {
                rejected.add(1, ordering: .relaxed)
                throw NotANumber(text: text)
            }
            return ("p\(record.partition)", n)
        }.reduceByKey(+).saveToPostgres(connection: postgres, table: table, mode: .accumulate, offsets: offsets)
        ssc.stopGracefullyOnSignals()
        try await ssc.start()
        try await ssc.awaitTermination()
    }
}
