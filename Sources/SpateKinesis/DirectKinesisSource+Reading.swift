import Foundation
import Spate

/// What one batch read from one shard.
struct ShardRead: Sendable {
    var records: [KinesisRecord] = []
    /// The last sequence number read, nil when nothing was.
    var last: String?
    /// Whether the shard was read to its end (a closed shard: GetRecords gave no next iterator).
    var ended = false
    var millisBehind: Int64?
    /// Why the read stopped early (the rest is read by the next batch; nothing is skipped).
    var error: String?
}

extension DirectKinesisSource {
    /// Where an iterator after the position `after` starts.
    func start(after: String) -> KinesisAPI.IteratorStart {
        if after == "0" { return .trimHorizon }
        if after.hasPrefix("at:"), let ms = Double(after.dropFirst(3)) { return .atTimestamp(ms / 1000) }
        return .afterSequenceNumber(after)
    }

    /// Reads up to `most` records of `shard` after the position `after`, in at most
    /// `getRecordsCallsPerBatch` GetRecords calls, stopping early once the shard is caught up.
    func read(_ shard: String, after: String, most: Int) async -> ShardRead {
        var read = ShardRead()
        let cached = state.withLock { $0.iterators[shard] }
        var iterator: String?
        do {
            let api = try self.api()
            iterator = cached?.after == after ? cached?.iterator : nil
            if iterator == nil {
                iterator = try await api.shardIterator(stream: stream, shard: shard, start: start(after: after))
            }
            for _ in 0..<options.getRecordsCallsPerBatch {
                guard let current = iterator, read.records.count < most else { break }
                let result = try await api.records(iterator: current, limit: most - read.records.count)
                append(result.Records, shard: shard, to: &read)
                read.millisBehind = result.MillisBehindLatest
                iterator = result.NextShardIterator
                if iterator == nil { read.ended = true }
                if result.Records.isEmpty && (result.MillisBehindLatest ?? 0) == 0 { break }
            }
        } catch {
            // An expired or refused iterator is fetched anew by the next batch, after what this one read.
            iterator = nil
            read.error = "\(error)"
            logger.warning("Kinesis read stopped early; the next batch goes on after what was read", metadata: [
                "stream": "\(stream)", "shard": "\(shard)", "error": "\(error)"])
        }
        let position = read.last ?? after
        state.withLock { s in s.iterators[shard] = iterator.map { (after: position, iterator: $0) } }
        return read
    }

    /// Reads a recovered batch's range again, exactly: the records after `from` up to and including `until`.
    func reread(_ range: SourceOffsetRange, at time: BatchTime) async throws -> [KinesisRecord] {
        guard !range.isEmpty else { return [] }
        let shard = range.sourcePartition.id
        var read = ShardRead()
        do {
            let api = try self.api()
            var iterator: String? = try await api.shardIterator(
                stream: stream, shard: shard, start: start(after: range.from.value))
            var idle = 0
            while let current = iterator, read.last.map({ SourceOffset($0) < range.until }) ?? true, idle < 20 {
                let result = try await api.records(iterator: current, limit: 10_000)
                append(result.Records.filter { SourceOffset($0.SequenceNumber) <= range.until }, shard: shard, to: &read)
                idle = result.Records.isEmpty ? idle + 1 : 0
                iterator = result.NextShardIterator
            }
        } catch {
            throw KinesisError.replayFailed(batch: time, ranges: [range], reason: "\(error)")
        }
        guard read.last.map(SourceOffset.init) == range.until else {
            throw KinesisError.replayFailed(
                batch: time, ranges: [range],
                reason: "the shard ends at \(read.last ?? range.from.value) (records expired or the stream was recreated)")
        }
        return read.records
    }

    private func append(_ records: [KinesisAPI.Record], shard: String, to read: inout ShardRead) {
        read.records.reserveCapacity(read.records.count + records.count)
        for r in records {
            read.records.append(KinesisRecord(
                stream: stream, shardID: shard, sequenceNumber: r.SequenceNumber, partitionKey: r.PartitionKey,
                data: Array(r.Data), arrivalTimestampMilliseconds: r.ApproximateArrivalTimestamp.map { Int64($0 * 1000) }))
        }
        if let last = records.last { read.last = last.SequenceNumber }
    }
}
