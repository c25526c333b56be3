/// How a stream's records are read from bytes into `T`: `.json` and `.avro(schema:)` for `Decodable` types,
/// `.avroConfluent(schemas:)` for Confluent's wire format, `.protobuf` for SwiftProtobuf messages, or a
/// decoder of your own. Decoders throw `RecordDecodingError` (an `InvalidInputError`) for bytes they cannot
/// read: the decoding streams drop those records, count them in `BatchInfo.invalidRecords` and dead-letter
/// them.
/// ```swift
/// let clicks = bytes.decoded(as: Click.self, .json) { letter in log.warning("\(letter.error)") }
/// ```
public struct RecordFormat<T: SendableMetatype>: Sendable {
    /// The format's name in errors and dead letters.
    public let name: String
    let body: @Sendable (UnsafeRawBufferPointer) throws -> T

    /// A format named `name` that decodes with `decode`, which reads the whole record's bytes.
    public init(name: String, decode: @escaping @Sendable (UnsafeRawBufferPointer) throws -> T) {
        self.name = name
        self.body = decode
    }

    /// `bytes` decoded as one record; throws `RecordDecodingError` when they are not one.
    public func decode(_ bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { try body($0) }
    }

    /// The UTF-8 of `text` decoded as one record (text formats: JSON lines from a socket or files).
    public func decode(_ text: String) throws -> T {
        var text = text
        return try text.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
}

/// How a sink writes `T` as bytes: `.json` and `.avro(schema:)` for `Encodable` types,
/// `.avroConfluent(schemaID:schema:)` for Confluent's wire format, `.protobuf` for SwiftProtobuf messages.
/// `encode` is what any bytes sink calls (`saveToKafka(topic:brokers:encoding:key:)` does; a Kinesis sink takes
/// `{ try encoding.encode($0) }` for its data).
public struct RecordEncoding<T: SendableMetatype>: Sendable {
    /// The encoding's name in errors.
    public let name: String
    let body: @Sendable (T) throws -> [UInt8]

    /// An encoding named `name` that writes with `encode`.
    public init(name: String, encode: @escaping @Sendable (T) throws -> [UInt8]) {
        self.name = name
        self.body = encode
    }

    /// `value`'s bytes; throws `RecordDecodingError` when the value cannot be written in this encoding (a
    /// string that is not one of an Avro enum's symbols, for example).
    public func encode(_ value: T) throws -> [UInt8] { try body(value) }
}
