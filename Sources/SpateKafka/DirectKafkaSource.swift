import Foundation
import Logging
import Spate
import Synchronization

/// The direct stream's source: at each batch time it takes, per partition, the offsets from where the
/// previous batch ended up to the partition's high watermark (bounded by the rate settings) and reads
/// exactly those. A batch is described by its offset ranges, so a checkpoint replays it record for record.
///
/// Every librdkafka call (metadata, watermarks, the fetch, the group protocol) runs on the blocking pool
/// (`BlockingIO`), never on a cooperative thread or the batch timer.
final class DirectKafkaSource: StreamSource {
    typealias Element = KafkaRecord

    struct State {
        /// Every partition read, in Spate partition order.
        var partitions: [KafkaTopicPartition] = []
        /// The next offset to read per partition (the checkpointed position).
        var next: [KafkaTopicPartition: Int64] = [:]
        /// Set when a checkpoint restored `next`, so `start()` keeps it.
        var restored = false
        /// The offset ranges of recent batches, by batch time in ms.
        var ranges: [Int: [KafkaOffsetRange]] = [:]
        /// Batches in a row that could not reach the broker, and how many batches to skip before trying again.
        var failedBatches = 0
        var skipBatches = 0
        /// The consumer-group assignment generation `partitions` reflects (consumer-group mode).
        var generation = 0
        /// Set once `start()` found the partitions: a replay that gives up then stops the context itself.
        var started = false
        /// Set once the stream stopped the context (data loss, a replay that gave up): cuts read nothing more.
        var failed = false
        /// Partitions whose records from this offset on were lost (failOnDataLoss off): the next batch's range
        /// as a sink stores it starts there, so the sink takes the skip instead of rewinding to the lost offsets.
        var lostFrom: [KafkaTopicPartition: Int64] = [:]
        /// Losses found when partitions started (at `start()` or an assignment), for the next batch's metadata.
        var lossesToReport: [KafkaDataLoss] = []
        /// Batches whose stored ranges start earlier than their read ranges (a skip over lost offsets), by time.
        var storedRanges: [Int: [KafkaOffsetRange]] = [:]
        /// Offsets a store (`.stored`) holds beyond a restored checkpoint's: cuts end there until reached.
        var catchUp: [KafkaTopicPartition: Int64] = [:]
        /// Set when an exactly-once sink commits the batches' offsets for the group in its transactions.
        var committedInTransactions = false
    }

    let brokers: String
    let topics: [String]
    let groupID: String
    let options: KafkaStreamOptions
    let batchIntervalMs: Int
    /// The fetching consumer, or why librdkafka refused to create it (reported by `start()`).
    let client: Result<RdKafkaConsumer, KafkaError>
    /// The dead-letter topic's producer of the stream's `decoded` records, closed with the stream.
    let deadLetters: KafkaDeadLetters?
    /// The group member holding this process's share of the partitions (consumer-group mode only).
    let groupMember: Result<RdKafkaGroupMember, KafkaError>?
    /// Offsets that take precedence over `options.startingOffsets`: a partition-scoped state's snapshots.
    let stateSnapshots = Mutex<KafkaStateSnapshots?>(nil)
    /// Stops the context with an error (set by `directKafkaStream`; weak on the context).
    private let failContext = Mutex<(@Sendable (any Error) -> Void)?>(nil)
    let logger: Logger
    let state = Mutex(State())
    let bound: KafkaBatchBound
    /// Every batch's ranges, durable before the batch runs, under the checkpoint directory (not in
    /// consumer-group mode, where the group's assignment decides what a process reads).
    let offsetLog: KafkaOffsetLog?
    static let keptRanges = 512

    init(
        brokers: String, topics: [String], groupID: String, options: KafkaStreamOptions, batchIntervalMs: Int,
        deadLetters: KafkaDeadLetters?, logger: Logger, checkpoint: @escaping @Sendable () -> URL? = { nil }
    ) {
        self.deadLetters = deadLetters
        self.brokers = brokers
        self.topics = topics
        self.groupID = groupID
        self.options = options
        self.batchIntervalMs = batchIntervalMs
        self.logger = logger
        bound = KafkaBatchBound(maxRecordsPerPartition: options.maxRecordsPerPartition,
                                maxRatePerPartition: options.maxRatePerPartition, batchIntervalMs: batchIntervalMs)
        client = Self.create("consumer creation") {
            try RdKafkaConsumer(brokers: brokers, groupID: groupID, settings: options.settings)
        }
        groupMember = options.assignment != .consumerGroup ? nil : Self.create("group member creation") {
            try RdKafkaGroupMember(brokers: brokers, groupID: groupID, settings: options.settings)
        }
        offsetLog = options.assignment == .consumerGroup ? nil
            : KafkaOffsetLog(group: groupID, checkpoint: checkpoint, kept: Self.keptRanges, logger: logger)
    }

