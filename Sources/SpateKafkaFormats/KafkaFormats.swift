import Spate
import SpateFormats
import SpateKafka

extension KafkaStream {
    /// The records' values decoded by `format` (`.json`, `.avro(schema:)`, `.avroConfluent(schemas:)`,
    /// `.protobuf`). A value that does not decode (or a tombstone) is dropped, counted in
    /// `BatchInfo.invalidRecords`, written to the options' `deadLetterTopic` as `decoded(_:)` does (the
    /// header `spate.error` holds the error with its byte offset and field) and handed to `deadLetters`.
    /// ```swift
    /// let clicks = kafka.decoded(as: Click.self, .avro(schema: schema))
    /// ```
    public func decoded<U: Sendable>(
        as type: U.Type, _ format: RecordFormat<U>, deadLetters: DeadLetterSink<KafkaRecord>? = nil
    ) -> DStream<U> {
        decoded { record in try KafkaRecord.decodeValue(record, format, deadLetters) }
    }
}

extension DStream where T == KafkaRecord {
    /// The values of a `kafkaStream` decoded by `format`, rejected records handed to `deadLetters` (use
    /// `directKafkaStream(...).decoded(as:_:deadLetters:)` for a dead-letter topic).
    public func decoded<U: Sendable>(
        as type: U.Type, _ format: RecordFormat<U>, deadLetters: DeadLetterSink<KafkaRecord>? = nil
    ) -> DStream<U> {
        map { record in try KafkaRecord.decodeValue(record, format, deadLetters) }
    }
}

extension KafkaRecord {
    /// `record`'s value decoded by `format`; a failure is handed to `deadLetters` and rethrown.
    static func decodeValue<U>(
        _ record: KafkaRecord, _ format: RecordFormat<U>, _ deadLetters: DeadLetterSink<KafkaRecord>?
    ) throws -> U {
        do {
            guard let value = record.value else {
                throw RecordDecodingError(format: format.name, reason: "the record has no value (a tombstone)")
            }
            return try format.decode(value)
        } catch let error as RecordDecodingError {
            deadLetters?(DeadLetter(record: record, error: error))
            throw error
        }
    }
}

extension DStream {
    /// Writes every batch to `topic` as `saveToKafka(topic:brokers:settings:delivery:consumed:_:)` does, each
    /// value encoded by `encoding` (`.json`, `.avro(schema:)`, `.avroConfluent(schemaID:schema:)`, `.protobuf`)
    /// and keyed by `key`'s bytes (none by default). `delivery` is `.atLeastOnce` by default; with
    /// `.exactlyOnce(transactionalID:)` one producer transaction per batch holds the encoded records and the
    /// consumed offsets of `consumed`. A value the encoding cannot write is dropped and counted in
    /// `BatchInfo.invalidRecords` with its error; the rest of the batch is written.
    /// ```swift
    /// counts.saveToKafka(topic: "counts", brokers: brokers, encoding: .avro(schema: countSchema)) { Array($0.page.utf8) }
    /// ```
    public func saveToKafka(
        topic: String, brokers: String, settings: [String: String] = [:], encoding: RecordEncoding<T>,
        key: (@Sendable (T) -> [UInt8]?)? = nil, delivery: KafkaDelivery = .atLeastOnce, consumed: BatchOffsets? = nil
    ) {
        map { value in KafkaMessage(value: try encoding.encode(value), key: key?(value)) }
            .saveToKafka(topic: topic, brokers: brokers, settings: settings, delivery: delivery, consumed: consumed)
    }
}
