import Foundation
import Logging
import Spate
import Synchronization

/// The snapshots of a partition-scoped state, one file per Kafka partition in a directory every process of
/// the consumer group reaches (`<directory>/<group>/<topic>-<partition>.json`): the partition's offset and
/// its keys' states at that offset. Also the stream's offset store: a partition assigned to a process starts
/// at its snapshot's offset, so state and position always agree.
///
/// No file is touched on a batch's (cooperative) thread: the stream reads the snapshots of the partitions a
/// batch brings while it cuts the batch, on the blocking pool (`prefetch`), so `load` finds them in memory;
/// `save` only queues the partition's table, and a writer on the blocking pool encodes and writes it durably
/// (temporary file, fsync, rename, fsync of the directory), the newest table of each partition first served.
final class KafkaStateSnapshots: SourceOffsetStore {
    let directory: URL
    let logger: Logger

    /// Snapshot files read ahead (nil: the partition has none), and the partitions the state holds now.
    private struct ReadAhead {
        var files: [KafkaTopicPartition: Data?] = [:]
        var held: Set<KafkaTopicPartition> = []
    }

    /// Tables waiting to be written, the newest per partition (so at most one per partition), and whether a
    /// writer is draining them.
    private struct Queue {
        var tables: [KafkaTopicPartition: @Sendable () throws -> Data] = [:]
        var draining = false
    }

    private let readAhead = Mutex(ReadAhead())
    private let queue = Mutex(Queue())
    /// Held while writing, so two writers never write one partition's file at once.
    private let writing = Mutex(())

    init(directory: String, group: String, logger: Logger) throws {
        self.directory = URL(fileURLWithPath: directory).appendingPathComponent(group, isDirectory: true)
        self.logger = logger
        do {
            try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        } catch {
            throw KafkaError.stateDirectoryUnwritable(path: self.directory.path, reason: "\(error)")
        }
    }

    func file(_ tp: KafkaTopicPartition) -> URL { directory.appendingPathComponent("\(tp.topic)-\(tp.partition).json") }

    /// At the stream's start, on the blocking pool: removes the temporary files a crash left behind mid-write
    /// (the snapshot they were to replace is still whole).
    func prepare() throws {
        BlockingIO.assertBlockingAllowed("state snapshot directory scan")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasSuffix(".tmp") {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
            logger.notice("removed a partition state snapshot left half-written", metadata: ["file": "\(name)"])
        }
    }

    private struct Header: Decodable { var offset: Int64 }

    /// Reads (on the blocking pool) each partition's snapshot, keeps it for `load`, and returns its offset.
    func storedOffsets(group: String, partitions: [SourcePartition]) throws -> [SourcePartition: SourceOffset] {
        var offsets: [SourcePartition: SourceOffset] = [:]
        for tp in partitions {
            guard let data = read(tp) else { continue }
            offsets[tp] = SourceOffset(try StateJSON.decoder().decode(Header.self, from: data).offset)
        }
        return offsets
    }

    /// Reads ahead (on the blocking pool) the snapshots of those of `partitions` the state does not hold, for
    /// the batch about to bring them.
    func prefetch(_ partitions: [KafkaTopicPartition]) {
        let wanted = readAhead.withLock { r in partitions.filter { !r.held.contains($0) } }
        for tp in wanted { _ = read(tp) }
    }

    /// The partition's snapshot file (nil when it has none), kept for `load`.
    private func read(_ tp: KafkaTopicPartition) -> Data? {
        BlockingIO.assertBlockingAllowed("state snapshot read")
        let data = try? Data(contentsOf: file(tp))
        readAhead.withLock { _ = $0.files.updateValue(data, forKey: tp) }
        return data
    }

    /// Records which partitions the state holds after a batch (their snapshots need no reading ahead).
    func hold(_ partitions: Set<KafkaTopicPartition>) {
        readAhead.withLock { r in
            r.held = partitions
            for tp in partitions { r.files[tp] = nil }
        }
    }

    /// The partition's state from its snapshot (read ahead by the batch's cut), marked restored; nil when it
    /// has none.
    func load<K: Hashable & Codable, S: Codable>(_ tp: KafkaTopicPartition) throws -> PartitionTable<K, S>? {
        let readAheadFile = readAhead.withLock { $0.files.removeValue(forKey: tp) }
        let file: Data?
        if let readAheadFile {
            file = readAheadFile
        } else {
            // Every cut and replay reads ahead the partitions its batch brings; this is only a safety net.
            logger.warning("partition state snapshot read on a batch thread (not read ahead)", metadata: ["partition": "\(tp)"])
            file = try? Data(contentsOf: self.file(tp))
        }
        guard let data = file else { return nil }
        let snapshot: PartitionSnapshot<K, S>
        do {
            snapshot = try StateJSON.decoder().decode(PartitionSnapshot<K, S>.self, from: data)
        } catch {
            throw SpateError.sourceFailed(source: "partitionedUpdateStateByKey", reason:
                "the state snapshot \(self.file(tp).path) does not decode as this program's keys and states "
                    + "(\(error)): use a new stateDirectory (or group id) for a changed program")
        }
        let states = Dictionary(zip(snapshot.keys, snapshot.states), uniquingKeysWith: { _, b in b })
        let updated = snapshot.updatedMs.map { Dictionary(zip(snapshot.keys, $0), uniquingKeysWith: { _, b in b }) }
        logger.info("partition state restored from its snapshot", metadata: [
            "partition": "\(tp)", "offset": "\(snapshot.offset)", "keys": "\(states.count)"])
        return PartitionTable(states: states, expected: snapshot.offset, restored: true, updatedMs: updated ?? [:])
    }

    /// Queues the partition's table for the writer (it replaces an older one still waiting) and starts the
    /// writer on the blocking pool when none runs. Returns at once.
    func save<K: Codable, S: Codable>(_ tp: KafkaTopicPartition, _ p: PartitionTable<K, S>) {
        let encode: @Sendable () throws -> Data = {
            let keys = Array(p.states.keys)
            return try StateJSON.encoder().encode(PartitionSnapshot(
                offset: p.expected, keys: keys, states: keys.map { p.states[$0]! },
                updatedMs: p.updatedMs.isEmpty ? nil : keys.map { p.updatedMs[$0] ?? 0 }))
        }
        let startWriter = queue.withLock { q -> Bool in
            q.tables[tp] = encode
            defer { q.draining = true }
            return !q.draining
        }
        if startWriter {
            Task.detached { [self] in _ = try? await BlockingIO.run { self.writePending() } }
        }
    }

    /// Writes every queued table (on the blocking pool) until none is left: at the stream's stop, and by the
    /// writer `save` starts.
    func writePending() {
        writing.withLock { _ in
            while let (tp, encode) = queue.withLock({ q -> (KafkaTopicPartition, @Sendable () throws -> Data)? in
                guard let next = q.tables.first else {
                    q.draining = false
                    return nil
                }
                q.tables[next.key] = nil
                return (next.key, next.value)
            }) {
                do {
                    BlockingIO.assertBlockingAllowed("partition snapshot write (fsync)")
                    try DurableFile.replace(try encode(), at: file(tp))
                } catch {
                    // The previous snapshot stays, and it is consistent; a new owner replays more from it.
                    logger.error("cannot write a partition state snapshot", metadata: [
                        "partition": "\(tp)", "file": "\(file(tp).path)", "error": "\(error)"])
                }
            }
        }
    }
}
