import Foundation
import Spate
import SpateKinesis

// Counts words in the records of a Kinesis stream, every 2 seconds (Spark's KinesisWordCountASL).
// Against the local emulator (moto, scripts/kinesis.sh) with any credentials:
//   scripts/kinesis.sh start
//   export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1
//   aws --endpoint-url http://127.0.0.1:4567 kinesis create-stream --stream-name lines --shard-count 2
//   aws --endpoint-url http://127.0.0.1:4567 kinesis put-record --stream-name lines --partition-key a \
//       --cli-binary-format raw-in-base64-out --data "to be or not to be"
//   swift run KinesisWordCount [stream] [endpoint, or "aws" for AWS's regional endpoint]
// Against AWS: real credentials in the environment and `aws` as the endpoint.
let arguments = CommandLine.arguments
let stream = arguments.count > 1 ? arguments[1] : "lines"
let endpointArgument = arguments.count > 2 ? arguments[2] : "http://127.0.0.1:4567"
let endpoint: String? = endpointArgument == "aws" ? nil : endpointArgument

let ssc = StreamingContext(batchInterval: .seconds(2))
let records = ssc.kinesisStream(
    stream: stream, region: AWSCredentials.region() ?? "us-east-1", endpoint: endpoint,
    initialPosition: .trimHorizon, application: "kinesis-word-count")
let counts = records
    .flatMap { $0.dataString.split(separator: " ").map(String.init) }
    .map { ($0, 1) }
    .reduceByKey(+)
counts.print()
ssc.stopGracefullyOnSignals()
try await ssc.start()
try await ssc.awaitTermination()
