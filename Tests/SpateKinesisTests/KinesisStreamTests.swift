import Foundation
import Spate
import SpateKinesis
import Synchronization
import Testing

/// The source and the sink against the local emulator (moto, scripts/kinesis.sh): what `saveToKinesis`
/// writes, `kinesisStream` reads back exactly once, bounded per shard, with the batches' ranges.
@Suite(.serialized) struct KinesisStreamTests {
    let credentials = AWSCredentials(accessKeyID: "test", secretAccessKey: "test")

    @Test func whatTheSinkWritesTheStreamReadsBackExactlyOnce() async throws {
        let stream = LocalKinesis.unique("roundtrip")
        try LocalKinesis.createStream(stream, shards: 2)
        let lines = (0..<1_234).map { "line \($0)" }

        let writer = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        writer.queueStream([Array(lines[..<1_000]), Array(lines[1_000...])])
            .saveToKinesis(stream: stream, options: KinesisSinkOptions(
                region: "us-east-1", endpoint: LocalKinesis.endpoint, credentials: credentials)) { $0 }
        try await writer.start()
        try await writer.advance(by: .seconds(2))
        await writer.stop()

        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let kinesis = ssc.directKinesisStream(
            stream: stream, region: "us-east-1", endpoint: LocalKinesis.endpoint, initialPosition: .trimHorizon,
            application: "roundtrip", options: KinesisStreamOptions(maxRecordsPerShard: 300, credentials: credentials))
        let seen = Mutex<[KinesisRecord]>([])
        let perBatch = Mutex<[[KinesisShardRange]]>([])
        kinesis.foreachBatch { batch, ranges, _ in
            seen.withLock { $0 += batch.collect() }
            perBatch.withLock { $0.append(ranges) }
            for (partition, range) in zip(batch.partitions, ranges) {
                #expect(partition.count <= 300)
                #expect(partition.allSatisfy { $0.shardID == range.shardID })
                #expect(partition.last.map { SourceOffset($0.sequenceNumber) == range.until } ?? range.isEmpty)
            }
        }
        try await ssc.start()
        for _ in 0..<8 { try await ssc.advance(by: .seconds(1)) }
        await ssc.stop()

        let records = seen.withLock { $0 }
        #expect(records.map(\.dataString).sorted() == lines.sorted())
        #expect(records.allSatisfy { $0.stream == stream && $0.partitionKey == $0.dataString })
        #expect(records.allSatisfy { ($0.arrivalTimestampMilliseconds ?? 0) > 1_700_000_000_000 })
        let ranges = perBatch.withLock { $0 }
        #expect(ranges.first?.count == 2)
        // Each batch starts where the previous one ended, shard by shard.
        for (previous, next) in zip(ranges, ranges.dropFirst()) {
            for r in next { #expect(previous.first { $0.shardID == r.shardID }?.until == r.from) }
        }
    }

    @Test func aMissingStreamFailsStartWithTheFix() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        ssc.kinesisStream(stream: "no-such-stream", region: "us-east-1", endpoint: LocalKinesis.endpoint,
                          application: "missing", options: KinesisStreamOptions(credentials: credentials))
            .foreachBatch { _, _ in }
        await #expect {
            try await ssc.start()
        } throws: { error in
            "\(error)".contains("create-stream") && "\(error)".contains("no-such-stream")
        }
    }

    @Test func aRecoveredBatchIsReadAgainRecordForRecord() async throws {
        let stream = LocalKinesis.unique("replay")
        try LocalKinesis.createStream(stream, shards: 2)
        _ = try LocalKinesis.python("""
            k.put_records(StreamName=sys.argv[1], Records=[{'Data': b'r%d' % i, 'PartitionKey': 'p%d' % i} for i in range(40)])
            """, [stream])
        let checkpoint = FileManager.default.temporaryDirectory.appendingPathComponent(LocalKinesis.unique("ckpt"))
        defer { try? FileManager.default.removeItem(at: checkpoint) }
        let options = KinesisStreamOptions(maxRecordsPerShard: 5, credentials: credentials)
        func build(_ seen: Recorded) throws -> StreamingContext {
            try StreamingContext.getOrCreate(checkpoint: checkpoint) {
                let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
                ssc.checkpoint(directory: checkpoint)
                ssc.kinesisStream(stream: stream, region: "us-east-1", endpoint: LocalKinesis.endpoint,
                                  initialPosition: .trimHorizon, application: "replay", options: options)
                    .foreachBatch { batch, time in
                        seen.batches.withLock { $0["\(time.milliseconds)", default: []] += batch.collect().map(\.dataString) }
                    }
                return ssc
            }
        }
        let first = Recorded()
        let ssc = try build(first)
        try await ssc.start()
        try await ssc.advance(by: .seconds(3))
        await ssc.stop()
        let batches = first.batches.withLock { $0 }
        #expect(batches.values.map(\.count).reduce(0, +) == 30)
        // A second program from the checkpoint continues after the last batch, at most 5 a shard a batch.
        let second = Recorded()
        let recovered = try build(second)
        try await recovered.start()
        try await recovered.advance(by: .seconds(2))
        await recovered.stop()
        let again = second.batches.withLock { $0 }
        for (time, records) in again where batches[time] != nil { #expect(records == batches[time]) }
        let all = Set(batches.values.joined()).union(again.values.joined())
        #expect(all.count == 40)
    }
}

/// The records each batch saw, by batch time.
final class Recorded: Sendable {
    let batches = Mutex<[String: [String]]>([:])
}
