import Foundation
import SpateFormats
import Testing

/// Malformed input of each format fails with a `RecordDecodingError` that says where (offset, field) and why.
@Suite struct MalformedInputTests {
    static func error<T>(_ format: RecordFormat<T>, _ bytes: [UInt8]) -> RecordDecodingError? {
        do {
            _ = try format.decode(bytes)
            return nil
        } catch let e as RecordDecodingError {
            return e
        } catch {
            Issue.record("not a RecordDecodingError: \(error)")
            return nil
        }
    }

    static let avro = RecordFormat<Click>.avro(schema: Click.schema)
    static var good: [UInt8] { try! RecordEncoding<Click>.avro(schema: Click.schema).encode(Click.pythonRecords[1]) }

    @Test func avroTruncatedVarint() throws {
        // page "/home": length 5 zigzag = 0x0a, then user_id's varint cut after a continuation byte.
        let e = try #require(Self.error(Self.avro, [0x0A] + Array("/home".utf8) + [0x80]))
        #expect(e.description == "avro: at byte 6, field user_id: truncated varint")
    }

    @Test func avroVarintTooLong() throws {
        let e = try #require(Self.error(Self.avro, [0x0A] + Array("/home".utf8) + Array(repeating: 0xFF, count: 11)))
        #expect(e.reason == "varint longer than 10 bytes" && e.offset == 6 && e.path == "user_id")
    }

    @Test func avroBadUnionBranch() throws {
        // Everything up to referrer from a good record, then union index 5 (zigzag 10).
        var bytes = Self.good
        let referrer = bytes.count - 1 - (1 + 1 + "https://e.x/?q=1".utf8.count)   // counts' 0, union 2, len, text
        bytes.replaceSubrange(referrer..., with: [10])
        let e = try #require(Self.error(Self.avro, bytes))
        #expect(e.path == "referrer" && e.offset == referrer)
        #expect(e.reason == "union branch 5 out of range (the schema has 2 branches)")
    }

    @Test func avroBadEnumAndLength() throws {
        let schema = try AvroSchema(json: #"{"type":"record","name":"R","fields":[{"name":"k","type":{"type":"enum","name":"K","symbols":["A"]}},{"name":"s","type":"string"}]}"#)
        struct R: Codable { var k: String; var s: String }
        let format = RecordFormat<R>.avro(schema: schema)
        #expect(Self.error(format, [0x04, 0x00])?.description == "avro: at byte 0, field k: enum K index 2 out of range (the schema has 1 symbols)")
        #expect(Self.error(format, [0x00, 0x7E, 0x61])?.description == "avro: at byte 1, field s: length 63 runs past the end of the 3-byte record")
        #expect(Self.error(format, [0x00, 0x02, 0xFF])?.reason == "string is not valid UTF-8")
        #expect(Self.error(format, [0x00, 0x00, 0x00])?.reason == "1 bytes left over after the datum (wrong schema or concatenated records?)")
    }

    @Test func avroHugeBlockCountIsAnErrorNotAnAllocation() throws {
        let schema = try AvroSchema(json: #"{"type":"array","items":"null"}"#)
        let e = try #require(Self.error(RecordFormat<[Int?]>.avro(schema: schema), [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]))
        #expect(e.reason.hasPrefix("block of 2147483647 items cannot fit"))
    }

    @Test func avroWrongSwiftType() throws {
        struct Wrong: Codable { var page: Int }
        let e = try #require(Self.error(RecordFormat<Wrong>.avro(schema: Click.schema), Self.good))
        #expect(e.description == "avro: field page: expected an integer, found a string")
    }

    @Test func confluentHeaderAndUnknownID() throws {
        let format = RecordFormat<Click>.avroConfluent(schemas: [Click.schemaID: Click.schema])
        #expect(Self.error(format, [1, 0, 0, 0, 42] + Self.good)?.reason == "magic byte 1, expected 0")
        #expect(Self.error(format, [0, 0, 0])?.reason == "3 bytes: shorter than the 5-byte header")
        #expect(Self.error(format, [0, 0, 0, 0, 7] + Self.good)?.reason == "schema id 7 is not in the local schema map (known: 42)")
    }

    @Test func jsonWrongTypesAndSyntax() throws {
        let json = RecordFormat<Click>.json
        let wrongType = #"{"page": 3, "user_id": 1, "amount": 1, "tags": [], "kind": "VIEW", "counts": {}}"#
        #expect(Self.error(json, Array(wrongType.utf8))?.description == "json: at byte 9, field page: expected a string, found the number 3")
        let badTag = #"{"page": "p", "user_id": 1, "amount": 1, "tags": ["a", null], "kind": "VIEW", "counts": {}}"#
        #expect(Self.error(json, Array(badTag.utf8))?.path == "tags[1]")
        let badEnum = #"{"page": "p", "user_id": 1, "amount": 1, "tags": [], "kind": "CLICK", "counts": {}}"#
        #expect(Self.error(json, Array(badEnum.utf8))?.path == "kind")
        let tooBig = #"{"page": "p", "user_id": 1, "amount": 1, "tags": [], "kind": "VIEW", "counts": {"a": 3000000000}}"#
        #expect(Self.error(json, Array(tooBig.utf8))?.description == "json: at byte 85, field counts.a: 3000000000 does not fit in Int32")
        #expect(Self.error(json, Array(#"{"page": "p""#.utf8))?.description == "json: at byte 12: container not closed before the end of input")
        #expect(Self.error(json, Array(#"{"page": "p\q"}"#.utf8))?.reason == "unknown escape '\\q'")
        #expect(Self.error(json, Array(#"{"page": "p"} x"#.utf8))?.reason == "unexpected byte 'x' after the value")
        let missing = #"{"page": "p"}"#
        #expect(Self.error(json, Array(missing.utf8))?.reason == "missing member \"user_id\"")
        #expect(Self.error(json, Array(repeating: UInt8(ascii: "["), count: 100_000))?.reason == "nesting deeper than 512 levels")
    }

    @Test func protobufMalformed() throws {
        let format = RecordFormat<Spate_Test_Click>.protobuf
        // Field 1 (page), length 5, one byte present: truncated.
        let e = try #require(Self.error(format, [0x0A, 0x05, 0x61]))
        #expect(e.format == "protobuf" && e.reason.contains("truncated"))
        // Field 2 (user_id, varint) with a varint that never ends.
        #expect(Self.error(format, [0x10] + Array(repeating: 0xFF, count: 11)) != nil)
        // Wire type 7 does not exist.
        #expect(Self.error(format, [0x0F])?.reason.contains("malformed") == true)
    }

    @Test func encodingAValueTheSchemaCannotTakeSaysWhichField() throws {
        struct Bad: Codable { var page: String; var user_id: Int64; var amount: Double; var tags: [String]; var kind: String; var counts: [String: Int32] }
        let bad = Bad(page: "p", user_id: 1, amount: 1, tags: [], kind: "CLICK", counts: [:])
        #expect(throws: RecordDecodingError(format: "avro", path: "kind", reason: "\"CLICK\" is not a symbol of enum spate.test.Kind (VIEW, BUY)")) {
            try RecordEncoding<Bad>.avro(schema: Click.schema).encode(bad)
        }
    }

    @Test func schemaErrorsSayWhere() throws {
        #expect(throws: AvroSchemaError(path: ".fields[0].type", reason: "unknown type \"Nope\" (define a named type before using it)")) {
            try AvroSchema(json: #"{"type":"record","name":"R","fields":[{"name":"a","type":"Nope"}]}"#)
        }
    }
}