    /// A librdkafka client, or why it could not be created (reported by `start()`, not at graph building).
    private static func create<C>(_ operation: String, _ make: () throws -> C) -> Result<C, KafkaError> {
        do {
            return .success(try make())
        } catch let error as KafkaError {
            return .failure(error)
        } catch {
            return .failure(.client(operation: operation, reason: "\(error)"))
        }
    }

    /// Makes `snapshots`' offsets (a partition-scoped state's) the starting point of every partition it holds
    /// one for, and has the stream read them ahead of the batches that load them; set while the program is
    /// built, before `start()`.
    func preferOffsets(from snapshots: KafkaStateSnapshots) { stateSnapshots.withLock { $0 = snapshots } }

    /// Lets the stream stop its context when it cannot go on (data loss, a recovered batch that cannot be read).
    func onFailure(_ fail: @escaping @Sendable (any Error) -> Void) { failContext.withLock { $0 = fail } }

    /// Stops the context with `error`, once; later cuts read nothing.
    func fail(_ error: KafkaError) {
        let first = state.withLock { s -> Bool in defer { s.failed = true }; return !s.failed }
        guard first else { return }
        logger.error("kafkaStream stops the context", metadata: ["group": "\(groupID)", "error": "\(error)"])
        failContext.withLock { $0 }?(error)
    }

    /// Commits `offsets` for the group: as the group member in consumer-group mode (a coordinator accepts
    /// commits of a group with members only from a member), else from the fetching consumer.
    func commit(_ offsets: [KafkaTopicPartition: Int64]) throws {
        if let groupMember { try groupMember.get().commit(offsets) } else { try consumer.commit(offsets) }
    }

    /// Moves the next offsets of the partitions this process still reads back to `offsets` (a sink found
    /// them stored further or elsewhere than a batch started: another group member wrote them).
    func rewind(_ offsets: [KafkaTopicPartition: Int64]) {
        let moved = state.withLock { s -> [String] in
            var moved: [String] = []
            for (tp, offset) in offsets where s.partitions.contains(tp) && s.next[tp] != offset {
                moved.append("\(tp)@\(s.next[tp] ?? -1)->\(offset)")
                s.next[tp] = offset
                // The next cut checks the offset against the log again.
                s.lostFrom[tp] = nil
            }
            return moved
        }
        if !moved.isEmpty {
            logger.warning("Kafka stream rewound to the stored offsets; those records are read again",
                           metadata: ["group": "\(groupID)", "partitions": "\(moved.joined(separator: " "))"])
        }
    }

    /// The consumer; throws the creation error when librdkafka refused the settings.
    var consumer: RdKafkaConsumer { get throws { try client.get() } }

    var timeoutMs: Int32 { Int32(clamping: Int(options.connectTimeout / .milliseconds(1))) }

    var name: String { "kafkaStream" }
    var isRateLimited: Bool { true }

    // MARK: lifecycle

    /// Finds the partitions and the starting offsets; fails with a message naming the broker when none answers.
    func start() async throws {
        try await BlockingIO.run { [self] in try startNow() }
    }

    private func startNow() throws {
        try stateSnapshots.withLock { $0 }?.prepare()
        let consumer: RdKafkaConsumer
        do { consumer = try self.consumer } catch {
            throw SpateError.sourceFailed(source: "kafkaStream", reason: "\(error)")
        }
        let counts: [String: Int]
        do {
            counts = try consumer.partitionCounts(of: topics, timeoutMs: timeoutMs)
        } catch {
            throw SpateError.sourceFailed(
                source: "kafkaStream",
                reason: "no Kafka broker answers at \(brokers) within \(options.connectTimeout): start the broker "
                    + "(for the local one: scripts/kafka.sh start) or fix `brokers:`")
        }
        for topic in topics where counts[topic] == nil {
            throw SpateError.sourceFailed(source: "kafkaStream", reason: KafkaError.unknownTopic(topic, brokers: brokers).description)
        }
        if let groupMember {
            do {
                let member = try groupMember.get()
                try member.subscribe(topics)
                member.poll()
            } catch {
                throw SpateError.sourceFailed(source: "kafkaStream", reason: "\(error)")
            }
            logger.info("kafkaStream joined its consumer group; partitions come with the group's assignment",
                        metadata: ["brokers": "\(brokers)", "group": "\(groupID)", "topics": "\(topics)",
                                   "bound": "\(bound)"])
            state.withLock { $0.started = true }
            return
        }
        let partitions = topics.flatMap { t in (0..<counts[t]!).map { KafkaTopicPartition(topic: t, partition: $0) } }
        let (restored, known) = state.withLock { ($0.restored, $0.next) }
        var next: [KafkaTopicPartition: Int64] = [:]
        var losses: [KafkaDataLoss] = []
        var catchUp: [KafkaTopicPartition: Int64] = [:]
        if restored { offsetLog?.recover() } else { offsetLog?.clear() }
        do {
            if restored {
                // A checkpoint's offsets that retention deleted meanwhile are found by the first cut.
                let low = try consumer.offsets(partitions, latest: false, timeoutMs: timeoutMs)
                for tp in partitions { next[tp] = known[tp] ?? low[tp] ?? 0 }
                catchUp = try offsetsStored(beyond: next, of: partitions, consumer: consumer)
            } else {
                (next, losses) = try startingOffsets(partitions)
            }
        } catch {
            throw SpateError.sourceFailed(source: "kafkaStream", reason: "\(error)")
        }
        if options.failOnDataLoss, let loss = losses.first {
            throw SpateError.sourceFailed(source: "kafkaStream", reason: loss.error.description)
        }
        state.withLock { s in
            s.partitions = partitions
            s.next = next
            s.catchUp = catchUp
            for loss in losses { s.lostFrom[loss.partition] = loss.from }
            s.lossesToReport += losses
            s.started = true
        }
        for loss in losses { loss.report(logger, group: groupID) }
        logger.info("kafkaStream started", metadata: [
            "brokers": "\(brokers)", "group": "\(groupID)", "bound": "\(bound)",
            "from": "\(partitions.map { "\($0)@\(next[$0]!)" }.joined(separator: " "))",
            "catchingUpTo": "\(catchUp.map { "\($0.key)@\($0.value)" }.sorted().joined(separator: " "))"])
    }

