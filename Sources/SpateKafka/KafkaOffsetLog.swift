import Foundation
import Logging
import Spate
import Synchronization

/// The direct stream's offsets log (Spark Structured Streaming's `offsets/` log): every batch's offset ranges,
/// written durably (`<checkpoint>/kafkaOffsets/<group>/<batch time ms>.json`: temporary file fsynced, renamed,
/// directory fsynced) when the batch is cut, before it runs. After a recovery, a batch time the checkpoint does
/// not cover is cut again with the ranges it had, so the batches between the checkpoint and the crash (their
/// results may already be stored with their offsets in PostgreSQL) are read as the same batches, not as one:
/// event-time lateness and windows come out as in an uninterrupted run.
///
/// Bounded: an entry goes once the oldest kept checkpoint covers it (`checkpointWritten`), and at most
/// `DirectKafkaSource.keptRanges` entries are kept. Every method that touches files blocks: callers run on the
/// blocking pool (`cut`, `start`).
final class KafkaOffsetLog: Sendable {
    private struct State {
        /// The entries read back at a recovery, by batch time: used once each, by the cut of that time.
        var planned: [Int: [KafkaOffsetRange]] = [:]
        /// The entries on disk, and the offsets after each of their batches, by batch time.
        var written: [Int: [KafkaTopicPartition: Int64]] = [:]
        /// Entries the oldest kept checkpoint covers, deleted by the next cut (on the blocking pool).
        var obsolete: [Int] = []
    }

    private let directory: @Sendable () -> URL?
    private let logger: Logger
    private let state = Mutex(State())
    private let kept: Int

    /// The log of group `group` under the checkpoint directory `checkpoint()` returns (none while nil).
    init(group: String, checkpoint: @escaping @Sendable () -> URL?, kept: Int, logger: Logger) {
        let folder = String(group.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        directory = { checkpoint()?.appendingPathComponent("kafkaOffsets").appendingPathComponent(folder) }
        self.kept = kept
        self.logger = logger
    }

    /// At a start from a checkpoint: reads every entry back, for the cuts of those batch times. Unreadable
    /// entries (a torn write cannot leave one, a damaged disk can) are skipped with a warning: those batches are
    /// cut from the stream's position as without a log.
    func recover() {
        BlockingIO.assertBlockingAllowed("offsets log read")
        guard let directory = directory() else { return }
        var planned: [Int: [KafkaOffsetRange]] = [:]
        for (time, url) in entries(in: directory) {
            do {
                planned[time] = try JSONDecoder().decode([KafkaOffsetRange].self, from: Data(contentsOf: url))
            } catch {
                logger.warning("an offsets log entry cannot be read; its batch is cut from the stream's position",
                               metadata: ["file": "\(url.path)", "error": "\(error)"])
            }
        }
        state.withLock { s in
            s.planned = planned
            s.written = planned.mapValues { Dictionary($0.map { ($0.topicPartition, $0.untilOffset) }) { a, _ in a } }
        }
    }

    /// At a start without a checkpoint: entries of an earlier run describe batches this run does not replay.
    func clear() {
        BlockingIO.assertBlockingAllowed("offsets log clear")
        guard let directory = directory() else { return }
        for (_, url) in entries(in: directory) { unlink(url.path) }
        state.withLock { $0 = State() }
    }

    /// The logged ranges of the batch at `time`, when they continue the stream exactly: the same partitions, in
    /// order, each starting at `next`. Taken once.
    func plannedRanges(at time: BatchTime, partitions: [KafkaTopicPartition], next: [KafkaTopicPartition: Int64])
        -> [KafkaOffsetRange]?
    {
        guard let ranges = state.withLock({ $0.planned.removeValue(forKey: time.milliseconds) }) else { return nil }
        guard ranges.map(\.topicPartition) == partitions,
              ranges.allSatisfy({ $0.fromOffset == next[$0.topicPartition] ?? 0 })
        else {
            logger.warning("the offsets log's batch does not continue the stream; it is cut from the stream's position",
                           metadata: ["batch": "\(time)"])
            return nil
        }
        return ranges
    }

    /// Writes the batch's ranges durably before the batch runs, after deleting the entries checkpoints cover.
    /// A failed write is logged: the batch runs, and only a recovery right after it loses the exact batching.
    func write(_ ranges: [KafkaOffsetRange], at time: BatchTime) {
        BlockingIO.assertBlockingAllowed("offsets log write")
        guard let directory = directory() else { return }
        let (obsolete, overflow) = state.withLock { s -> ([Int], [Int]) in
            s.written[time.milliseconds] = Dictionary(ranges.map { ($0.topicPartition, $0.untilOffset) }) { a, _ in a }
            let overflow = Array(s.written.keys.sorted().dropLast(kept))
            for t in overflow + s.obsolete { s.written[t] = nil }
            defer { s.obsolete = [] }
            return (s.obsolete, overflow)
        }
        for t in obsolete + overflow { unlink(file(t, in: directory).path) }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try DurableFile.replace(try JSONEncoder().encode(ranges), at: file(time.milliseconds, in: directory))
        } catch {
            logger.error("the offsets log cannot be written: a recovery right after this batch reads the batches since the checkpoint as one", metadata: [
                "batch": "\(time)", "directory": "\(directory.path)", "error": "\(error)",
                "fix": "make the checkpoint directory writable and give it space"])
        }
    }

    /// A checkpoint whose stream position is `position` is the oldest one kept: the entries up to the batch it
    /// continues after are no longer needed (deleted by the next cut). That batch is the earliest logged one
    /// whose end offsets are `position` (a later one with the same offsets read nothing, and may still be needed).
    func checkpointWritten(position: [KafkaOffsetRange]) {
        let offsets = Dictionary(position.map { ($0.topicPartition, $0.untilOffset) }) { a, _ in a }
        state.withLock { s in
            guard let covered = s.written.filter({ $0.value == offsets }).keys.min() else { return }
            s.obsolete += s.written.keys.filter { $0 <= covered }
            s.planned = s.planned.filter { $0.key > covered }
        }
    }

    private func file(_ timeMs: Int, in directory: URL) -> URL { directory.appendingPathComponent("\(timeMs).json") }

    /// The entries in `directory` by batch time (leftover temporary files of a crashed write are removed).
    private func entries(in directory: URL) -> [(Int, URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name in
            let url = directory.appendingPathComponent(name)
            if name.hasSuffix(".tmp") { unlink(url.path); return nil }
            guard name.hasSuffix(".json"), let time = Int(name.dropLast(5)) else { return nil }
            return (time, url)
        }
    }
}
