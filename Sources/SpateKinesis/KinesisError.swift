import Spate

/// Errors of the Kinesis connector; each message says what to change.
public enum KinesisError: Error, Sendable, CustomStringConvertible {
    /// `AWS_ACCESS_KEY_ID` or `AWS_SECRET_ACCESS_KEY` is not set.
    case missingCredentials
    /// No region was given and `AWS_REGION` is not set.
    case missingRegion
    /// The endpoint is not an http(s) URL with a host.
    case invalidEndpoint(String)
    /// AWS (or the emulator) refused a request with an error that retrying does not fix.
    case service(operation: String, code: String, message: String, status: Int)
    /// A request still failed (throttled, a 5xx, no connection) after every retry.
    case unavailable(operation: String, endpoint: String, attempts: Int, reason: String)
    /// The stream does not exist (or is not active yet).
    case streamNotFound(stream: String, endpoint: String)
    /// Records of a batch were still refused by PutRecords after every retry.
    case putFailed(stream: String, failed: Int, firstError: String)
    /// A record is larger than Kinesis accepts (1 MiB of data and partition key).
    case recordTooLarge(stream: String, bytes: Int)
    /// A partition key is empty or longer than 256 characters.
    case invalidPartitionKey(stream: String, key: String)
    /// A recovered batch's records could not be read again.
    case replayFailed(batch: BatchTime, ranges: [SourceOffsetRange], reason: String)

    public var description: String {
        switch self {
        case .missingCredentials:
            return "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
                + "temporary credentials), or pass KinesisStreamOptions.credentials; a local emulator (moto) "
                + "accepts any values"
        case .missingRegion:
            return "no AWS region: pass `region:` or set AWS_REGION (us-east-1 for the local emulator)"
        case let .invalidEndpoint(endpoint):
            return "invalid Kinesis endpoint '\(endpoint)': pass an http(s) URL such as http://127.0.0.1:4567 "
                + "(scripts/kinesis.sh start), or nil for AWS's regional endpoint"
        case let .service(operation, code, message, status):
            return "Kinesis \(operation) refused (HTTP \(status) \(code)): \(message)"
                + (code.contains("AccessDenied") || code.contains("Signature") || code.contains("Token")
                    ? "; check the credentials, the region and the IAM policy (kinesis:\(operation))" : "")
        case let .unavailable(operation, endpoint, attempts, reason):
            return "Kinesis \(operation) at \(endpoint) failed \(attempts) times (\(reason)): start the server "
                + "(scripts/kinesis.sh start) or fix `endpoint:`; when throttled, read less often or add shards"
        case let .streamNotFound(stream, endpoint):
            return "Kinesis stream '\(stream)' does not exist at \(endpoint) (or is not ACTIVE): create it "
                + "(aws kinesis create-stream --stream-name \(stream) --shard-count 2) or fix the stream name"
        case let .putFailed(stream, failed, firstError):
            return "\(failed) record(s) to Kinesis stream '\(stream)' were refused after every retry (first error: "
                + "\(firstError)); add shards (UpdateShardCount) or write less per second"
        case let .recordTooLarge(stream, bytes):
            return "a record of \(bytes) bytes to Kinesis stream '\(stream)' exceeds the 1 MiB limit (data plus "
                + "partition key): split or compress it in the `data:` closure"
        case let .invalidPartitionKey(stream, key):
            return "partition key '\(key.prefix(40))' for Kinesis stream '\(stream)' must have 1 to 256 characters"
        case let .replayFailed(batch, ranges, reason):
            return "the recovered batch \(batch) could not read its records "
                + "\(ranges.map(\.description).joined(separator: ", ")) again (\(reason)): start the server and "
                + "restart (nothing was skipped), or raise the stream's retention if the records expired"
        }
    }
}
