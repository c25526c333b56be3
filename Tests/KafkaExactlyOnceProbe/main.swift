// A Kafka -> Kafka exactly-once pipeline for ExactlyOnceTests' kill -9 tests: it reads `input` (all
// partitions, group `group`) and writes each record's value as `out-<value>` (same key) to `output`, one
// transaction per batch with `.exactlyOnce(transactionalID:)`. A checkpoint directory ("-" for none), written
// every batch, makes a restart replay the batches the checkpoint holds, which the sink must find committed. With a crash point it
// kills itself with SIGKILL in the `batch`-th batch that holds records:
//   before-produce    while the batch's records are mapped, before its transaction begins
//   mid-transaction   after the batch's records were written in its transaction, before its offsets and commit
//   after-commit      after the batch's transaction committed, before the next batch
// Usage: KafkaExactlyOnceProbe <brokers> <input> <output> <group> <transactionalID> <checkpoint|-> [point batch]
import Foundation
import Spate
import SpateKafka
import Synchronization

let args = CommandLine.arguments
guard args.count == 7 || args.count == 9, args.count == 7 || Int(args[8]) != nil else {
    FileHandle.standardError.write(Data(
        "usage: KafkaExactlyOnceProbe brokers input output group transactionalID checkpoint|- [point batch]\n".utf8))
    exit(2)
}
let crash = args.count == 9 ? (point: args[7], batch: Int(args[8])!) : nil
do {
    try await Probe.run(brokers: args[1], input: args[2], output: args[3], group: args[4], transactionalID: args[5],
                        checkpoint: args[6] == "-" ? nil : URL(fileURLWithPath: args[6]), crash: crash)
} catch {
    FileHandle.standardError.write(Data("KafkaExactlyOnceProbe stopped: \(error)\n".utf8))
    exit(3)
}

/// Counts the completed batches that held records; kills the process after the chosen one (`after-commit`).
final class BatchCounter: StreamingListener {
    let killAfter: Int?
    init(killAfter: Int?) { self.killAfter = killAfter }

    func batchCompleted(_ info: BatchInfo) {
        guard info.numRecords > 0 else { return }
        let done = Probe.completed.add(1, ordering: .relaxed).newValue
        if done == killAfter { kill(getpid(), SIGKILL) }
    }
}

enum Probe {
    /// Batches with records completed in this process.
    static let completed = Atomic(0)

    /// Kills the process when the batch in progress is the `batch`-th with records.
    static func killIn(_ batch: Int) {
        if completed.load(ordering: .relaxed) == batch - 1 { kill(getpid(), SIGKILL) }
    }

    static func run(
        brokers: String, input: String, output: String, group: String, transactionalID: String, checkpoint: URL?,
        crash: (point: String, batch: Int)?
    ) async throws {
        let build = { () -> StreamingContext in
            let ssc = StreamingContext(batchInterval: .milliseconds(200))
            define(ssc, brokers: brokers, input: input, output: output, group: group, transactionalID: transactionalID,
                   crash: crash)
            return ssc
        }
        let ssc = try checkpoint.map { try StreamingContext.getOrCreate(checkpoint: $0, create: build) } ?? build()
        ssc.addListener(BatchCounter(killAfter: crash?.point == "after-commit" ? crash?.batch : nil))
        ssc.stopGracefullyOnSignals()
        try await ssc.start()
        try await ssc.awaitTermination()
    }

    static func define(
        _ ssc: StreamingContext, brokers: String, input: String, output: String, group: String,
        transactionalID: String, crash: (point: String, batch: Int)?
    ) {
        let kafka = ssc.directKafkaStream(
            brokers: brokers, topics: [input], groupID: group,
            options: KafkaStreamOptions(maxRecordsPerPartition: 4))
        let stored = kafka.batchOffsets
        let consumed = crash?.point != "mid-transaction" ? stored : BatchOffsets(
            group: stored.group, ranges: { stored.ranges(for: $0) }, rewind: { stored.rewind($0) },
            beforeStore: { time in
                try await stored.prepareToStore(time)
                killIn(crash!.batch)
            }, origin: stored.origin!)
        let killBeforeProduce = crash?.point == "before-produce" ? crash?.batch : nil
        kafka.records.map { record -> KafkaMessage in
            if let killBeforeProduce { killIn(killBeforeProduce) }
            return KafkaMessage("out-\(record.valueString ?? "")", key: record.keyString)
        }.checkpoint(interval: .milliseconds(200)).saveToKafka(topic: output, brokers: brokers, delivery: .exactlyOnce(transactionalID: transactionalID),
                      consumed: consumed)
    }
}
