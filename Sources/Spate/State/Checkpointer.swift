import Foundation
import Logging
import Synchronization

/// Writes checkpoints: on the batch loop it only snapshots (state copies, source positions); encoding and
/// the atomic write run on a background task, one checkpoint after another.
final class Checkpointer: Sendable {
    let directory: URL
    let intervalMs: Int
    private let graph: DStreamGraph
    private let logger: Logger
    private let writes: AsyncStream<@Sendable () async -> Void>.Continuation
    private let writer: Task<Void, Never>
    private let lastWritten = Mutex<Int?>(nil)
    private let lastTaken = Mutex<Int?>(nil)

    /// A checkpointer of `graph`'s participants writing to `directory` every `intervalMs` of batch time.
    init(graph: DStreamGraph, logger: Logger, directory: URL, intervalMs: Int) {
        self.graph = graph
        self.logger = logger
        self.directory = directory
        self.intervalMs = intervalMs
        let (stream, continuation) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
        self.writes = continuation
        self.writer = Task { for await write in stream { await write() } }
    }

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
        writes.yield { [self] in
            do {
                var ops: [String: OperatorCheckpoint] = [:]
                for (name, encode) in encoders { ops[name] = try encode() }
                let sourceStates = try sourceSnapshots.mapValues { try $0() }
                let data = CheckpointData(
                    batchIntervalMs: interval, zeroMs: zeroMs, completedMs: time.milliseconds,
                    pendingMs: pendingMs, sources: sourceStates, operators: ops,
                    writtenAtMs: StreamingContext.wallClockMs())
                try CheckpointFile.write(data, to: directory)
                self.lastWritten.withLock { $0 = time.milliseconds }
                for (name, handle) in sources { if let part = sourceStates[name] { handle.written(part) } }
            } catch {
                logger.error("checkpoint failed; the previous checkpoint stays in use", metadata: [
                    "batch": "\(time)", "directory": "\(directory.path)", "error": "\(error)"])
            }
        }
        return ContinuousClock.now - start
    }

    /// Waits for queued writes and stops the writer.
    func finish() async {
        writes.finish()
        await writer.value
    }
}
