import Foundation
import Logging
import Metrics
import Synchronization

/// Writes checkpoints: on the batch loop it only snapshots (state copies, source positions); encoding and
/// the atomic write run on a background task, one checkpoint after another.
///
/// At most one checkpoint waits for the writer: when a newer one is taken while an older one still waits
/// (the disk is slower than the checkpoint interval), the older one is superseded, never written, and counted
/// (`supersededCount`, the metric `spate_checkpoints_superseded_total`, a rate-limited warning), so a slow
/// disk costs recovery points, not memory. The newest checkpoint is always written.
final class Checkpointer: Sendable {
    let directory: URL
    let intervalMs: Int
    private let graph: DStreamGraph
    private let logger: Logger
    private let writes: AsyncStream<@Sendable () async -> Void>.Continuation
    private let writer: Task<Void, Never>
    private let lastWritten = Mutex<Int?>(nil)
    private let lastTaken = Mutex<Int?>(nil)
    private let superseded = Mutex(SupersededCount())
    private let supersededMetric = Counter(label: "spate_checkpoints_superseded_total")
    private let failure = Mutex<CheckpointError?>(nil)
    /// The source parts of the checkpoints on disk, oldest first (nil until the first write read them): recovery
    /// may fall back to any of them, so each source keeps what the oldest needs (its write-ahead log segments).
    private let fallbacks = Mutex<[(time: Int, sources: [String: SourceCheckpoint])]?>(nil)

    /// A checkpointer of `graph`'s participants writing to `directory` every `intervalMs` of batch time.
    init(graph: DStreamGraph, logger: Logger, directory: URL, intervalMs: Int) {
        self.graph = graph
        self.logger = logger
        self.directory = directory
        self.intervalMs = intervalMs
        // Buffering only the newest: a write queued while another waits replaces it (see `queue(_:at:)`).
        let (stream, continuation) = AsyncStream.makeStream(
            of: (@Sendable () async -> Void).self, bufferingPolicy: .bufferingNewest(1))
        self.writes = continuation
        self.writer = Task {
            // A crash during a write leaves its temporary file behind: cleaned before the first write.
            _ = try? await BlockingIO.run { CheckpointFile.removeLeftovers(in: directory) }
            for await write in stream { await write() }
        }
    }

    /// Records that the checkpoint of `timeMs` with `sources` is on disk and returns, per source, the part of
    /// the oldest checkpoint still kept: what a source may drop data up to. (Truncating to the newest one's
    /// needs would leave a fallback to an older checkpoint, after the newest turned out corrupt, without the
    /// write-ahead log segments its batches replay from.) Blocks on first use: it reads the older checkpoints.
    private func retain(_ timeMs: Int, _ sources: [String: SourceCheckpoint]) -> [String: SourceCheckpoint] {
        let known = fallbacks.withLock { $0 } ?? Array(CheckpointFile.sourceParts(
            in: directory, beforeMs: timeMs, limit: CheckpointFile.kept - 1).reversed())
        var kept = known.filter { $0.time < timeMs }
        kept.append((timeMs, sources))
        kept = Array(kept.suffix(CheckpointFile.kept))
        fallbacks.withLock { $0 = kept }
        var oldest: [String: SourceCheckpoint] = [:]
        for entry in kept.reversed() { oldest.merge(entry.sources) { _, older in older } }
        return oldest
    }

    /// Why the last write failed; nil after a successful one.
    var lastFailure: CheckpointError? { failure.withLock { $0 } }

    /// The newest checkpoint written so far.
    var lastWrittenTime: BatchTime? { lastWritten.withLock { $0.map(BatchTime.init(milliseconds:)) } }

    /// Called after batch `time` completed: snapshots and queues a write when `time` is a checkpoint time.
    /// Returns the time spent on the batch loop.
    func batchCompleted(_ time: BatchTime, pendingMs: [Int], force: Bool = false) -> Duration? {
        let zeroMs = graph.zeroMs
        guard force || (time.milliseconds - zeroMs) % intervalMs == 0 else { return nil }
        if lastTaken.withLock({ $0 == time.milliseconds }) { return nil }
        let start = ContinuousClock.now
        let sources = graph.recoverableSources
        let interval = graph.batchIntervalMs
        let keepFrom = time.milliseconds - graph.maxRememberMs - interval
        let encoders = graph.checkpointed.map { ($0.checkpointName, $0.snapshot()) }
        let sourceSnapshots = sources.mapValues { $0.checkpoint(keepFrom) }
        let directory = self.directory
        let logger = self.logger
        lastTaken.withLock { $0 = time.milliseconds }
        queue(at: time) { [self] in
            do {
                var ops: [String: OperatorCheckpoint] = [:]
                for (name, encode) in encoders { ops[name] = try encode() }
                let sourceStates = try sourceSnapshots.mapValues { try $0() }
                let data = CheckpointData(
                    batchIntervalMs: interval, zeroMs: zeroMs, completedMs: time.milliseconds,
                    pendingMs: pendingMs, sources: sourceStates, operators: ops,
                    writtenAtMs: StreamingContext.wallClockMs())
                let oldest = try await BlockingIO.run { [self] in
                    try CheckpointFile.write(data, to: directory)
                    return retain(time.milliseconds, sourceStates)
                }
                self.lastWritten.withLock { $0 = time.milliseconds }
                self.failure.withLock { $0 = nil }
                for (name, handle) in sources { if let part = oldest[name] { handle.written(part) } }
            } catch {
                let reported = error as? CheckpointError
                    ?? .writeFailed(path: directory.path, reason: "cannot encode the checkpoint: \(error)")
                self.failure.withLock { $0 = reported }
                logger.error("checkpoint failed; the previous checkpoint stays in use", metadata: [
                    "batch": "\(time)", "directory": "\(directory.path)", "error": "\(error)"])
            }
        }
        return ContinuousClock.now - start
    }

    /// How many checkpoints were superseded by a newer one before the writer reached them.
    var supersededCount: Int { superseded.withLock { $0.total } }

    /// Hands `write` (the checkpoint of `time`) to the writer, superseding the one still waiting, if any.
    private func queue(at time: BatchTime, _ write: @escaping @Sendable () async -> Void) {
        guard case .dropped = writes.yield(write) else { return }
        supersededMetric.increment()
        let report = superseded.withLock { $0.count(atMs: StreamingContext.wallClockMs()) }
        if let report {
            logger.warning("checkpoint superseded before it was written: the disk is slower than the checkpoint interval; the newest checkpoint is written instead", metadata: [
                "newest": "\(time)", "supersededSinceLastWarning": "\(report)",
                "fix": "checkpoint less often (DStream.checkpoint(interval:)) or use a faster disk"])
        }
    }

    /// Waits for queued writes and stops the writer.
    func finish() async {
        writes.finish()
        await writer.value
    }
}

/// Superseded checkpoints, with the warning limited to one every 10 s.
private struct SupersededCount: Sendable {
    var total = 0
    var sinceWarning = 0
    var warnedAtMs: Int?

    /// Counts one; returns how many to report when a warning is due.
    mutating func count(atMs now: Int) -> Int? {
        total += 1
        sinceWarning += 1
        if let warnedAtMs, now - warnedAtMs < 10_000 { return nil }
        defer { (warnedAtMs, sinceWarning) = (now, 0) }
        return sinceWarning
    }
}
