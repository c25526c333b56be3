import Foundation
import Spate
import SpateKafka
import Synchronization
import Testing

/// The broker is down while a crashed program recovers: the recovered batches wait for it (retrying with a
/// capped backoff, logged) instead of being given up, and once it is back the results are exactly those of
/// an uninterrupted run; when it stays away longer than `replayTimeout`, the restart fails with
/// `KafkaError.replayFailed` naming the fix. Uses a broker of its own (scripts/kafka.sh on a random port).
@Suite(.serialized) struct ReplayOutageTests {
    let broker = OwnBroker()

    /// A program reading 2 records per partition a batch into a 3-batch window, checkpointed every 2 batches.
    final class Program: Sendable {
        let ssc: StreamingContext
        let windows = BatchLog<[String]>()

        init(_ ssc: StreamingContext, topic: String, brokers: String, replayTimeout: Duration = .seconds(300)) throws {
            self.ssc = ssc
            let kafka = ssc.directKafkaStream(
                brokers: brokers, topics: [topic], groupID: "replay-\(topic)",
                options: KafkaStreamOptions(maxRatePerPartition: 2, startingOffsets: .earliest,
                                            fetchTimeout: .seconds(2), replayTimeout: replayTimeout))
            kafka.records.checkpoint(interval: .seconds(2))
            try kafka.records.map { $0.valueString ?? "" }.window(length: .seconds(3), slide: .seconds(1))
                .foreachBatch { [windows] batch, time in windows.record(batch.collect().sorted(), at: time) }
        }

        static func make(_ dir: URL, topic: String, brokers: String, replayTimeout: Duration = .seconds(300)) throws -> Program {
            var program: Program?
            let ssc = try StreamingContext.getOrCreate(checkpoint: dir) {
                let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
                program = try Program(ssc, topic: topic, brokers: brokers, replayTimeout: replayTimeout)
                return ssc
            }
            guard let program, program.ssc === ssc else {
                throw KafkaError.client(operation: "test program", reason: "getOrCreate did not build the program")
            }
            return program
        }
    }

    @Test func recoveredBatchesWaitForABrokerThatIsDownAtRestart() async throws {
        try broker.script("start")
        defer {
            try? broker.script("stop")
            broker.removeData()
        }
        let topic = "replay"
        try KafkaAdmin.createTopic(topic, partitions: 2, brokers: broker.brokers)
        let producer = try KafkaProducer(brokers: broker.brokers)
        try producer.send((0..<32).map { KafkaMessage("v\($0)", partition: $0 % 2) }, to: topic)
        await producer.close()

        let reference = try Program(StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual),
                                    topic: topic, brokers: broker.brokers)
        try await reference.ssc.start()
        try await reference.ssc.advance(by: .seconds(8))
        await reference.ssc.stop()

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-replay-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Program.make(dir, topic: topic, brokers: broker.brokers)
        try await first.ssc.start()
        try await first.ssc.advance(by: .seconds(5))
        await first.ssc.stop(graceful: false)   // a crash: batches 3 and 4 are rebuilt, batch 5 runs again

        try broker.script("stop")
        // The broker stays away longer than this restart waits: it fails with the fix, nothing is skipped.
        let impatient = try Program.make(dir, topic: topic, brokers: broker.brokers, replayTimeout: .seconds(3))
        do {
            try await impatient.ssc.start()
            Issue.record("a restart whose batches cannot be read within replayTimeout should fail")
            await impatient.ssc.stop(graceful: false)
        } catch let error as SpateError {
            // The engine does not retry a replay that already waited (KafkaError.replayFailed is final), so this
            // fails after about replayTimeout, naming the fix.
            guard case .recoveredBatchLost = error else { throw error }
            #expect(error.description.contains("raise KafkaStreamOptions.replayTimeout"), "\(error)")
            #expect(!error.description.contains("attempts)"), "retried again by the engine: \(error)")
        }

        // Restarted while the broker is still down; it comes back after about 20 s.
        let second = try Program.make(dir, topic: topic, brokers: broker.brokers)
        let brokerBack = Task {
            try await Task.sleep(for: .seconds(20))
            try broker.script("start", keepData: true)
        }
        let began = ContinuousClock.now
        try await second.ssc.start()
        try await brokerBack.value
        #expect(ContinuousClock.now - began >= .seconds(19), "the restart waited for the broker")
        try await second.ssc.advance(by: .seconds(4))
        await second.ssc.stop()
        for t in stride(from: 5000, through: 8000, by: 1000) {
            #expect(second.windows[t] == reference.windows[t], "window at \(t)")
        }
        #expect(second.windows[5000]?.count == 3 * 2 * 2)
    }
}
