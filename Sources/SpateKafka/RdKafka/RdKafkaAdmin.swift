import CRdKafka
import Spate

/// The Admin API on a producer handle: topics created and deleted, records deleted up to an offset (what
/// retention does).
extension RdKafkaProducer {
    /// Creates `topic` with `partitions` partitions (an existing topic is fine) through the Admin API.
    func createTopic(_ topic: String, partitions: Int, replicationFactor: Int, timeoutMs: Int32) throws {
        guard let count = Int32(exactly: partitions), count > 0, let replicas = Int32(exactly: replicationFactor),
              replicas > 0 else {
            throw KafkaError.client(
                operation: "create topic \(topic)",
                reason: "\(partitions) partitions with replication factor \(replicationFactor): both must be positive "
                    + "(and at most \(Int32.max))")
        }
        var errstr = [CChar](repeating: 0, count: 512)
        guard let newTopic = rd_kafka_NewTopic_new(topic, count, replicas, &errstr, errstr.count) else {
            throw KafkaError.client(operation: "create topic \(topic)", reason: RdKafkaHandle.string(errstr))
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        try admin("create topic \(topic)", RD_KAFKA_ADMIN_OP_CREATETOPICS, timeoutMs: timeoutMs, tolerate: RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) { h, options, queue in
            var topics: [OpaquePointer?] = [newTopic]
            rd_kafka_CreateTopics(h, &topics, 1, options, queue)
        } results: { event in
            var count = 0
            let list = rd_kafka_event_CreateTopics_result(event).flatMap { rd_kafka_CreateTopics_result_topics($0, &count) }
            return Self.topicErrors(list, count)
        }
    }

    func deleteTopic(_ topic: String, timeoutMs: Int32) throws {
        guard let deleted = rd_kafka_DeleteTopic_new(topic) else {
            throw KafkaError.client(operation: "delete topic \(topic)", reason: "rd_kafka_DeleteTopic_new returned nil")
        }
        defer { rd_kafka_DeleteTopic_destroy(deleted) }
        try admin("delete topic \(topic)", RD_KAFKA_ADMIN_OP_DELETETOPICS, timeoutMs: timeoutMs, tolerate: RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) { h, options, queue in
            var topics: [OpaquePointer?] = [deleted]
            rd_kafka_DeleteTopics(h, &topics, 1, options, queue)
        } results: { event in
            var count = 0
            let list = rd_kafka_event_DeleteTopics_result(event).flatMap { rd_kafka_DeleteTopics_result_topics($0, &count) }
            return Self.topicErrors(list, count)
        }
    }

    /// Deletes every record before `offsets[partition]` in each partition (DeleteRecords, as retention does):
    /// the partitions' log start offsets move there.
    func deleteRecords(_ offsets: [KafkaTopicPartition: Int64], timeoutMs: Int32) throws {
        guard !offsets.isEmpty else { return }
        let list = RdKafkaConsumer.list(offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard let request = rd_kafka_DeleteRecords_new(list) else {
            throw KafkaError.client(operation: "delete records", reason: "rd_kafka_DeleteRecords_new returned nil")
        }
        defer { rd_kafka_DeleteRecords_destroy(request) }
        try admin("delete records", RD_KAFKA_ADMIN_OP_DELETERECORDS, timeoutMs: timeoutMs, tolerate: RD_KAFKA_RESP_ERR_NO_ERROR) { h, options, queue in
            var requests: [OpaquePointer?] = [request]
            rd_kafka_DeleteRecords(h, &requests, 1, options, queue)
        } results: { event in
            guard let result = rd_kafka_event_DeleteRecords_result(event),
                  let partitions = rd_kafka_DeleteRecords_result_offsets(result) else { return [] }
            return (0..<Int(partitions.pointee.cnt)).map { i in (partitions.pointee.elems[i].err, nil) }
        }
    }

    /// The per-topic errors of a CreateTopics or DeleteTopics result.
    private static func topicErrors(
        _ list: UnsafeMutablePointer<OpaquePointer?>?, _ count: Int
    ) -> [(rd_kafka_resp_err_t, String?)] {
        guard let list else { return [] }
        return (0..<count).map { i in
            (rd_kafka_topic_result_error(list[i]), rd_kafka_topic_result_error_string(list[i]).map { String(cString: $0) })
        }
    }

    /// Runs one Admin API request (`send` issues it on the queue) and checks its per-topic or per-partition
    /// results (`results`: each one's error code and message); the error `tolerate` counts as success (a topic
    /// that exists already, or is gone already).
    private func admin(
        _ operation: String, _ op: rd_kafka_admin_op_t, timeoutMs: Int32, tolerate: rd_kafka_resp_err_t,
        send: (OpaquePointer, OpaquePointer?, OpaquePointer?) -> Void,
        results: (OpaquePointer) -> [(rd_kafka_resp_err_t, String?)]
    ) throws {
        // librdkafka takes request timeouts up to one hour; the poll waits a second longer than the request.
        let timeoutMs = Swift.min(Swift.max(timeoutMs, 0), 3_600_000)
        try withHandle(operation) { h in
            var errstr = [CChar](repeating: 0, count: 512)
            let queue = rd_kafka_queue_new(h)
            defer { rd_kafka_queue_destroy(queue) }
            let options = rd_kafka_AdminOptions_new(h, op)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, &errstr, errstr.count)
            send(h, options, queue)
            guard let event = rd_kafka_queue_poll(queue, timeoutMs + 1000) else {
                throw KafkaError.brokerUnavailable(brokers: brokers, reason: "\(operation) timed out")
            }
            defer { rd_kafka_event_destroy(event) }
            let err = rd_kafka_event_error(event)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError.client(operation: operation, reason: String(cString: rd_kafka_event_error_string(event)))
            }
            for (code, message) in results(event) where code != RD_KAFKA_RESP_ERR_NO_ERROR && code != tolerate {
                throw KafkaError.client(operation: operation, reason: message ?? RdKafkaHandle.describe(code))
            }
        }
    }
}
