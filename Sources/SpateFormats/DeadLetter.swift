/// A record that did not decode, as the decoding streams hand it to their dead-letter sink: the record as
/// the source gave it (nothing of it is lost) and why it was rejected, with the byte offset and field.
public struct DeadLetter<Record: Sendable>: Sendable {
    /// The record unchanged: its bytes, its text, or the source's whole record (`KafkaRecord`, ...).
    public let record: Record
    /// Why it did not decode.
    public let error: RecordDecodingError

    /// A dead letter of `record` rejected with `error`.
    public init(record: Record, error: RecordDecodingError) {
        self.record = record
        self.error = error
    }
}

/// Where a decoding stream sends the records it cannot decode. The closure runs on the batch's worker
/// threads, for several partitions at once, so it must be thread-safe (it is `@Sendable`), and quick: it
/// runs inside the batch. To write dead letters somewhere slow, queue them and write them from an output.
public typealias DeadLetterSink<Record: Sendable> = @Sendable (DeadLetter<Record>) -> Void