    /// Leaves the consumer group (consumer-group mode), so the others take the partitions at once, closes the
    /// librdkafka clients (flushing the dead letters) and writes the partition-scoped state's pending
    /// snapshots, on the blocking pool.
    /// A batch still in progress finishes its fetch first (the client's lock); later cuts read nothing.
    func stop(graceful: Bool) async {
        let member = try? groupMember?.get(), consumer = try? client.get()
        let snapshots = stateSnapshots.withLock { $0 }
        _ = try? await BlockingIO.run { [deadLetters] in
            member?.close()
            consumer?.close()
            deadLetters?.close()
            snapshots?.writePending()
        }
        if member != nil { logger.info("kafkaStream left its consumer group", metadata: ["group": "\(groupID)"]) }
    }

    // MARK: batches

    /// Reads the batch for `time` on the blocking pool; its metadata holds each partition's offset range and
    /// lag (records left after the batch), the bound when it bit, and offsets lost to retention.
    func cut(at time: BatchTime, limit: Int?) async -> SourceBatch<KafkaRecord, [KafkaOffsetRange]> {
        do {
            return try await BlockingIO.run { [self] in cutNow(time, limit: limit) }
        } catch {
            // Only when the blocking pool is shut down (the process is ending): nothing read, nothing skipped.
            return SourceBatch(partitions: assignedPartitions.map { _ in [] }, descriptor: position)
        }
    }

