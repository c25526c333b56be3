import Logging
import Metrics
import Spate
import Synchronization

/// The output behind `saveToKafka(..., delivery: .exactlyOnce)`: its transactional producer is created when the
/// output opens (`init_transactions` fences an older instance of the same id and aborts what it left open);
/// each batch is one transaction: its records, then its consumed offsets for the input group, then the
/// commit. Every librdkafka call runs on the blocking pool.
final class KafkaTransactionalSink<T: Sendable>: BatchSink {
    let topic: String
    let brokers: String
    let settings: [String: String]
    let transactionalID: String
    let consumed: BatchOffsets
    let source: DirectKafkaSource
    let logger: Logger
    let message: @Sendable (T) -> KafkaMessage
    private let producer = Mutex<RdKafkaProducer?>(nil)
    /// How often a batch's transaction is run before the output fails.
    static var attempts: Int { 3 }
    static var timeoutMs: Int32 { 30_000 }

    init(
        topic: String, brokers: String, settings: [String: String], transactionalID: String, consumed: BatchOffsets,
        source: DirectKafkaSource, logger: Logger, message: @escaping @Sendable (T) -> KafkaMessage
    ) {
        self.topic = topic
        self.brokers = brokers
        self.settings = settings
        self.transactionalID = transactionalID
        self.consumed = consumed
        self.source = source
        self.logger = logger
        self.message = message
    }

    func open() async throws {
        var all = settings
        all["transactional.id"] = transactionalID
        let made = try RdKafkaProducer(brokers: brokers, settings: all)
        do {
            try await BlockingIO.run { try made.initTransactions(timeoutMs: Self.timeoutMs) }
        } catch let failure as RdKafkaTransactionError {
            throw failure.kind == .fenced ? KafkaError.producerFenced(transactionalID: transactionalID, reason: failure.reason)
                : KafkaError.client(operation: "init transactions (transactional.id '\(transactionalID)')",
                                    reason: failure.reason)
        }
        producer.withLock { $0 = made }
        logger.info("exactly-once Kafka sink ready; older producers of its transactional.id are fenced",
                    metadata: ["topic": "\(topic)", "transactionalID": "\(transactionalID)", "group": "\(source.groupID)"])
    }

    func write(_ batch: Batch<T>, at time: BatchTime) async throws {
        guard let ranges = consumed.ranges(for: time) else {
            throw KafkaError.exactlyOnceMisconfigured(
                problem: "the input stream does not know batch \(time.milliseconds) ms",
                fix: "pass consumed: kafka.batchOffsets of the stream this output's records come from")
        }
        guard let client = producer.withLock({ $0 }) else { return }
        let records = batch.partitions.flatMap { $0.map(message) }.map {
            ProducerRecord(topic: topic, partition: $0.partition, key: $0.key, value: $0.value, headers: $0.headers,
                           timestampMilliseconds: $0.timestampMilliseconds)
        }
        guard !records.isEmpty || ranges.contains(where: { !$0.isEmpty }) else { return }
        let committed = try await BlockingIO.run { [source] in try source.committedOffsets(ranges.map(\.topicPartition)) }
        switch KafkaTransactionGuard.check(ranges, committed: committed) {
        case .write:
            break
        case .written:
            count("skipped")
            logger.info("batch already committed by an earlier run; skipped", metadata: [
                "batch": "\(time.milliseconds)", "transactionalID": "\(transactionalID)"])
            return
        case let .conflict(rewind):
            count("conflict")
            logger.warning("""
                batch dropped: its input offsets conflict with the group's committed ones (another writer moved \
                them); rewinding the stream to the committed offsets
                """, metadata: [
                "batch": "\(time.milliseconds)", "group": "\(source.groupID)",
                "committed": "\(rewind.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value)" })"])
            source.rewind(rewind)
            return
        }
        let offsets = Dictionary(ranges.map { ($0.topicPartition, $0.untilOffset) }) { a, b in max(a, b) }
        try await transact(records, offsets: offsets, client: client, at: time)
    }

