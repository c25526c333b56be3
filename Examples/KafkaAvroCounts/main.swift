import Foundation
import Spate
import SpateFormats
import SpateKafka
import SpateKafkaFormats

// Counts page views per page over the last 30 seconds, every 5 seconds, from Avro records in Kafka, and writes
// the counts as Avro to another topic, exactly once (one Kafka transaction per batch with its consumed offsets) (Confluent wire format both ways; the schemas come from the map below:
// no schema registry server runs here, so the ids are agreed between producer and pipeline).
// Records that are not Click datums go to the topic `clicks-dead`, with the reason in the header spate.error.
//   scripts/kafka.sh start && scripts/kafka.sh topic clicks 4 && scripts/kafka.sh topic page-counts 1
//   scripts/kafka.sh topic clicks-dead 1
//   swift run KafkaAvroCounts [brokers] [input topic] [output topic]
let arguments = CommandLine.arguments
let brokers = arguments.count > 1 ? arguments[1] : "127.0.0.1:9092"
let input = arguments.count > 2 ? arguments[2] : "clicks"
let output = arguments.count > 3 ? arguments[3] : "page-counts"

/// A page view as the producers write it (schema id 1).
struct Click: Codable, Sendable {
    var page: String
    var user: String
    var timestampMs: Int64
}

/// The count of one page's views in the window ending at `windowEndMs` (schema id 2).
struct PageCount: Codable, Sendable {
    var page: String
    var windowEndMs: Int64
    var views: Int64
}

let clickSchema = try AvroSchema(json: """
    {"type": "record", "name": "Click", "namespace": "spate.example", "fields": [
      {"name": "page", "type": "string"}, {"name": "user", "type": "string"}, {"name": "timestampMs", "type": "long"}]}
    """)
let countSchema = try AvroSchema(json: """
    {"type": "record", "name": "PageCount", "namespace": "spate.example", "fields": [
      {"name": "page", "type": "string"}, {"name": "windowEndMs", "type": "long"}, {"name": "views", "type": "long"}]}
    """)

/// The pipeline; `StreamingContext.getOrCreate` rebuilds it from the checkpoint after a crash, so the window's
/// earlier batches come back and the exactly-once sink finds the replayed batches already committed.
@Sendable func build() throws -> StreamingContext {
    let ssc = StreamingContext(batchInterval: .seconds(5))
    let kafka = ssc.directKafkaStream(
        brokers: brokers, topics: [input], groupID: "kafka-avro-counts",
        options: KafkaStreamOptions(startingOffsets: .committed, deadLetterTopic: "\(input)-dead"))
    let counts = try kafka.decoded(as: Click.self, .avroConfluent(schemas: [1: clickSchema]))
        .map { ($0.page, Int64(1)) }
        .reduceByKeyAndWindow(+, length: .seconds(30), slide: .seconds(5))
        .transform { batch, time in batch.map { PageCount(page: $0.0, windowEndMs: Int64(time.milliseconds), views: $0.1) } }
    // One Kafka transaction per batch: the counts and the consumed offsets commit together (read them with
    // isolation.level=read_committed).
    counts.saveToKafka(
        topic: output, brokers: brokers, encoding: .avroConfluent(schemaID: 2, schema: countSchema),
        key: { Array($0.page.utf8) }, delivery: .exactlyOnce(transactionalID: "kafka-avro-counts"),
        consumed: kafka.batchOffsets)
    return ssc
}

let checkpointDirectory = URL(fileURLWithPath: "kafka-avro-counts-checkpoint")
let ssc = try StreamingContext.getOrCreate(checkpoint: checkpointDirectory, create: build)
try await ssc.start()
try await ssc.awaitTermination()
