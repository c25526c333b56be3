import Foundation

/// The Kinesis Data Streams operations Spate calls, with their documented request and response shapes
/// (JSON 1.1; `Data` is base64, which `JSONEncoder` and `JSONDecoder` produce and read for `Data`).
struct KinesisAPI: Sendable {
    let client: AWSJSONClient

    struct HashKeyRange: Codable, Sendable, Equatable {
        var StartingHashKey: String
        var EndingHashKey: String
    }

    struct SequenceNumberRange: Codable, Sendable, Equatable {
        var StartingSequenceNumber: String
        var EndingSequenceNumber: String?
    }

    /// A shard as ListShards describes it; a closed shard has an `EndingSequenceNumber`, a shard made by a
    /// split or merge names its parent(s).
    struct Shard: Codable, Sendable, Equatable {
        var ShardId: String
        var ParentShardId: String?
        var AdjacentParentShardId: String?
        var HashKeyRange: KinesisAPI.HashKeyRange
        var SequenceNumberRange: KinesisAPI.SequenceNumberRange

        /// The parents still to be read before this shard.
        var parents: [String] { [ParentShardId, AdjacentParentShardId].compactMap { $0 } }
    }

    struct Record: Codable, Sendable {
        var SequenceNumber: String
        var ApproximateArrivalTimestamp: Double?
        var Data: Foundation.Data
        var PartitionKey: String
    }

    struct GetRecordsResult: Codable, Sendable {
        var Records: [Record]
        /// Absent once a closed shard was read to its end.
        var NextShardIterator: String?
        var MillisBehindLatest: Int64?
    }

    struct PutRecordsEntry: Codable, Sendable {
        var Data: Foundation.Data
        var PartitionKey: String
    }

    struct PutRecordsResultEntry: Codable, Sendable {
        var SequenceNumber: String?
        var ShardId: String?
        var ErrorCode: String?
        var ErrorMessage: String?
    }

    struct PutRecordsResult: Codable, Sendable {
        var FailedRecordCount: Int?
        var Records: [PutRecordsResultEntry]
    }

    /// Every shard of `stream` (open and closed, still within retention), following `NextToken`.
    func listShards(stream: String) async throws -> [Shard] {
        struct First: Encodable { var StreamName: String }
        struct Next: Encodable { var NextToken: String }
        struct Result: Decodable { var Shards: [Shard]; var NextToken: String? }
        var shards: [Shard] = []
        var result: Result
        do {
            result = try await client.call("ListShards", First(StreamName: stream))
        } catch KinesisError.service(_, let code, _, _) where code == "ResourceNotFoundException" {
            throw KinesisError.streamNotFound(stream: stream, endpoint: client.endpoint)
        }
        shards += result.Shards
        while let token = result.NextToken {
            result = try await client.call("ListShards", Next(NextToken: token))
            shards += result.Shards
        }
        return shards
    }

    /// Where a shard iterator starts.
    enum IteratorStart: Sendable, Equatable {
        case trimHorizon
        case afterSequenceNumber(String)
        case atTimestamp(Double)
        case latest
    }

    /// An iterator of `shard` starting at `start`.
    func shardIterator(stream: String, shard: String, start: IteratorStart) async throws -> String {
        struct Request: Encodable {
            var StreamName: String
            var ShardId: String
            var ShardIteratorType: String
            var StartingSequenceNumber: String?
            var Timestamp: Double?
        }
        struct Result: Decodable { var ShardIterator: String }
        var request = Request(StreamName: stream, ShardId: shard, ShardIteratorType: "TRIM_HORIZON")
        switch start {
        case .trimHorizon: break
        case let .afterSequenceNumber(sequence):
            request.ShardIteratorType = "AFTER_SEQUENCE_NUMBER"
            request.StartingSequenceNumber = sequence
        case let .atTimestamp(seconds):
            request.ShardIteratorType = "AT_TIMESTAMP"
            request.Timestamp = seconds
        case .latest: request.ShardIteratorType = "LATEST"
        }
        return try await client.call("GetShardIterator", request, as: Result.self).ShardIterator
    }

    /// Up to `limit` (at most 10,000) records from `iterator`.
    func records(iterator: String, limit: Int) async throws -> GetRecordsResult {
        struct Request: Encodable { var ShardIterator: String; var Limit: Int }
        return try await client.call("GetRecords", Request(ShardIterator: iterator, Limit: min(10_000, max(1, limit))))
    }

    /// Puts `entries` (at most 500, at most 5 MiB) to `stream`; the result says which entries failed.
    func putRecords(stream: String, entries: [PutRecordsEntry]) async throws -> PutRecordsResult {
        struct Request: Encodable { var StreamName: String; var Records: [PutRecordsEntry] }
        do {
            return try await client.call("PutRecords", Request(StreamName: stream, Records: entries))
        } catch KinesisError.service(_, let code, _, _) where code == "ResourceNotFoundException" {
            throw KinesisError.streamNotFound(stream: stream, endpoint: client.endpoint)
        }
    }
}
