import Foundation
import SpateFormats
import Testing

/// Records written by Python's json, fastavro and protobuf decode in Spate; what Spate writes, Python reads.
@Suite struct InteropTests {
    static func pythonWritten(_ file: String) throws -> [[UInt8]] {
        let dir = try PythonInterop.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try PythonInterop.run(["write", dir.path])
        return PythonInterop.unframe(try Data(contentsOf: dir.appendingPathComponent(file)))
    }

    @Test func jsonWrittenByPythonDecodes() throws {
        let records = try Self.pythonWritten("json.bin")
        #expect(try records.map { try RecordFormat<Click>.json.decode($0) } == Click.pythonRecords)
        // The same as Foundation's decoder reads them.
        #expect(try records.map { try JSONDecoder().decode(Click.self, from: Data($0)) } == Click.pythonRecords)
    }

    @Test func avroWrittenByFastavroDecodes() throws {
        let records = try Self.pythonWritten("avro.bin")
        #expect(try records.map { try RecordFormat<Click>.avro(schema: Click.schema).decode($0) } == Click.pythonRecords)
    }

    @Test func confluentAvroWrittenByFastavroDecodesWithTheLocalSchemaMap() throws {
        let records = try Self.pythonWritten("confluent.bin")
        let format = RecordFormat<Click>.avroConfluent(schemas: [Click.schemaID: Click.schema])
        #expect(try records.map { try format.decode($0) } == Click.pythonRecords)
    }

    @Test func protobufWrittenByPythonDecodes() throws {
        let records = try Self.pythonWritten("protobuf.bin")
        #expect(try records.map { Click(try RecordFormat<Spate_Test_Click>.protobuf.decode($0)) } == Click.pythonRecords)
    }

    @Test func pythonReadsWhatSpateWrites() throws {
        let dir = try PythonInterop.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let records = Click.pythonRecords
        let files: [(String, [[UInt8]])] = [
            ("spate-json.bin", try records.map(RecordEncoding<Click>.json.encode)),
            ("spate-avro.bin", try records.map(RecordEncoding<Click>.avro(schema: Click.schema).encode)),
            ("spate-confluent.bin", try records.map(RecordEncoding<Click>.avroConfluent(schemaID: Click.schemaID, schema: Click.schema).encode)),
            ("spate-protobuf.bin", try records.map { try RecordEncoding<Spate_Test_Click>.protobuf.encode($0.message) }),
        ]
        for (name, framed) in files { try PythonInterop.frame(framed).write(to: dir.appendingPathComponent(name)) }
        let read = try JSONDecoder().decode([String: [Click]].self, from: PythonInterop.run(["read", dir.path]))
        for format in ["json", "avro", "confluent", "protobuf"] {
            #expect(read[format] == records, "Python read back \(format)")
        }
    }

    @Test func spateReadsWhatSpateWrites() throws {
        for click in Click.pythonRecords {
            let avro = RecordFormat<Click>.avro(schema: Click.schema)
            #expect(try avro.decode(RecordEncoding<Click>.avro(schema: Click.schema).encode(click)) == click)
            #expect(try RecordFormat<Click>.json.decode(RecordEncoding<Click>.json.encode(click)) == click)
        }
    }
}
