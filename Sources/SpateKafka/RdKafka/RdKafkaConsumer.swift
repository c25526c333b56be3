import CRdKafka
import Spate
import Synchronization

/// A librdkafka consumer used as a fetcher: metadata, watermarks, reading exact offset ranges by manual
/// assignment, and the consumer group's committed offsets. It never subscribes, so it never joins a
/// rebalance; the group id only names where offsets are committed.
///
/// Sendable without `@unchecked`: the `rd_kafka_t` pointer lives inside a `Mutex`, and every librdkafka call
/// on it runs within `withLock`, so calls are serialized and the pointer never escapes the lock.
///
/// `close()` (on the blocking pool, from the stream's stop) frees the handle; calls after it fail. `deinit`
/// frees a handle nobody closed on a thread of its own.
final class RdKafkaConsumer: Sendable {
    /// The handle; nil once closed.
    private let handle: Mutex<OpaquePointer?>
    let brokers: String

    /// A fetcher for `groupID`; `settings` override Spate's, `isolation.level` included (Spate reads
    /// `read_committed`, as Spark's and Kafka Streams' exactly-once pipelines do: records of aborted or still
    /// open transactions are never read).
    init(brokers: String, groupID: String, settings: [String: String]) throws {
        var all = RdKafkaHandle.consumerSettings(
            brokers: brokers, clientID: "spate-\(groupID)", groupID: groupID, settings: settings,
            extra: ["auto.offset.reset": "earliest", "fetch.wait.max.ms": "50", "isolation.level": "read_committed"])
        // The fetcher never joins the group; a static member identity belongs to the group member only.
        all["group.instance.id"] = nil
        let h = try RdKafkaHandle.make(RD_KAFKA_CONSUMER, settings: all)
        // Route all events to the consumer queue so rd_kafka_consumer_poll serves them.
        rd_kafka_poll_set_consumer(h)
        handle = Mutex(h)
        self.brokers = brokers
    }

    deinit {
        if let h = handle.withLock({ h in defer { h = nil }; return h }) {
            RdKafkaHandle.releaseOnOwnThread(h, closeConsumer: true, flushMs: 0)
        }
    }

    /// Closes and frees the handle now, on the calling (blocking) thread; later calls fail. Idempotent.
    func close() {
        BlockingIO.assertBlockingAllowed("rd_kafka_consumer_close")
        handle.withLock { h in
            guard let open = h else { return }
            rd_kafka_consumer_close(open)
            rd_kafka_destroy(open)
            h = nil
        }
    }

    /// Whether `close()` ran.
    var isClosed: Bool { handle.withLock { $0 == nil } }

    /// Runs `body` with the open handle under its lock; throws when the consumer was closed.
    private func withHandle<R: Sendable>(_ operation: String, _ body: (OpaquePointer) throws -> R) throws -> R {
        try handle.withLock { h in
            guard let h else { throw Self.closedError(operation) }
            return try body(h)
        }
    }

    private static func closedError(_ operation: String) -> KafkaError {
        .client(operation: operation, reason: "the consumer is closed (its stream stopped)")
    }

    /// The number of partitions of each topic in `topics` (absent topics are missing from the result).
    func partitionCounts(of topics: [String], timeoutMs: Int32) throws -> [String: Int] {
        BlockingIO.assertBlockingAllowed("rd_kafka_metadata")
        return try withHandle("metadata") { h in
            var md: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(h, 1, nil, &md, timeoutMs)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let md else {
                throw KafkaError.brokerUnavailable(brokers: brokers, reason: RdKafkaHandle.describe(err))
            }
            defer { rd_kafka_metadata_destroy(md) }
            let wanted = Set(topics)
            var counts: [String: Int] = [:]
            for i in 0..<Int(md.pointee.topic_cnt) {
                let t = md.pointee.topics[i]
                let name = String(cString: t.topic)
                guard wanted.contains(name), t.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
                counts[name] = Int(t.partition_cnt)
            }
            return counts
        }
    }

