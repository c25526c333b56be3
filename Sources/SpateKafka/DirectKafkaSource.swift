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

    private struct State {
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
    }

    let brokers: String
    let topics: [String]
    let groupID: String
    let options: KafkaStreamOptions
    let batchIntervalMs: Int
    /// The fetching consumer, or why librdkafka refused to create it (reported by `start()`).
    private let client: Result<RdKafkaConsumer, KafkaError>
    /// The group member holding this process's share of the partitions (consumer-group mode only).
    private let groupMember: Result<RdKafkaGroupMember, KafkaError>?
    /// Offsets that take precedence over `options.startingOffsets`: a partition-scoped state's snapshots.
    private let stateOffsets = Mutex<(any SourceOffsetStore)?>(nil)
    let logger: Logger
    private let state = Mutex(State())
    static let keptRanges = 512

    init(
        brokers: String, topics: [String], groupID: String, options: KafkaStreamOptions, batchIntervalMs: Int,
        logger: Logger
    ) {
        self.brokers = brokers
        self.topics = topics
        self.groupID = groupID
        self.options = options
        self.batchIntervalMs = batchIntervalMs
        self.logger = logger
        client = Self.create("consumer creation") {
            try RdKafkaConsumer(brokers: brokers, groupID: groupID, settings: options.settings)
        }
        groupMember = options.assignment != .consumerGroup ? nil : Self.create("group member creation") {
            try RdKafkaGroupMember(brokers: brokers, groupID: groupID, settings: options.settings)
        }
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

    /// Makes `store`'s offsets (a partition-scoped state's snapshots) the starting point of every partition
    /// it holds one for; set while the program is built, before `start()`.
    func preferOffsets(from store: any SourceOffsetStore) { stateOffsets.withLock { $0 = store } }

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

    private var timeoutMs: Int32 { Int32(clamping: Int(options.connectTimeout / .milliseconds(1))) }

    var name: String { "kafkaStream" }
    var isRateLimited: Bool { true }

    // MARK: lifecycle

    /// Finds the partitions and the starting offsets; fails with a message naming the broker when none answers.
    func start() async throws {
        try await BlockingIO.run { [self] in try startNow() }
    }

    private func startNow() throws {
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
                        metadata: ["brokers": "\(brokers)", "group": "\(groupID)", "topics": "\(topics)"])
            return
        }
        let partitions = topics.flatMap { t in (0..<counts[t]!).map { KafkaTopicPartition(topic: t, partition: $0) } }
        let (restored, known) = state.withLock { ($0.restored, $0.next) }
        var next: [KafkaTopicPartition: Int64] = [:]
        do {
            if restored {
                let low = try consumer.offsets(partitions, latest: false, timeoutMs: timeoutMs)
                for tp in partitions { next[tp] = known[tp] ?? low[tp] ?? 0 }
            } else {
                next = try startingOffsets(partitions)
            }
        } catch {
            throw SpateError.sourceFailed(source: "kafkaStream", reason: "\(error)")
        }
        state.withLock { s in
            s.partitions = partitions
            s.next = next
        }
        logger.info("kafkaStream started", metadata: [
            "brokers": "\(brokers)", "group": "\(groupID)",
            "from": "\(partitions.map { "\($0)@\(next[$0]!)" }.joined(separator: " "))"])
    }

    /// Leaves the consumer group (consumer-group mode), so the others take the partitions at once.
    func stop(graceful: Bool) async {
        if let member = try? groupMember?.get() {
            _ = try? await BlockingIO.run { member.close() }
            logger.info("kafkaStream left its consumer group", metadata: ["group": "\(groupID)"])
        }
    }

    private func startingOffsets(_ partitions: [KafkaTopicPartition]) throws -> [KafkaTopicPartition: Int64] {
        let consumer = try self.consumer
        var given: [KafkaTopicPartition: Int64] = [:]
        var latest = false  // partitions with no given offset start at the end instead of the beginning
        switch options.startingOffsets {
        case .committed: given = try consumer.committed(partitions, timeoutMs: timeoutMs)
        case let .specific(offsets): given = offsets
        case let .stored(store): given = try store.storedOffsets(group: groupID, partitions: partitions).kafkaOffsets
        case .earliest: break
        case .latest: latest = true
        }
        if let store = stateOffsets.withLock({ $0 }) {
            // A partition-scoped state's snapshot wins: its state holds every record before its offset.
            given.merge(try store.storedOffsets(group: groupID, partitions: partitions).kafkaOffsets) { _, snapshot in snapshot }
        }
        var next: [KafkaTopicPartition: Int64] = [:]
        let lows = try consumer.offsets(partitions, latest: false, timeoutMs: timeoutMs)
        let highs = try consumer.offsets(partitions, latest: true, timeoutMs: timeoutMs)
        for tp in partitions {
            let low = lows[tp] ?? 0, high = highs[tp] ?? 0
            next[tp] = given[tp].map { min(max($0, low), high) } ?? (latest ? high : low)
        }
        return next
    }

    // MARK: batches

    /// Reads the batch for `time` on the blocking pool; its metadata holds each partition's offset range and
    /// lag (records left after the batch).
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
        let (partitions, next, skip) = state.withLock { s -> ([KafkaTopicPartition], [KafkaTopicPartition: Int64], Bool) in
            let skip = s.skipBatches > 0
            if skip { s.skipBatches -= 1 }
            return (s.partitions, s.next, skip)
        }
        var ranges = partitions.map {
            KafkaOffsetRange(topic: $0.topic, partition: $0.partition, fromOffset: next[$0] ?? 0, untilOffset: next[$0] ?? 0)
        }
        var latest: [KafkaTopicPartition: Int64] = [:]
        if !skip, !partitions.isEmpty {
            do {
                var lag: [Int64] = []
                let consumer = try self.consumer
                let lows = try consumer.offsets(partitions, latest: false, timeoutMs: 2000)
                let highs = try consumer.offsets(partitions, latest: true, timeoutMs: 2000)
                latest = highs
                for (i, tp) in partitions.enumerated() {
                    let low = lows[tp] ?? 0, high = highs[tp] ?? 0
                    if ranges[i].fromOffset < low {
                        logger.warning("offsets were deleted from the log before they were read (retention); skipping to the first one left",
                                       metadata: ["partition": "\(tp)", "from": "\(ranges[i].fromOffset)", "first": "\(low)"])
                        ranges[i].fromOffset = low
                    }
                    ranges[i].untilOffset = max(ranges[i].fromOffset, high)
                    lag.append(ranges[i].count)
                }
                bound(&ranges, lag: lag, allowance: limit)
                brokerAnswered()
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
            let lag = latest[r.topicPartition].map { "\(max(0, $0 - r.untilOffset))" } ?? "unknown"
            described["\(r.topic)-\(r.partition)"] = "offsets \(r.fromOffset)..<\(r.untilOffset), lag \(lag)"
        }
        state.withLock { s in
            for r in ranges { s.next[r.topicPartition] = r.untilOffset }
            remember(&s, ranges, at: time)
        }
        return SourceBatch(partitions: parts, descriptor: ranges, metadata: described)
    }

    /// Bounds every range by maxRatePerPartition x interval and splits a backpressure allowance over the
    /// partitions in proportion to their lag, as Spark's DirectKafkaInputDStream does.
    /// Consumer-group mode: serves the group protocol and takes the current assignment. Partitions newly
    /// assigned start from the starting offsets (asked now, so they include what the previous owner stored);
    /// revoked ones are dropped; kept ones go on where they were.
    private func refreshAssignment() {
        guard let member = try? groupMember?.get() else { return }
        let assigned = member.poll()
        let (generation, current) = state.withLock { ($0.generation, $0.partitions) }
        guard assigned.generation != generation else { return }
        let added = assigned.partitions.filter { !current.contains($0) }
        let revoked = current.filter { !assigned.partitions.contains($0) }
        var starts: [KafkaTopicPartition: Int64] = [:]
        if !added.isEmpty {
            do {
                starts = try startingOffsets(added)
            } catch {
                // Left for the next batch: the generation stays unseen, so the next cut tries again.
                logger.error("cannot find the starting offsets of newly assigned partitions; retrying next batch",
                             metadata: ["group": "\(groupID)", "partitions": "\(added)", "error": "\(error)"])
                return
            }
        }
        state.withLock { s in
            s.generation = assigned.generation
            for tp in revoked { s.next[tp] = nil }
            for tp in added { s.next[tp] = starts[tp] }
            s.partitions = assigned.partitions
        }
        logger.notice("consumer group assignment changed", metadata: [
            "group": "\(groupID)", "partitions": "\(assigned.partitions.map(\.description).joined(separator: " "))",
            "added": "\(added.map { "\($0)@\(starts[$0] ?? -1)" }.joined(separator: " "))",
            "revoked": "\(revoked.map(\.description).joined(separator: " "))"])
    }

    /// The partitions this process reads now (all of them, or its consumer-group share).
    var assignedPartitions: [KafkaTopicPartition] { state.withLock { $0.partitions } }

    private func bound(_ ranges: inout [KafkaOffsetRange], lag: [Int64], allowance: Int?) {
        var limits = [Int64?](repeating: nil, count: ranges.count)
        if let rate = options.maxRatePerPartition {
            let perBatch = max(1, Int64(rate) * Int64(batchIntervalMs) / 1000)
            limits = limits.map { _ in perBatch }
        }
        if let total = allowance {
            let totalLag = lag.reduce(0, +)
            for i in ranges.indices where totalLag > 0 {
                let share = max(1, Int64((Double(total) * Double(lag[i]) / Double(totalLag)).rounded()))
                limits[i] = min(limits[i] ?? .max, share)
            }
        }
        for i in ranges.indices {
            if let limit = limits[i] { ranges[i].untilOffset = min(ranges[i].untilOffset, ranges[i].fromOffset + limit) }
        }
    }

    private func fetch(_ ranges: [KafkaOffsetRange]) -> ([[KafkaRecord]], [Int64]) {
        guard let consumer = try? self.consumer else { return (ranges.map { _ in [] }, ranges.map(\.fromOffset)) }
        let result = consumer.fetch(ranges, deadline: .now + options.fetchTimeout)
        if let error = result.lastError {
            logger.warning("Kafka fetch error", metadata: ["brokers": "\(brokers)", "error": "\(error)"])
        }
        return (result.records, result.reached)
    }

    private func brokerAnswered() {
        let was = state.withLock { s -> Int in defer { s.failedBatches = 0 }; return s.failedBatches }
        if was > 0 { logger.notice("Kafka broker answers again; reading resumes where it stopped", metadata: ["brokers": "\(brokers)", "failedBatches": "\(was)"]) }
    }

    /// Backoff: after n failed batches in a row, the next 2^(n-1) - 1 batches (at most 31) skip the broker.
    private func brokerFailed(_ time: BatchTime, _ error: any Error) {
        let (n, skip) = state.withLock { s -> (Int, Int) in
            s.failedBatches += 1
            s.skipBatches = min(31, (1 << min(s.failedBatches - 1, 5)) - 1)
            return (s.failedBatches, s.skipBatches)
        }
        logger.error("Kafka broker unreachable; the batch reads nothing and no offset is skipped", metadata: [
            "brokers": "\(brokers)", "batch": "\(time)", "failedBatches": "\(n)", "retryAfterBatches": "\(skip + 1)",
            "error": "\(error)"])
    }

    private func remember(_ s: inout State, _ ranges: [KafkaOffsetRange], at time: BatchTime) {
        s.ranges[time.milliseconds] = ranges
        if s.ranges.count > Self.keptRanges, let oldest = s.ranges.keys.min() { s.ranges[oldest] = nil }
    }

    func replay(_ ranges: [KafkaOffsetRange], at time: BatchTime) async throws -> [[KafkaRecord]] {
        var delay = Duration.milliseconds(100)
        for attempt in 1...6 {
            let (parts, read) = try await BlockingIO.run { [self] in fetch(ranges) }
            if zip(read, ranges).allSatisfy({ $0 >= $1.untilOffset }) {
                state.withLock { remember(&$0, ranges, at: time) }
                return parts
            }
            logger.warning("cannot yet read a recovered batch's offsets; retrying", metadata: [
                "batch": "\(time)", "attempt": "\(attempt)", "brokers": "\(brokers)"])
            try await Task.sleep(for: delay)
            delay *= 2
        }
        throw KafkaError.client(operation: "replay of batch \(time)", reason: "offsets \(ranges) could not be read from \(brokers)")
    }

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

    // MARK: offsets for users and commits

    /// The offset ranges of the batch at `time` (nil when it is not, or no longer, known).
    func offsetRanges(at time: BatchTime) -> [KafkaOffsetRange]? { state.withLock { $0.ranges[time.milliseconds] } }
}
