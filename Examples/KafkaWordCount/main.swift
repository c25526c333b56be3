import Spate
import SpateKafka

// Counts words in the lines of a Kafka topic, every 2 seconds (Spark's DirectKafkaWordCount).
// Start the broker and feed it:
//   scripts/kafka.sh start && scripts/kafka.sh topic lines 4
//   echo "to be or not to be" | kcat -b 127.0.0.1:9092 -t lines -P
//   swift run KafkaWordCount [brokers] [topics, comma-separated]
// `valueText` views each record's value as UTF-8 bytes and `wordKeys` makes a `TextKey` per word (the fast
// text form): no String is built per record or word.
let arguments = CommandLine.arguments
let brokers = arguments.count > 1 ? arguments[1] : "127.0.0.1:9092"
let topics = (arguments.count > 2 ? arguments[2] : "lines").split(separator: ",").map(String.init)

let ssc = StreamingContext(batchInterval: .seconds(2))
let records = ssc.kafkaStream(
    brokers: brokers, topics: topics, groupID: "kafka-word-count",
    options: KafkaStreamOptions(startingOffsets: .committed, commitOffsets: .afterOutputs))
let counts = records
    .flatMap { $0.valueText.wordKeys }
    .map { ($0, 1) }
    .reduceByKey(+)
counts.print()
try await ssc.start()
try await ssc.awaitTermination()
