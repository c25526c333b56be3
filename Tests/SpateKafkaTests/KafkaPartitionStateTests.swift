import Foundation
import Spate
import SpateKafka
import Synchronization
import Testing

/// `partitionedUpdateStateByKey`'s snapshot files: written durably off the batch threads (whole files,
/// leftovers of a crash mid-write removed at start), read back by the next run, which goes on exactly.
@Suite(.serialized) struct KafkaPartitionStateTests {
    typealias Broker = KafkaTestBroker

    /// Counts records per key ("k<i>" in every partition) and records what each batch emitted.
    static func run(topic: String, directory: String, group: String, batches: Int) async throws -> [String: Int] {
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let kafka = ssc.directKafkaStream(brokers: Broker.brokers, topics: [topic], groupID: group,
                                          options: KafkaStreamOptions(startingOffsets: .earliest))
        let latest = Mutex<[String: Int]>([:])
        try kafka.partitionedUpdateStateByKey(
            stateDirectory: directory, snapshotInterval: .seconds(1),
            extract: { record in record.keyString.map { ("\(record.partition)/\($0)", 1) } },
            update: { (ones: [Int], total: Int?) in (total ?? 0) + ones.count }
        ).foreachBatch { batch, _ in
            latest.withLock { l in for s in batch.collect() { l[s.key] = s.state } }
        }
        try await ssc.start()
        try await ssc.advance(by: .seconds(Int64(batches)))
        await ssc.stop()
        return latest.withLock { $0 }
    }

    @Test func snapshotsAreWrittenWholeAndLeftoversOfACrashAreRemoved() async throws {
        let topic = try Broker.makeTopic("pstate", partitions: 2)
        let group = "pstate-\(UUID().uuidString)"
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("spate-pstate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = root.appendingPathComponent(group)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // What a crash in the middle of a snapshot write leaves: a half-written temporary file (of a partition
        // this run does not read, so no write of its own replaces it).
        let leftover = dir.appendingPathComponent("\(topic)-7.json.tmp")
        try Data("{\"offset\": 4, \"keys\": [".utf8).write(to: leftover)

        try Broker.produce(topic, partitions: 2, perPartition: 3)
        let first = try await Self.run(topic: topic, directory: root.path, group: group, batches: 2)
        #expect(first == ["0/k0": 1, "0/k1": 1, "0/k2": 1, "1/k0": 1, "1/k1": 1, "1/k2": 1])
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["\(topic)-0.json", "\(topic)-1.json"], "snapshots only, no temporary file: \(names)")
        for p in 0..<2 {
            let snapshot = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("\(topic)-\(p).json")))
            #expect((snapshot as? [String: Any])?["offset"] as? Int == 3, "partition \(p)'s snapshot is at its end")
        }

        // The next run restores both partitions from their snapshots and goes on from their offsets.
        try Broker.produce(topic, partitions: 2, perPartition: 2)
        let second = try await Self.run(topic: topic, directory: root.path, group: group, batches: 1)
        #expect(second == ["0/k0": 2, "0/k1": 2, "0/k2": 1, "1/k0": 2, "1/k1": 2, "1/k2": 1])
    }
}
