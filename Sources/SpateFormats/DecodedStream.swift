import Spate

extension DStream {
    /// Each record's bytes, as `bytes` gives them, decoded by `format`: the generic form for any source whose
    /// records carry a payload (`kinesis.decoded(as: Click.self, .json, bytes: { $0.data })`). A record whose
    /// bytes do not decode (or that has none: `bytes` returned nil) is dropped, counted in
    /// `BatchInfo.invalidRecords` with its error among `BatchInfo.recordErrors`, and handed to `deadLetters`
    /// whole; the batch goes on. Never a crash, never a silent drop.
    ///
    /// Cost: one pass over the bytes per record; no per-record closure beyond `bytes` and the format's own.
    public func decoded<U: Sendable>(
        as type: U.Type, _ format: RecordFormat<U>, bytes: @escaping @Sendable (T) -> [UInt8]?,
        deadLetters: DeadLetterSink<T>? = nil
    ) -> DStream<U> {
        decodedRecords(format, deadLetters: deadLetters) { record, body in
            guard let payload = bytes(record) else {
                throw RecordDecodingError(format: format.name, reason: "the record has no bytes (a null value or tombstone)")
            }
            return try payload.withUnsafeBytes(body)
        }
    }

    /// `map` with `read`, which runs the format's decoder over a record's bytes; errors become dead letters.
    func decodedRecords<U: Sendable>(
        _ format: RecordFormat<U>, deadLetters: DeadLetterSink<T>?,
        read: @escaping @Sendable (T, (UnsafeRawBufferPointer) throws -> U) throws -> U
    ) -> DStream<U> {
        let body = format.body, name = format.name
        return map { record in
            do {
                return try read(record, body)
            } catch {
                let rejected = error as? RecordDecodingError ?? RecordDecodingError(format: name, reason: "\(error)")
                deadLetters?(DeadLetter(record: record, error: rejected))
                throw rejected
            }
        }
    }
}

extension DStream where T == [UInt8] {
    /// Each record's bytes decoded by `format` (`.json`, `.avro(schema:)`, `.avroConfluent(schemas:)`,
    /// `.protobuf`); what does not decode is dropped, counted in `BatchInfo.invalidRecords` and handed to
    /// `deadLetters` (see `decoded(as:_:bytes:deadLetters:)`).
    /// ```swift
    /// let clicks = payloads.decoded(as: Click.self, .avro(schema: schema)) { letter in rejected.append(letter) }
    /// ```
    public func decoded<U: Sendable>(
        as type: U.Type, _ format: RecordFormat<U>, deadLetters: DeadLetterSink<[UInt8]>? = nil
    ) -> DStream<U> {
        decodedRecords(format, deadLetters: deadLetters) { record, body in try record.withUnsafeBytes(body) }
    }
}

extension DStream where T == String {
    /// Each line's UTF-8 decoded by `format`: JSON lines from a socket, files or a queue
    /// (`ssc.socketTextStream(...).decoded(as: Click.self, .json)`). Rejected lines are dead-lettered as
    /// `decoded(as:_:bytes:deadLetters:)` says.
    public func decoded<U: Sendable>(
        as type: U.Type, _ format: RecordFormat<U>, deadLetters: DeadLetterSink<String>? = nil
    ) -> DStream<U> {
        decodedRecords(format, deadLetters: deadLetters) { record, body in
            var line = record
            return try line.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
        }
    }
}

extension DStream where T == Utf8Text {
    /// Each line's bytes decoded by `format` with no String built (`socketTextStream(..., as: .utf8Lines)`):
    /// the fast form for JSON lines. Rejected lines are dead-lettered as `decoded(as:_:bytes:deadLetters:)`
    /// says.
    public func decoded<U: Sendable>(
        as type: U.Type, _ format: RecordFormat<U>, deadLetters: DeadLetterSink<Utf8Text>? = nil
    ) -> DStream<U> {
        decodedRecords(format, deadLetters: deadLetters) { record, body in
            try record.withBytes { try body(UnsafeRawBufferPointer($0)) }
        }
    }
}

extension DStream {
    /// Every record encoded by `encoding`, for a bytes sink (`saveToKafka`, a Kinesis sink, files): a value
    /// the encoding cannot write is dropped and counted in `BatchInfo.invalidRecords` with its error, and the
    /// batch goes on.
    public func encoded(_ encoding: RecordEncoding<T>) -> DStream<[UInt8]> {
        map { try encoding.encode($0) }
    }
}
