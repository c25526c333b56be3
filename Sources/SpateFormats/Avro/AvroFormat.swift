import Foundation

extension RecordFormat where T: Decodable {
    /// Each record one Avro binary datum of `schema` (no container-file header, no framing: what Kafka and
    /// Kinesis producers write), decoded into `T` by field name. Errors give the byte offset and field:
    /// `avro: at byte 9, field tags[1]: truncated varint`.
    /// ```swift
    /// let clicks = kafka.decoded(as: Click.self, .avro(schema: try AvroSchema(json: clickSchema)))
    /// ```
    public static func avro(schema: AvroSchema) -> RecordFormat<T> {
        RecordFormat(name: "avro") { bytes in
            var reader = AvroBinaryReader(bytes, schema: schema)
            return try AvroFormat.decode(T.self, reader.readRecord(), format: "avro")
        }
    }

    /// Confluent's wire format: a zero magic byte, the writer's schema id (4 bytes, big-endian), then the Avro
    /// datum. The id is looked up in `schemas` (a local map, or `AvroSchema.schemas(file:)`): no schema
    /// registry server is asked (none can run here), so every id the producers use must be listed. An unknown
    /// id is an error naming it.
    public static func avroConfluent(schemas: [Int32: AvroSchema]) -> RecordFormat<T> {
        RecordFormat(name: "avro-confluent") { bytes in
            let format = "avro-confluent"
            guard bytes.count >= 5 else {
                throw RecordDecodingError(format: format, offset: 0, reason: "\(bytes.count) bytes: shorter than the 5-byte header")
            }
            guard bytes[0] == 0 else {
                throw RecordDecodingError(format: format, offset: 0, reason: "magic byte \(bytes[0]), expected 0")
            }
            let id = Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: 1, as: Int32.self))
            guard let schema = schemas[id] else {
                throw RecordDecodingError(
                    format: format, offset: 1,
                    reason: "schema id \(id) is not in the local schema map (known: \(schemas.keys.sorted().map(String.init).joined(separator: ", ")))")
            }
            var reader = AvroBinaryReader(bytes, schema: schema, format: format, offset: 5)
            return try AvroFormat.decode(T.self, reader.readRecord(), format: format)
        }
    }
}

extension RecordEncoding where T: Encodable {
    /// Each value written as one Avro binary datum of `schema` (fields by coding key; see `AvroBinaryWriter`
    /// for how Swift values meet the schema's types).
    public static func avro(schema: AvroSchema) -> RecordEncoding<T> {
        RecordEncoding(name: "avro") { value in try AvroFormat.encode(value, schema: schema, prefix: [], format: "avro") }
    }

    /// Confluent's wire format with the writer's schema id `schemaID` in the header.
    public static func avroConfluent(schemaID: Int32, schema: AvroSchema) -> RecordEncoding<T> {
        var header: [UInt8] = [0]
        withUnsafeBytes(of: schemaID.bigEndian) { header.append(contentsOf: $0) }
        return RecordEncoding(name: "avro-confluent") { [header] value in
            try AvroFormat.encode(value, schema: schema, prefix: header, format: "avro-confluent")
        }
    }
}

extension AvroSchema {
    /// The schemas of a local schema file for `avroConfluent(schemas:)`: a JSON object whose keys are schema
    /// ids and whose values are the schemas (`{"1": {"type": "record", ...}, "2": ...}`), as one would export
    /// them from a registry. Throws `AvroSchemaError` naming the id whose schema is wrong.
    public static func schemas(file path: String) throws -> [Int32: AvroSchema] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw AvroSchemaError(path: path, reason: "cannot read the schema file: \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw AvroSchemaError(path: path, reason: "the schema file must be a JSON object of id -> schema")
        }
        var out: [Int32: AvroSchema] = [:]
        for (key, schema) in object {
            guard let id = Int32(key) else { throw AvroSchemaError(path: key, reason: "schema id \"\(key)\" is not a 32-bit integer") }
            let text = String(decoding: try JSONSerialization.data(withJSONObject: schema, options: [.fragmentsAllowed]), as: UTF8.self)
            do { out[id] = try AvroSchema(json: text) } catch let e as AvroSchemaError {
                throw AvroSchemaError(path: "\(key)\(e.path.isEmpty ? "" : ".")\(e.path)", reason: e.reason)
            }
        }
        return out
    }
}

/// The steps the Avro formats share: datum to `T`, `T` to datum.
enum AvroFormat {
    static func decode<T: Decodable>(_ type: T.Type, _ value: AvroValue, format: String) throws -> T {
        do { return try AvroValueDecoder(value).decodeValue(T.self) } catch var e as RecordDecodingError {
            e.format = format
            throw e
        } catch let e as DecodingError {
            throw RecordDecodingError(decoding: e, format: format)
        }
    }

    static func encode<T: Encodable>(_ value: T, schema: AvroSchema, prefix: [UInt8], format: String) throws -> [UInt8] {
        var writer = AvroBinaryWriter(schema: schema, format: format, prefix: prefix)
        do { try writer.write(try AvroValueEncoder.encode(value), as: schema.root) } catch let e as EncodingError {
            throw RecordDecodingError(encoding: e, format: format)
        }
        return writer.out
    }
}