    /// Runs the batch's transaction, aborting and producing it again after an abortable failure. The input's
    /// dead letters are flushed (`prepareToStore`) once the records are written, before the offsets join the
    /// transaction and it commits.
    private func transact(
        _ records: [ProducerRecord], offsets: [KafkaTopicPartition: Int64], client: RdKafkaProducer, at time: BatchTime
    ) async throws {
        let (topic, group) = (self.topic, source.groupID)
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await BlockingIO.run {
                    try client.beginTransaction()
                    try client.produceInTransaction(records, topic: topic, timeoutMs: Self.timeoutMs)
                }
                do {
                    try await consumed.prepareToStore(time)
                } catch {
                    _ = try? await BlockingIO.run { try client.endTransaction(commit: false, timeoutMs: Self.timeoutMs) }
                    count("aborted")
                    throw error
                }
                try await BlockingIO.run {
                    try client.sendOffsetsToTransaction(offsets, groupID: group, timeoutMs: Self.timeoutMs)
                    try client.endTransaction(commit: true, timeoutMs: Self.timeoutMs)
                }
                count("committed")
                return
            } catch let failure as RdKafkaTransactionError {
                if failure.kind == .fenced {
                    count("fenced")
                    throw KafkaError.producerFenced(transactionalID: transactionalID, reason: failure.reason)
                }
                // Nothing of the attempt may stay open: abort it (an abort of a fatal producer fails too).
                _ = try? await BlockingIO.run { try client.endTransaction(commit: false, timeoutMs: Self.timeoutMs) }
                count("aborted")
                guard failure.kind != .fatal, attempt < Self.attempts else {
                    throw KafkaError.transactionFailed(
                        transactionalID: transactionalID, batch: time, attempts: attempt, reason: failure.description)
                }
                logger.warning("batch transaction aborted; producing the batch again", metadata: [
                    "batch": "\(time.milliseconds)", "attempt": "\(attempt)", "error": "\(failure)"])
                try await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }

    /// Counts a batch's transaction outcome (metric `spate_kafka_transactions_total` by topic and outcome).
    private func count(_ outcome: String) {
        Counter(label: "spate_kafka_transactions_total", dimensions: [("topic", topic), ("outcome", outcome)]).increment()
    }

    func close() async throws {
        guard let client = producer.withLock({ p in defer { p = nil }; return p }) else { return }
        try await BlockingIO.run { client.close(timeoutMs: 5_000) }
    }
}

/// Whether a batch's transaction is still to be written, given the group's committed offsets of its input.
enum KafkaTransactionGuard: Equatable {
    /// Every partition's committed offset is at most where the batch starts (or absent): write it.
    case write
    /// The committed offsets are where the batch ends: an earlier run committed it (a checkpoint replay).
    case written
    /// Some committed offset is neither: drop the batch and read these partitions again from these offsets.
    case conflict(rewind: [KafkaTopicPartition: Int64])

    /// The guard of the batch of `ranges`. A committed offset below a range's start is no conflict: an output
    /// that does not run at every batch time (a windowed one) commits only the offsets of the batches it ran at.
    static func check(_ ranges: [KafkaOffsetRange], committed: [KafkaTopicPartition: Int64]) -> Self {
        var fresh: [KafkaOffsetRange] = [], done = 0
        var rewind: [KafkaTopicPartition: Int64] = [:]
        for r in ranges {
            let c = committed[r.topicPartition]
            if c == nil || c! <= r.fromOffset {
                fresh.append(r)
            } else if c! == r.untilOffset {
                done += 1
            } else {
                rewind[r.topicPartition] = c!
            }
        }
        let freshWithRecords = fresh.filter { !$0.isEmpty }
        if rewind.isEmpty && done == 0 { return .write }
        if rewind.isEmpty && freshWithRecords.isEmpty { return .written }
        // Partly written (or moved by another writer): every partition not done reads its records again.
        for r in freshWithRecords { rewind[r.topicPartition] = r.fromOffset }
        return .conflict(rewind: rewind)
    }
}