    private func cutNow(_ time: BatchTime, limit: Int?) -> SourceBatch<KafkaRecord, [KafkaOffsetRange]> {
        refreshAssignment()
        let (partitions, next, skip, catchUp) = state.withLock { s in
            let skip = s.skipBatches > 0 || s.failed
            if s.skipBatches > 0 { s.skipBatches -= 1 }
            return (s.partitions, s.next, skip, s.catchUp)
        }
        // After a recovery, a batch time the checkpoint does not cover is cut with the ranges it had.
        let planned = skip ? nil : offsetLog?.plannedRanges(at: time, partitions: partitions, next: next)
        var ranges = partitions.map {
            KafkaOffsetRange(topic: $0.topic, partition: $0.partition, fromOffset: next[$0] ?? 0, untilOffset: next[$0] ?? 0)
        }
        var latest: [KafkaTopicPartition: Int64] = [:]
        var losses: [KafkaDataLoss] = [], shortened: [Int] = []
        if !skip, !partitions.isEmpty, !((try? consumer.isClosed) ?? true) {
            do {
                var lag: [Int64] = []
                let consumer = try self.consumer
                let lows = try consumer.offsets(partitions, latest: false, timeoutMs: 2000)
                let highs = try consumer.offsets(partitions, latest: true, timeoutMs: 2000)
                latest = highs
                for (i, tp) in partitions.enumerated() {
                    let low = lows[tp] ?? 0, high = highs[tp] ?? 0
                    if let loss = KafkaDataLoss.check(tp, next: ranges[i].fromOffset, low: low) {
                        losses.append(loss)
                        ranges[i].fromOffset = low
                    }
                    let end = planned?[i].untilOffset ?? (catchUp.isEmpty ? high : min(high, catchUp[tp] ?? 0))
                    ranges[i].untilOffset = max(ranges[i].fromOffset, end)
                    lag.append(ranges[i].count)
                }
                brokerAnswered()
                if options.failOnDataLoss, let loss = losses.first {
                    // Nothing is read or skipped: the context stops with the loss and its fix.
                    fail(loss.error)
                    return SourceBatch(partitions: partitions.map { _ in [] }, descriptor: position)
                }
                if planned == nil { shortened = bound.apply(&ranges, lag: lag, allowance: limit) }
            } catch {
                ranges = ranges.map { var r = $0; r.untilOffset = r.fromOffset; return r }
                brokerFailed(time, error)
            }
        }
        let (parts, read) = fetch(ranges)
        // A fetch cut short keeps what it read; the rest starts the next batch, so no offset is skipped.
        for i in ranges.indices where read[i] < ranges[i].untilOffset {
            logger.warning("Kafka fetch incomplete; the rest of the range goes to the next batch", metadata: [
                "partition": "\(ranges[i].topicPartition)", "batch": "\(time)",
                "wanted": "\(ranges[i].untilOffset)", "reached": "\(read[i])"])
            ranges[i].untilOffset = read[i]
        }
        var described: [String: String] = [:]
        for r in ranges {
            let lag = latest[r.topicPartition].map { "\(max(0, $0 &- r.untilOffset))" } ?? "unknown"
            described["\(r.topic)-\(r.partition)"] = "offsets \(r.fromOffset)..<\(r.untilOffset), lag \(lag)"
        }
        if !shortened.isEmpty {
            described["bound"] = "\(bound): " + shortened.map { ranges[$0].topicPartition.description }
                .joined(separator: " ") + " hold more for the next batches"
        }
        for loss in losses { loss.report(logger, group: groupID) }
        let found = state.withLock { s in defer { s.lossesToReport = [] }; return s.lossesToReport }
        for loss in found + losses { described[loss.metadata.key] = loss.metadata.value }
        state.withLock { s in
            for loss in losses { s.lostFrom[loss.partition] = min(s.lostFrom[loss.partition] ?? loss.from, loss.from) }
            // A sink storing offsets sees the batch start where the stream was before the skip.
            var stored = ranges
            for i in stored.indices {
                if let from = s.lostFrom.removeValue(forKey: stored[i].topicPartition) { stored[i].fromOffset = from }
            }
            for r in ranges { s.next[r.topicPartition] = r.untilOffset }
            s.catchUp = s.catchUp.filter { tp, offset in (s.next[tp] ?? 0) < offset }
            remember(&s, ranges, stored: stored, at: time)
        }
        if !partitions.isEmpty, ranges != planned { offsetLog?.write(ranges, at: time) }
        prefetchSnapshots(ranges)
        return SourceBatch(partitions: parts, descriptor: ranges, metadata: described)
    }

    /// The partitions this process reads now (all of them, or its consumer-group share).
    var assignedPartitions: [KafkaTopicPartition] { state.withLock { $0.partitions } }

    /// Reads `ranges` (on the blocking pool); returns each range's records and the offset it reached.
    func fetch(_ ranges: [KafkaOffsetRange]) -> ([[KafkaRecord]], [Int64]) {
        guard let consumer = try? self.consumer else { return (ranges.map { _ in [] }, ranges.map(\.fromOffset)) }
        let result = consumer.fetch(ranges, deadline: .now + options.fetchTimeout)
        if let error = result.lastError {
            logger.warning("Kafka fetch error", metadata: ["brokers": "\(brokers)", "error": "\(error)"])
        }
        return (result.records, result.reached)
    }

    /// Has the partition-scoped state's snapshots of the batch's partitions read now, on the blocking pool, so
    /// the batch that takes a partition over loads its state from memory.
    func prefetchSnapshots(_ ranges: [KafkaOffsetRange]) {
        stateSnapshots.withLock { $0 }?.prefetch(ranges.map(\.topicPartition))
    }

    /// Whether `start()` found the partitions (replays before it are part of the context's own start).
    var isStarted: Bool { state.withLock { $0.started } }

    /// The next offset of every partition read, as empty ranges.
    var position: [KafkaOffsetRange] {
        state.withLock { s in
            s.partitions.map {
                KafkaOffsetRange(topic: $0.topic, partition: $0.partition, fromOffset: s.next[$0] ?? 0,
                                 untilOffset: s.next[$0] ?? 0)
            }
        }
    }

    func restore(position saved: [KafkaOffsetRange]) async throws {
        // In a consumer group the partitions and their offsets come from the group and the offset store at
        // each assignment, not from this process's checkpoint (another member may have moved them on).
        guard groupMember == nil else { return }
        state.withLock { s in
            s.restored = true
            s.partitions = saved.map(\.topicPartition)
            for r in saved { s.next[r.topicPartition] = r.untilOffset }
        }
    }
}
