// A Kinesis -> PostgreSQL pipeline for SpateKinesisTests' kill -9 tests: it counts a stream's records per
// partition key into a table, the shards' sequence numbers stored with the counts in each batch's transaction,
// and resumes from them. `leases` makes it one process of an application sharing the shards through DynamoDB
// leases (3 s lease duration).
// Usage: KinesisProbe <endpoint> <stream> <postgres> <table> <application> [leases]
import Foundation
import Spate
import SpateKinesis
import SpatePostgres

let args = CommandLine.arguments
guard args.count >= 6 else {
    FileHandle.standardError.write(Data("usage: KinesisProbe endpoint stream postgres table application [leases]\n".utf8))
    exit(2)
}
let (endpoint, stream, postgres, table, application) = (args[1], args[2], args[3], args[4], args[5])
let leases = args.count > 6 && args[6] == "leases"

let ssc = StreamingContext(batchInterval: .milliseconds(200))
let kinesis = ssc.directKinesisStream(
    stream: stream, region: "us-east-1", endpoint: endpoint, initialPosition: .trimHorizon, application: application,
    options: KinesisStreamOptions(
        maxRecordsPerShard: 200, storedPositions: PostgresOffsetStore(connection: postgres, table: table),
        assignment: leases ? .leases(leaseDuration: .seconds(3)) : .allShards,
        credentials: AWSCredentials(accessKeyID: "probe", secretAccessKey: "probe"), shardSyncInterval: .milliseconds(500)))
try kinesis.records.map { ($0.partitionKey, 1) }.reduceByKey(+)
    .saveToPostgres(connection: postgres, table: table, mode: .accumulate, offsets: kinesis.batchOffsets)
ssc.stopGracefullyOnSignals()
try await ssc.start()
try await ssc.awaitTermination()
