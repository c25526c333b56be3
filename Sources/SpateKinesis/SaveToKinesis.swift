import Foundation
import Logging
import Metrics
import Spate

/// Settings of `saveToKinesis`.
public struct KinesisSinkOptions: Sendable {
    /// The region; nil reads `AWS_REGION`.
    public var region: String?
    /// The endpoint; nil is AWS's regional endpoint (`http://127.0.0.1:4567` for the local emulator).
    public var endpoint: String?
    /// Credentials; nil reads them from the environment at the first batch.
    public var credentials: AWSCredentials?
    /// How requests, and the entries PutRecords refused (throttled shards), are retried.
    public var retry: AWSRetry
    /// How long one request may take.
    public var requestTimeout: Duration

    /// AWS from the environment, AWS's retry advice, a 30 s request timeout.
    public init(region: String? = nil, endpoint: String? = nil, credentials: AWSCredentials? = nil,
                retry: AWSRetry = AWSRetry(), requestTimeout: Duration = .seconds(30)) {
        self.region = region
        self.endpoint = endpoint
        self.credentials = credentials
        self.retry = retry
        self.requestTimeout = requestTimeout
    }
}

extension DStream {
    /// Writes every record of every batch to the Kinesis stream `stream` with PutRecords, in requests of at
    /// most 500 records and 5 MiB; entries Kinesis refuses (`ProvisionedThroughputExceededException` on a hot
    /// shard, an internal failure) are sent again with backoff, and the batch fails with
    /// `KinesisError.putFailed` only when they are still refused after `options.retry`'s attempts (the output
    /// then stops the context and `awaitTermination()` rethrows it). At-least-once: a batch re-run after
    /// recovery writes its records again.
    ///
    /// `partitionKey` chooses each record's shard (1 to 256 characters); `data` gives its bytes (at most
    /// 1 MiB with the key) — plug an encoder in here (JSON, Avro, Protobuf to bytes). A record that breaks a
    /// limit fails the batch with an error naming it, before anything of the batch is sent.
    /// ```swift
    /// try clicks.saveToKinesis(stream: "clicks", options: KinesisSinkOptions(region: "us-east-1"),
    ///                          partitionKey: { $0.user }, data: { try JSONEncoder().encode($0).map { $0 } })
    /// ```
    public func saveToKinesis(
        stream: String, options: KinesisSinkOptions = KinesisSinkOptions(),
        partitionKey: @escaping @Sendable (T) -> String, data: @escaping @Sendable (T) throws -> [UInt8]
    ) {
        let writer = KinesisWriter(stream: stream, options: options, logger: context.packageLogger)
        foreachBatch { batch, _ in
            var entries: [KinesisAPI.PutRecordsEntry] = []
            for partition in batch.partitions {
                for element in partition {
                    entries.append(try writer.entry(key: partitionKey(element), data: data(element)))
                }
            }
            try await writer.put(entries)
        }
    }
}

extension DStream where T == String {
    /// Writes every line to the Kinesis stream `stream` as its UTF-8 bytes, with the partition key
    /// `partitionKey` gives; see `saveToKinesis(stream:options:partitionKey:data:)`.
    public func saveToKinesis(
        stream: String, options: KinesisSinkOptions = KinesisSinkOptions(),
        partitionKey: @escaping @Sendable (String) -> String
    ) {
        saveToKinesis(stream: stream, options: options, partitionKey: partitionKey, data: { Array($0.utf8) })
    }
}

/// PutRecords for one sink: the request limits and the retry of refused entries.
struct KinesisWriter: Sendable {
    static let maxEntries = 500
    static let maxRequestBytes = 5 << 20
    static let maxRecordBytes = 1 << 20

    let stream: String
    let options: KinesisSinkOptions
    let logger: Logger

    /// An entry, checked against Kinesis' limits.
    func entry(key: String, data: [UInt8]) throws -> KinesisAPI.PutRecordsEntry {
        guard !key.isEmpty, key.count <= 256 else { throw KinesisError.invalidPartitionKey(stream: stream, key: key) }
        let size = data.count + key.utf8.count
        guard size <= Self.maxRecordBytes else { throw KinesisError.recordTooLarge(stream: stream, bytes: size) }
        return KinesisAPI.PutRecordsEntry(Data: Data(data), PartitionKey: key)
    }

    /// Splits `entries` into requests within the limits, in order.
    static func requests(_ entries: [KinesisAPI.PutRecordsEntry]) -> [[KinesisAPI.PutRecordsEntry]] {
        var requests: [[KinesisAPI.PutRecordsEntry]] = [], current: [KinesisAPI.PutRecordsEntry] = [], bytes = 0
        for entry in entries {
            let size = entry.Data.count + entry.PartitionKey.utf8.count
            if current.count == maxEntries || bytes + size > maxRequestBytes {
                requests.append(current)
                current = []
                bytes = 0
            }
            current.append(entry)
            bytes += size
        }
        if !current.isEmpty { requests.append(current) }
        return requests
    }

    /// Puts every entry, sending refused ones again with backoff.
    func put(_ entries: [KinesisAPI.PutRecordsEntry]) async throws {
        guard !entries.isEmpty else { return }
        let credentials = try options.credentials ?? AWSCredentials.fromEnvironment()
        guard let region = options.region ?? AWSCredentials.region() else { throw KinesisError.missingRegion }
        let api = KinesisAPI(client: try AWSJSONClient(
            service: .kinesis, region: region, endpoint: options.endpoint, credentials: credentials,
            retry: options.retry, timeout: options.requestTimeout, logger: logger))
        for request in Self.requests(entries) {
            var pending = request, firstError = ""
            for attempt in 1...options.retry.maxAttempts where !pending.isEmpty {
                if attempt > 1 { try await Task.sleep(for: options.retry.backoff(attempt: attempt - 1)) }
                let result = try await api.putRecords(stream: stream, entries: pending)
                var refused: [KinesisAPI.PutRecordsEntry] = []
                for (entry, answer) in zip(pending, result.Records) where answer.ErrorCode != nil {
                    refused.append(entry)
                    if firstError.isEmpty { firstError = "\(answer.ErrorCode ?? "") \(answer.ErrorMessage ?? "")" }
                }
                Counter(label: "spate_kinesis_records_put_total", dimensions: [("stream", stream)])
                    .increment(by: pending.count - refused.count)
                if !refused.isEmpty {
                    logger.debug("Kinesis refused entries of PutRecords; sending them again", metadata: [
                        "stream": "\(stream)", "refused": "\(refused.count)", "attempt": "\(attempt)"])
                }
                pending = refused
            }
            if !pending.isEmpty {
                throw KinesisError.putFailed(stream: stream, failed: pending.count, firstError: firstError)
            }
        }
    }
}
