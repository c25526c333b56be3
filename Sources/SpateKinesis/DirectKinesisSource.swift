import Foundation
import Logging
import Spate
import Synchronization

/// The direct Kinesis stream's source: at each batch time it reads, per shard it reads, the records after the
/// previous batch's last sequence number, bounded per shard, and describes the batch by those sequence-number
/// ranges, so a checkpoint replays it record for record. One Spate partition per shard read, in shard order.
///
/// A range is `(from, until]`: `from` is the last sequence number before the batch (`0` for a shard's start,
/// `at:<ms>` for a start at a time), `until` the batch's last one; an empty range has `from == until`. The
/// source's position is every shard's `until`. Calls are non-blocking HTTP (async-http-client); only a
/// store's read of the stored positions (libpq) runs on the blocking pool.
final class DirectKinesisSource: StreamSource {
    typealias Element = KinesisRecord

    struct State {
        /// The stream's shards at the last sync.
        var shards: [KinesisAPI.Shard] = []
        /// The shards read, in Spate partition order.
        var reading: [String] = []
        /// The position per shard (the last sequence number read, or a start marker).
        var next: [String: String] = [:]
        /// Shards read to their end (by this process, or by anyone in lease mode).
        var ended: Set<String> = []
        /// Positions a checkpoint restored (all-shards mode).
        var restored: [String: String] = [:]
        /// The ranges of recent batches, by batch time in ms, and the shards that ended in them.
        var ranges: [Int: [SourceOffsetRange]] = [:]
        var endedIn: [Int: [String]] = [:]
        /// A shard's iterator after a sequence number, kept between batches to spare GetShardIterator calls.
        var iterators: [String: (after: String, iterator: String)] = [:]
        var lastSync: ContinuousClock.Instant?
        var started = false
    }

    let stream: String
    let region: String
    let endpoint: String?
    let application: String
    let options: KinesisStreamOptions
    let batchIntervalMs: Int
    let logger: Logger
    /// Where shards without any other position start: `0` (trim horizon) or `at:<ms>`, fixed at `start()`.
    let initialPosition: KinesisInitialPosition
    let initialMarker = Mutex("0")
    let state = Mutex(State())
    /// The Kinesis API and, in lease mode, the leases; set by `start()` (credentials are read there).
    let clients = Mutex<(api: KinesisAPI, leases: KinesisShardLeases?)?>(nil)
    /// Renews the leases every third of their duration, apart from the batches (lease mode).
    let renewal = Mutex<Task<Void, Never>?>(nil)
    static let keptRanges = 512

    init(stream: String, region: String, endpoint: String?, initialPosition: KinesisInitialPosition,
         application: String, options: KinesisStreamOptions, batchIntervalMs: Int, logger: Logger) {
        self.stream = stream
        self.region = region
        self.endpoint = endpoint
        self.initialPosition = initialPosition
        self.application = application
        self.options = options
        self.batchIntervalMs = batchIntervalMs
        self.logger = logger
    }

    var name: String { "kinesisStream" }
    var isRateLimited: Bool { true }

    /// The Kinesis API (after `start()`, or made on demand for a replay before it).
    func api() throws -> KinesisAPI {
        try clients.withLock { made in
            if let made { return made.api }
            guard !region.isEmpty else { throw KinesisError.missingRegion }
            let credentials = try options.credentials ?? AWSCredentials.fromEnvironment()
            let client = try AWSJSONClient(service: .kinesis, region: region, endpoint: endpoint,
                                           credentials: credentials, retry: options.retry,
                                           timeout: options.requestTimeout, logger: logger)
            var leases: KinesisShardLeases?
            if case let .leases(duration) = options.assignment {
                let dynamo = try AWSJSONClient(service: .dynamoDB, region: region, endpoint: endpoint,
                                               credentials: credentials, retry: options.retry,
                                               timeout: options.requestTimeout, logger: logger)
                let owner = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
                leases = KinesisShardLeases(table: LeaseTable(client: dynamo, name: application), stream: stream,
                                            owner: owner, duration: duration, logger: logger)
            }
            made = (api: KinesisAPI(client: client), leases: leases)
            return made!.api
        }
    }

    var leases: KinesisShardLeases? { clients.withLock { $0?.leases } }

    // MARK: lifecycle

