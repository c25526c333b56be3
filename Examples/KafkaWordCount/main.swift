import Spate
import SpateKafka

// Counts words in the lines of a Kafka topic, every 2 seconds (Spark's DirectKafkaWordCount).
// Start the broker and feed it:
//   scripts/kafka.sh start && scripts/kafka.sh topic lines 4
//   echo "to be or not to be" | kcat -b 127.0.0.1:9092 -t lines -P
//   swift run KafkaWordCount [brokers] [topics, comma-separated]
let arguments = CommandLine.arguments
let brokers = arguments.count > 1 ? arguments[1] : "127.0.0.1:9092"
let topics = (arguments.count > 2 ? arguments[2] : "lines").split(separator: ",").map(String.init)

let ssc = StreamingContext(batchInterval: .seconds(2))
let lines = ssc.kafkaStream(
    brokers: brokers, topics: topics, groupID: "kafka-word-count",
    options: KafkaStreamOptions(startingOffsets: .committed, commitOffsets: .afterOutputs))
    .map { $0.valueString ?? "" }
let counts = lines
    .flatMap { $0.split(separator: " ").map(String.init) }
    .map { ($0, 1) }
    .reduceByKey(+)
counts.print()
try await ssc.start()
try await ssc.awaitTermination()
