import Foundation
import Spate
import SpateKafka
import Synchronization
import Testing

/// `partitionedUpdateStateByKey(timeout:)`: a key without records for the time to live leaves its
/// partition's state (counted in `BatchInfo.expiredStateKeys`), starts again from nil when it comes back, and
/// its clock travels in the partition's snapshot.
@Suite(.serialized) struct KafkaPartitionStateTTLTests {
    typealias Broker = KafkaTestBroker

    final class Expired: StreamingListener {
        let counts = Mutex<[Int]>([])
        func batchCompleted(_ info: BatchInfo) {
            counts.withLock { $0.append(info.expiredStateKeys["partitionedUpdateStateByKey"] ?? 0) }
        }
    }

    @Test func aKeyWithoutRecordsForTheTimeoutIsDroppedAndStartsAgain() async throws {
        let topic = try Broker.makeTopic("pstate-ttl", partitions: 1)
        let group = "pstate-ttl-\(UUID().uuidString)"
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("spate-pstate-ttl-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }

        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let expired = Expired()
        ssc.addListener(expired)
        let kafka = ssc.directKafkaStream(brokers: Broker.brokers, topics: [topic], groupID: group,
                                          options: KafkaStreamOptions(startingOffsets: .earliest))
        let emitted = Mutex<[[String: Int]]>([])
        try kafka.partitionedUpdateStateByKey(
            stateDirectory: root.path, snapshotInterval: .seconds(1), timeout: .seconds(3),
            extract: { record in record.keyString.map { ($0, 1) } },
            update: { (ones: [Int], total: Int?) in (total ?? 0) + ones.count }
        ).foreachBatch { batch, _ in
            let states = Dictionary(batch.collect().map { ($0.key, $0.state) }, uniquingKeysWith: { _, b in b })
            emitted.withLock { $0.append(states) }
        }
        try await ssc.start()
        try Broker.produce(topic, partitions: 1, perPartition: 2)           // k0, k1 at 1 s
        try await ssc.advance(by: .seconds(1))
        try Broker.produce(topic, partitions: 1, perPartition: 1, start: 1)  // k1 again at 2 s
        try await ssc.advance(by: .seconds(3))                                // 3 s, 4 s: k0 expires at 4 s
        try Broker.produce(topic, partitions: 1, perPartition: 1)           // k0 comes back at 5 s; k1 expires
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()

        let batches = emitted.withLock { $0 }
        #expect(batches.first == ["k0": 1, "k1": 1])
        #expect(batches.dropFirst().first == ["k1": 2])
        #expect(batches.last == ["k0": 1], "k0 expired at 4 s, so it starts again from nil: \(batches)")
        #expect(expired.counts.withLock { $0 } == [0, 0, 0, 1, 1])

        // The snapshot keeps the clock of the key still held (k0, updated at 5 s).
        let file = root.appendingPathComponent(group).appendingPathComponent("\(topic)-0.json")
        let snapshot = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        #expect(snapshot?["keys"] as? [String] == ["k0"])
        #expect((snapshot?["updatedMs"] as? [Int])?.count == 1)
    }

    @Test func aTimeoutBelowOneMillisecondFailsAtDefinition() throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let kafka = ssc.directKafkaStream(brokers: Broker.brokers, topics: ["unused"], groupID: "unused")
        #expect(throws: SpateError.self) {
            try kafka.partitionedUpdateStateByKey(
                stateDirectory: FileManager.default.temporaryDirectory.path, timeout: .zero,
                extract: { _ in ("k", 1) }, update: { (ones: [Int], total: Int?) in (total ?? 0) + ones.count })
        }
    }
}
