import CRdKafka
import Foundation

// Hosts librdkafka's mock cluster (its own Kafka protocol implementation, group coordinator included) in a
// process of its own, for the one test the real broker cannot serve: noida-db never evicts a group member
// that died without leaving, while this coordinator does after the member's session timeout.
//
// Usage: KafkaMockCluster <topic> <partitions>. Prints the bootstrap address on the first line, then serves
// until its standard input closes (so it never outlives the test that started it).
let args = CommandLine.arguments
guard args.count == 3, let partitions = Int32(args[2]) else {
    FileHandle.standardError.write(Data("usage: KafkaMockCluster <topic> <partitions>\n".utf8))
    exit(2)
}
var errstr = [CChar](repeating: 0, count: 512)
let conf = rd_kafka_conf_new()
guard rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", &errstr, errstr.count) == RD_KAFKA_CONF_OK,
      let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count),
      let cluster = rd_kafka_handle_mock_cluster(rk)
else {
    FileHandle.standardError.write(Data("cannot create the mock cluster\n".utf8))
    exit(1)
}
guard rd_kafka_mock_topic_create(cluster, args[1], partitions, 1) == RD_KAFKA_RESP_ERR_NO_ERROR else {
    FileHandle.standardError.write(Data("cannot create topic \(args[1])\n".utf8))
    exit(1)
}
FileHandle.standardOutput.write(Data((String(cString: rd_kafka_mock_cluster_bootstraps(cluster)) + "\n").utf8))
while !FileHandle.standardInput.availableData.isEmpty {}
rd_kafka_destroy(rk)
exit(0)
