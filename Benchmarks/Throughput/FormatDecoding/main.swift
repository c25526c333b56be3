import Foundation
import SpateFormats

// Decode throughput per format (JSON, Avro, Confluent-framed Avro, Protobuf): Spate's decoder beside a decoder written by hand for the same record (and, for
// JSON, Foundation's JSONDecoder), over the same 100,000 records, one thread. Prints records/s and MB/s.
//   cd Benchmarks && swift run -c release FormatDecoding [records] [rounds]
let arguments = CommandLine.arguments
let count = arguments.count > 1 ? Int(arguments[1])! : 100_000
let rounds = arguments.count > 2 ? Int(arguments[2])! : 5

let schema = try AvroSchema(json: """
    {"type": "record", "name": "Click", "namespace": "spate.test", "fields": [
      {"name": "page", "type": "string"}, {"name": "user_id", "type": "long"}, {"name": "amount", "type": "double"},
      {"name": "tags", "type": {"type": "array", "items": "string"}},
      {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["VIEW", "BUY"]}},
      {"name": "referrer", "type": ["null", "string"]}, {"name": "counts", "type": {"type": "map", "values": "int"}}]}
    """)

/// Records like a click stream's: a path, an id, an amount, a few tags, sometimes a referrer, a small map.
func click(_ i: Int) -> Click {
    let tags: [String] = (0..<(i % 4)).map { "tag\($0)" }
    let kind: Click.Kind = i % 3 == 0 ? .BUY : .VIEW
    let referrer: String? = i % 2 == 0 ? "https://search.example/?q=\(i % 101)" : nil
    let counts: [String: Int32] = ["views": Int32(i % 50), "carts": 1]
    return Click(page: "/products/\(i % 977)/detail", userID: Int64(i) * 7919, amount: Double(i % 1000) / 8,
                 tags: tags, kind: kind, referrer: referrer, counts: counts)
}
let clicks: [Click] = (0..<count).map(click)

struct Row { let format: String; let decoder: String; let seconds: Double; let bytes: Int }
var rows: [Row] = []

/// The best of `rounds` passes of `decode` over `records` (every record decoded; the checksum keeps the
/// optimizer from dropping the work).
@MainActor
func measure(_ format: String, _ decoder: String, _ records: [[UInt8]], _ decode: ([UInt8]) throws -> Click) throws {
    var best = Double.infinity, check = 0
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        for r in records { check &+= try decode(r).page.utf8.count }
        let d = ContinuousClock.now - start
        let seconds: Double = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        best = min(best, seconds)
    }
    precondition(check > 0)
    rows.append(Row(format: format, decoder: decoder, seconds: best, bytes: records.reduce(0) { $0 + $1.count }))
}

let json = try clicks.map(RecordEncoding<Click>.json.encode)
let avro = try clicks.map(RecordEncoding<Click>.avro(schema: schema).encode)
let confluent = try clicks.map(RecordEncoding<Click>.avroConfluent(schemaID: 42, schema: schema).encode)
let proto = try clicks.map { try RecordEncoding<Spate_Test_Click>.protobuf.encode($0.message) }
let jsonFormat = RecordFormat<Click>.json, avroFormat = RecordFormat<Click>.avro(schema: schema)
let confluentFormat = RecordFormat<Click>.avroConfluent(schemas: [42: schema])
let protoFormat = RecordFormat<Spate_Test_Click>.protobuf
// Every decoder reads the records back as they were written.
for (i, c) in clicks.enumerated().prefix(1000) {
    let decoded: [Click] = [
        try jsonFormat.decode(json[i]), try json[i].withUnsafeBytes(HandDecoders.json),
        try avroFormat.decode(avro[i]), try avro[i].withUnsafeBytes(HandDecoders.avro),
        try confluentFormat.decode(confluent[i]), try confluent[i].withUnsafeBytes(HandDecoders.avroConfluent),
        Click(try protoFormat.decode(proto[i])), try proto[i].withUnsafeBytes(HandDecoders.protobuf),
    ]
    precondition(decoded.allSatisfy { $0 == c }, "record \(i) does not decode back")
}

let decoder = JSONDecoder()
try measure("json", "Spate .json", json) { try jsonFormat.decode($0) }
try measure("json", "Foundation JSONDecoder", json) { try decoder.decode(Click.self, from: Data($0)) }
try measure("json", "hand-written", json) { try $0.withUnsafeBytes(HandDecoders.json) }
try measure("avro", "Spate .avro(schema:)", avro) { try avroFormat.decode($0) }
try measure("avro", "hand-written", avro) { try $0.withUnsafeBytes(HandDecoders.avro) }
try measure("avro-cf", "Spate .avroConfluent", confluent) { try confluentFormat.decode($0) }
try measure("avro-cf", "hand-written", confluent) { try $0.withUnsafeBytes(HandDecoders.avroConfluent) }
try measure("protobuf", "Spate .protobuf", proto) { try Click(protoFormat.decode($0)) }
try measure("protobuf", "hand-written", proto) { try $0.withUnsafeBytes(HandDecoders.protobuf) }

print("\(count) records, best of \(rounds) rounds, one thread")
print("format    decoder                    records/s     MB/s   bytes/record")
for r in rows {
    let perSecond: Double = Double(count) / r.seconds
    let mb: Double = Double(r.bytes) / r.seconds / 1e6
    let size: Double = Double(r.bytes) / Double(count)
    let name: String = r.format.padding(toLength: 10, withPad: " ", startingAt: 0)
    let decoder: String = r.decoder.padding(toLength: 25, withPad: " ", startingAt: 0)
    print(name + decoder + String(format: "%12.0f %8.1f %12.1f", perSecond, mb, size))
}