    /// Finds the shards (and in lease mode creates the lease table and takes a share); fails with a message
    /// naming the fix when the credentials, the endpoint or the stream are wrong.
    func start() async throws {
        do {
            _ = try api()
            try await leases?.table.create()
            switch initialPosition {
            case .trimHorizon: break
            case .latest: initialMarker.withLock { $0 = "at:\(Int64(Date().timeIntervalSince1970 * 1000))" }
            case let .atTimestamp(date): initialMarker.withLock { $0 = "at:\(Int64(date.timeIntervalSince1970 * 1000))" }
            }
            try await sync(force: true)
        } catch {
            throw SpateError.sourceFailed(source: "kinesisStream", reason: "\(error)")
        }
        if let leases, case let .leases(duration) = options.assignment {
            renewal.withLock {
                $0 = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: duration / 3)
                        await leases.renewHeld()
                    }
                }
            }
        }
        let reading = state.withLock { s in s.started = true; return s.reading }
        logger.info("kinesisStream started", metadata: [
            "stream": "\(stream)", "application": "\(application)", "endpoint": "\(endpoint ?? "AWS \(region)")",
            "shards": "\(reading.joined(separator: " "))"])
    }

    /// Releases the leases (the others take the shards at once) on a graceful stop; a killed process's leases
    /// expire instead.
    func stop(graceful: Bool) async {
        renewal.withLock { $0?.cancel() }
        await leases?.releaseAll()
    }

    // MARK: shards

    /// Lists the shards and, in lease mode, syncs the leases, when `shardSyncInterval` (or a third of the lease
    /// duration) passed; then sets the shards read and their starting positions.
    func sync(force: Bool = false) async throws {
        var interval = options.shardSyncInterval
        if case let .leases(duration) = options.assignment { interval = min(interval, duration / 3) }
        let due = state.withLock { s in force || s.lastSync.map { ContinuousClock.now - $0 >= interval } ?? true }
        guard due else { return }
        state.withLock { $0.lastSync = .now }
        let shards = try await api().listShards(stream: stream)
        var owned: Set<String>?, checkpoints: [String: String] = [:], endedByAnyone: Set<String> = []
        if let leases {
            let view = try await leases.sync(shards)
            owned = view.owned
            checkpoints = view.checkpoints
            endedByAnyone = view.ended
        }
        let ended = state.withLock { $0.ended }.union(endedByAnyone)
        let readable = ShardLineage.readable(shards, ended: ended).map(\.ShardId)
            .filter { owned?.contains($0) ?? true }
        let known = state.withLock { $0.next }
        let fresh = readable.filter { known[$0] == nil }
        var starts: [String: String] = [:]
        if !fresh.isEmpty {
            let stored = try await storedPositions(fresh)
            let restored = state.withLock { $0.restored }
            let initial = initialMarker.withLock { $0 }
            for shard in fresh {
                let leased = checkpoints[shard].flatMap { $0 == "0" || $0 == LeaseTable.shardEnd ? nil : $0 }
                starts[shard] = stored[shard] ?? restored[shard] ?? leased ?? initial
            }
        }
        let (gone, added) = state.withLock { s -> ([String], [String]) in
            s.shards = shards
            s.ended.formUnion(endedByAnyone)
            let gone = s.reading.filter { !readable.contains($0) && !s.ended.contains($0) }
            // A shard read to its end keeps its position (the checkpoint holds it); one whose lease moved away
            // starts again from the store or the lease if it comes back.
            for shard in Set(s.reading).subtracting(readable) {
                if !s.ended.contains(shard) { s.next[shard] = nil }
                s.iterators[shard] = nil
            }
            for (shard, start) in starts { s.next[shard] = start }
            s.reading = readable.sorted { SourcePartition(stream: stream, id: $0) < SourcePartition(stream: stream, id: $1) }
            return (gone, fresh)
        }
        if !gone.isEmpty || !added.isEmpty {
            logger.info("kinesisStream shards changed", metadata: [
                "stream": "\(stream)", "added": "\(added.map { "\($0)@\(starts[$0] ?? "")" }.joined(separator: " "))",
                "removed": "\(gone.joined(separator: " "))"])
        }
    }

    /// The store's positions of `shards` (on the blocking pool: a store may call libpq).
    private func storedPositions(_ shards: [String]) async throws -> [String: String] {
        guard let store = options.storedPositions else { return [:] }
        let partitions = shards.map { SourcePartition(stream: stream, id: $0) }
        let group = application
        let stored = try await BlockingIO.run { try store.storedOffsets(group: group, partitions: partitions) }
        return Dictionary(stored.map { ($0.key.id, $0.value.value) }) { a, _ in a }
    }

    /// The shards this process reads now.
    var readingShards: [String] { state.withLock { $0.reading } }

    /// Moves the positions of the shards still read back to `offsets` (a sink found other positions stored:
    /// another process wrote those shards).
    func rewind(_ offsets: [SourcePartition: SourceOffset]) {
        let moved = state.withLock { s -> [String] in
            var moved: [String] = []
            for (p, offset) in offsets where p.stream == stream && s.reading.contains(p.id) && s.next[p.id] != offset.value {
                moved.append("\(p.id)@\(s.next[p.id] ?? "")->\(offset.value)")
                s.next[p.id] = offset.value
                s.iterators[p.id] = nil
                s.ended.remove(p.id)
            }
            return moved
        }
        if !moved.isEmpty {
            logger.warning("Kinesis stream rewound to the stored positions; those records are read again",
                           metadata: ["stream": "\(stream)", "shards": "\(moved.joined(separator: " "))"])
        }
    }

    // MARK: batches

    /// Reads the batch for `time`: every shard read, concurrently, up to its bound.
    func cut(at time: BatchTime, limit: Int?) async -> SourceBatch<KinesisRecord, [SourceOffsetRange]> {
        do { try await sync() } catch {
            logger.warning("Kinesis shard sync failed; reading the shards known so far", metadata: [
                "stream": "\(stream)", "error": "\(error)"])
        }
        let (reading, next) = state.withLock { ($0.reading, $0.next) }
        let most = options.perShard(intervalMs: batchIntervalMs, allowance: limit, shards: reading.count)
        let reads = await withTaskGroup(of: (Int, ShardRead).self) { group in
            for (i, shard) in reading.enumerated() {
                let from = next[shard] ?? initialMarker.withLock { $0 }
                group.addTask { (i, await self.read(shard, after: from, most: most)) }
            }
            var reads = [ShardRead?](repeating: nil, count: reading.count)
            for await (i, read) in group { reads[i] = read }
            return reads.compactMap { $0 }
        }
        var ranges: [SourceOffsetRange] = [], described: [String: String] = [:], ended: [String] = []
        for (shard, read) in zip(reading, reads) {
            let from = next[shard] ?? initialMarker.withLock { $0 }
            ranges.append(SourceOffsetRange(partition: SourcePartition(stream: stream, id: shard),
                                            from: SourceOffset(from), until: SourceOffset(read.last ?? from)))
            if read.ended { ended.append(shard) }
            described["\(stream)-\(shard)"] = "sequence numbers (\(from), \(read.last ?? from)], \(read.records.count) "
                + "records, \(read.millisBehind.map { "\($0) ms" } ?? "unknown") behind" + (read.ended ? ", shard end" : "")
                + (read.error.map { ", error: \($0)" } ?? "")
        }
        state.withLock { s in
            for r in ranges where s.reading.contains(r.sourcePartition.id) { s.next[r.sourcePartition.id] = r.until.value }
            s.ended.formUnion(ended)
            // A shard that ended frees its children: list the shards again at the next cut.
            if !ended.isEmpty { s.lastSync = nil }
            s.ranges[time.milliseconds] = ranges
            s.endedIn[time.milliseconds] = ended.isEmpty ? nil : ended
            if s.ranges.count > Self.keptRanges, let oldest = s.ranges.keys.min() {
                s.ranges[oldest] = nil
                s.endedIn[oldest] = nil
            }
        }
        return SourceBatch(partitions: reads.map(\.records), descriptor: ranges, metadata: described)
    }

    func replay(_ ranges: [SourceOffsetRange], at time: BatchTime) async throws -> [[KinesisRecord]] {
        var partitions: [[KinesisRecord]] = []
        for range in ranges {
            partitions.append(try await reread(range, at: time))
        }
        state.withLock { $0.ranges[time.milliseconds] = ranges }
        return partitions
    }

    /// Every known shard's position (the shards read and those read to their end), as empty ranges.
    var position: [SourceOffsetRange] {
        state.withLock { s in
            s.next.keys.sorted().map {
                let at = SourceOffset(s.next[$0] ?? "0")
                return SourceOffsetRange(partition: SourcePartition(stream: stream, id: $0), from: at, until: at)
            }
        }
    }

    func restore(position saved: [SourceOffsetRange]) async throws {
        state.withLock { s in
            for r in saved where r.sourcePartition.stream == stream { s.restored[r.sourcePartition.id] = r.until.value }
        }
    }

    /// The ranges of the batch at `time` (nil when it is not, or no longer, known).
    func ranges(at time: BatchTime) -> [SourceOffsetRange]? { state.withLock { $0.ranges[time.milliseconds] } }

    /// The shards that were read to their end in the batch at `time`.
    func shardsEnded(at time: BatchTime) -> [String] { state.withLock { $0.endedIn[time.milliseconds] ?? [] } }
}
