import CRdKafka
import Spate
import Synchronization

/// What the group coordinator assigned to this process, written by librdkafka's rebalance callback.
final class GroupAssignment: Sendable {
    struct Snapshot: Sendable, Equatable {
        /// Bumped on every assignment or revocation.
        var generation = 0
        var partitions: [KafkaTopicPartition] = []
    }

    let state = Mutex(Snapshot())

    func assign(_ partitions: [KafkaTopicPartition]) {
        state.withLock { s in
            s.generation += 1
            s.partitions = partitions.sorted()
        }
    }

    func revoke() {
        state.withLock { s in
            s.generation += 1
            s.partitions = []
        }
    }
}

/// librdkafka's rebalance callback (eager protocol): takes the assignment, pauses it (the member never reads;
/// the stream's fetcher reads exact offset ranges), and records it for the stream.
private func groupRebalance(
    _ rk: OpaquePointer?, _ err: rd_kafka_resp_err_t,
    _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, _ opaque: UnsafeMutableRawPointer?
) {
    guard let rk, let opaque else { return }
    let assignment = Unmanaged<GroupAssignment>.fromOpaque(opaque).takeUnretainedValue()
    if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS, let partitions {
        rd_kafka_assign(rk, partitions)
        rd_kafka_pause_partitions(rk, partitions)
        var list: [KafkaTopicPartition] = []
        for i in 0..<Int(partitions.pointee.cnt) {
            let e = partitions.pointee.elems[i]
            list.append(KafkaTopicPartition(topic: String(cString: e.topic), partition: Int(e.partition)))
        }
        assignment.assign(list)
    } else {
        rd_kafka_assign(rk, nil)
        assignment.revoke()
    }
}

/// A consumer-group member: it subscribes to the topics, so the group coordinator splits the partitions
/// between the processes that use the same group id and moves them when one joins or leaves (Spark's
/// `Subscribe` consumer strategy). It only holds the assignment and commits offsets; reading happens in the
/// stream's `RdKafkaConsumer`, by manual assignment of exact ranges.
///
/// Sendable without `@unchecked`: the handle lives in a `Mutex` and every librdkafka call runs within its lock
/// (the rebalance callback runs inside `rd_kafka_consumer_poll`, on the thread holding the lock); the
/// `GroupAssignment` it writes to is itself a `Mutex`.
///
/// `close()` (on the blocking pool, from the stream's stop) leaves the group and frees the handle; `deinit`
/// does both on a thread of its own for a member nobody closed.
final class RdKafkaGroupMember: Sendable {
    /// The handle; nil once the member left the group.
    private let handle: Mutex<OpaquePointer?>
    let assignment: GroupAssignment
    let brokers: String

    init(brokers: String, groupID: String, settings: [String: String]) throws {
        let all = RdKafkaHandle.consumerSettings(
            brokers: brokers, clientID: "spate-\(groupID)-member", groupID: groupID, settings: settings,
            extra: ["partition.assignment.strategy": "range"])
        let assignment = GroupAssignment()
        let opaque = Unmanaged.passUnretained(assignment).toOpaque()
        let h = try RdKafkaHandle.make(RD_KAFKA_CONSUMER, settings: all) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, groupRebalance)
            rd_kafka_conf_set_opaque(conf, opaque)
        }
        rd_kafka_poll_set_consumer(h)
        self.assignment = assignment
        self.handle = Mutex(h)
        self.brokers = brokers
    }

    deinit {
        if let h = handle.withLock({ h in defer { h = nil }; return h }) {
            RdKafkaHandle.releaseOnOwnThread(h, closeConsumer: true, flushMs: 0, keepAlive: assignment)
        }
    }

    /// Leaves the group at once, so the others rebalance now instead of after the session timeout, and frees
    /// the handle. Idempotent.
    func close() {
        BlockingIO.assertBlockingAllowed("rd_kafka_consumer_close (group member)")
        handle.withLock { h in
            guard let open = h else { return }
            rd_kafka_consumer_close(open)
            rd_kafka_destroy(open)
            h = nil
        }
    }

    /// Joins the group for `topics`.
    func subscribe(_ topics: [String]) throws {
        try handle.withLock { h in
            guard let h else { throw Self.closedError("subscribe") }
            let list = RdKafkaConsumer.list(topics.map { (KafkaTopicPartition(topic: $0, partition: -1), Int64(RD_KAFKA_OFFSET_INVALID)) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_subscribe(h, list)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError.client(operation: "subscribe to \(topics)", reason: RdKafkaHandle.describe(err))
            }
        }
    }

    /// Serves the group protocol (joins, rebalance callbacks) for up to `timeoutMs`; returns the assignment.
    @discardableResult
    func poll(timeoutMs: Int32 = 0) -> GroupAssignment.Snapshot {
        BlockingIO.assertBlockingAllowed("rd_kafka_consumer_poll (group member)")
        handle.withLock { h in
            guard let h else { return }
            var wait = timeoutMs
            // Paused partitions deliver no records; anything that still arrives (errors, a record fetched
            // before the pause) is dropped: the fetcher reads the ranges.
            while let msg = rd_kafka_consumer_poll(h, wait) {
                rd_kafka_message_destroy(msg)
                wait = 0
            }
        }
        return assignment.state.withLock { $0 }
    }

    /// Commits `offsets` for the group as this member, synchronously.
    func commit(_ offsets: [KafkaTopicPartition: Int64]) throws {
        BlockingIO.assertBlockingAllowed("rd_kafka_commit (group member)")
        try handle.withLock { h in
            guard let h else { throw Self.closedError("offset commit") }
            try RdKafkaConsumer.commit(offsets, on: h)
        }
    }

    private static func closedError(_ operation: String) -> KafkaError {
        .client(operation: operation, reason: "the group member left its group (its stream stopped)")
    }
}