    /// The first offset (`latest: false`) or the high watermark (`latest: true`) of every partition, in one
    /// ListOffsets round trip. (`rd_kafka_offsets_for_times` honours its timeout when the broker is down;
    /// librdkafka 2.0.2's `rd_kafka_query_watermark_offsets` can wait forever then.)
    func offsets(
        _ partitions: [KafkaTopicPartition], latest: Bool, timeoutMs: Int32
    ) throws -> [KafkaTopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        BlockingIO.assertBlockingAllowed("rd_kafka_offsets_for_times")
        return try withHandle("offset query") { h in
            let list = Self.list(partitions.map { ($0, Int64(latest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING)) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_offsets_for_times(h, list, timeoutMs)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError.client(operation: "offset query", reason: RdKafkaHandle.describe(err))
            }
            var result: [KafkaTopicPartition: Int64] = [:]
            for i in 0..<Int(list.pointee.cnt) {
                let e = list.pointee.elems[i]
                let tp = KafkaTopicPartition(topic: String(cString: e.topic), partition: Int(e.partition))
                guard e.err == RD_KAFKA_RESP_ERR_NO_ERROR, e.offset >= 0 else {
                    throw KafkaError.client(operation: "offset query of \(tp)", reason: RdKafkaHandle.describe(e.err))
                }
                result[tp] = e.offset
            }
            return result
        }
    }

    /// The group's committed offset of each partition; partitions without a commit are absent.
    func committed(_ partitions: [KafkaTopicPartition], timeoutMs: Int32) throws -> [KafkaTopicPartition: Int64] {
        BlockingIO.assertBlockingAllowed("rd_kafka_committed")
        return try withHandle("committed-offsets query") { h in
            let list = Self.list(partitions.map { ($0, Int64(RD_KAFKA_OFFSET_INVALID)) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_committed(h, list, timeoutMs)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError.client(operation: "committed-offsets query", reason: RdKafkaHandle.describe(err))
            }
            var result: [KafkaTopicPartition: Int64] = [:]
            for i in 0..<Int(list.pointee.cnt) {
                let e = list.pointee.elems[i]
                if e.err == RD_KAFKA_RESP_ERR_NO_ERROR, e.offset >= 0 {
                    result[KafkaTopicPartition(topic: String(cString: e.topic), partition: Int(e.partition))] = e.offset
                }
            }
            return result
        }
    }

    /// Commits `offsets` (the next offset to read per partition) for the group, synchronously.
    func commit(_ offsets: [KafkaTopicPartition: Int64]) throws {
        BlockingIO.assertBlockingAllowed("rd_kafka_commit")
        try withHandle("offset commit") { h in try Self.commit(offsets, on: h) }
    }

    /// Commits `offsets` synchronously on the consumer handle `h` (the caller holds the handle's lock).
    static func commit(_ offsets: [KafkaTopicPartition: Int64], on h: OpaquePointer) throws {
        guard !offsets.isEmpty else { return }
        let list = Self.list(offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_commit(h, list, 0)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.client(operation: "offset commit", reason: RdKafkaHandle.describe(err))
        }
    }

    /// Reads `ranges` (one per partition) until each is complete or `deadline` passes. Returns the records of
    /// each range in offset order and the offset each range actually reached (its `untilOffset` when complete;
    /// less when the deadline cut it short, so the caller can shrink the range and lose nothing).
    func fetch(
        _ ranges: [KafkaOffsetRange], deadline: ContinuousClock.Instant
    ) -> (records: [[KafkaRecord]], reached: [Int64], lastError: String?) {
        var records = [[KafkaRecord]](repeating: [], count: ranges.count)
        var next = ranges.map(\.fromOffset)
        var index: [KafkaTopicPartition: Int] = [:]
        for (i, r) in ranges.enumerated() { index[r.topicPartition] = i }
        var open = Set(ranges.indices.filter { ranges[$0].fromOffset < ranges[$0].untilOffset })
        guard !open.isEmpty else { return (records, next, nil) }
        BlockingIO.assertBlockingAllowed("rd_kafka_consumer_poll (fetch)")
        var lastError: String?
        handle.withLock { h in
            guard let h else {
                lastError = "the consumer is closed (its stream stopped)"
                return
            }
            let list = Self.list(open.sorted().map { (ranges[$0].topicPartition, ranges[$0].fromOffset) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_assign(h, list)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                lastError = "assign: \(RdKafkaHandle.describe(err))"
                return
            }
            defer { rd_kafka_assign(h, nil) }
            var topicNames: [OpaquePointer: String] = [:]
            var idlePolls = 0
            while !open.isEmpty, ContinuousClock.now < deadline {
                guard let msg = rd_kafka_consumer_poll(h, 50) else {
                    idlePolls += 1
                    // Offsets can have gaps (transaction markers, compaction): after a quiet poll, a partition
                    // whose fetch position passed the range's end is complete.
                    if idlePolls % 4 == 0 { Self.closeByPosition(h, ranges: ranges, open: &open, next: &next) }
                    continue
                }
                defer { rd_kafka_message_destroy(msg) }
                let m = msg.pointee
                guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    if m.err != RD_KAFKA_RESP_ERR__PARTITION_EOF { lastError = RdKafkaHandle.describe(m.err) }
                    continue
                }
                guard let rkt = m.rkt else { continue }
                let topic: String
                if let t = topicNames[rkt] { topic = t } else {
                    topic = String(cString: rd_kafka_topic_name(rkt))
                    topicNames[rkt] = topic
                }
                guard let i = index[KafkaTopicPartition(topic: topic, partition: Int(m.partition))],
                      open.contains(i), m.offset >= next[i], m.offset < ranges[i].untilOffset
                else { continue }
                records[i].append(Self.record(msg, topic: topic))
                next[i] = m.offset + 1
                if next[i] >= ranges[i].untilOffset { open.remove(i) }
            }
            if !open.isEmpty { Self.closeByPosition(h, ranges: ranges, open: &open, next: &next) }
        }
        return (records, next, open.isEmpty ? nil : (lastError ?? "timed out"))
    }

    private static func closeByPosition(
        _ h: OpaquePointer, ranges: [KafkaOffsetRange], open: inout Set<Int>, next: inout [Int64]
    ) {
        let list = Self.list(open.sorted().map { (ranges[$0].topicPartition, Int64(RD_KAFKA_OFFSET_INVALID)) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard rd_kafka_position(h, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        for i in open.sorted() {
            let tp = ranges[i].topicPartition
            guard let e = rd_kafka_topic_partition_list_find(list, tp.topic, Int32(tp.partition)),
                  e.pointee.offset >= ranges[i].untilOffset
            else { continue }
            next[i] = ranges[i].untilOffset
            open.remove(i)
        }
    }

    private static func record(_ msg: UnsafeMutablePointer<rd_kafka_message_t>, topic: String) -> KafkaRecord {
        let m = msg.pointee
        let value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) }
        let key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        var tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ts = rd_kafka_message_timestamp(msg, &tsType)
        var headers: [KafkaHeader] = []
        var hdrs: OpaquePointer?
        if rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs {
            var i = 0
            var name: UnsafePointer<CChar>?
            var val: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(KafkaHeader(
                    name: name.map { String(cString: $0) } ?? "",
                    value: val.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
                i += 1
            }
        }
        return KafkaRecord(
            topic: topic, partition: Int(m.partition), offset: m.offset, key: key, value: value,
            timestampMilliseconds: ts >= 0 ? ts : nil, headers: headers)
    }

    /// A new partition list; the caller destroys it.
    static func list(_ entries: [(KafkaTopicPartition, Int64)]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(max(1, entries.count)))!
        for (tp, offset) in entries {
            let e = rd_kafka_topic_partition_list_add(list, tp.topic, Int32(tp.partition))!
            e.pointee.offset = offset
        }
        return list
    }
}
