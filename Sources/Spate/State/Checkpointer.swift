import Foundation
import Logging
import Synchronization

/// Writes checkpoints: on the batch loop it only snapshots (state copies, source positions); encoding and
/// the atomic write run on a background task, one checkpoint after another.
final class Checkpointer: Sendable {
    let directory: URL
    let intervalMs: Int
    private let context: StreamingContext
    private let writes: AsyncStream<@Sendable () async -> Void>.Continuation
    private let writer: Task<Void, Never>
    private let lastWritten = Mutex<Int?>(nil)
    private let lastTaken = Mutex<Int?>(nil)

    init(context: StreamingContext, directory: URL, intervalMs: Int) {
        self.context = context
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
    func batchCompleted(_ time: BatchTime, zeroMs: Int, pendingMs: [Int], force: Bool = false) -> Duration? {
        guard force || (time.milliseconds - zeroMs) % intervalMs == 0 else { return nil }
        if lastTaken.withLock({ $0 == time.milliseconds }) { return nil }
        let start = ContinuousClock.now
        let (operators, sources, nodes) = context.state.withLock { ($0.checkpointed, $0.recoverableSources, $0.nodes) }
        let maxRemember = nodes.map(\.rememberMs).max() ?? 0
        let keepFrom = time.milliseconds - maxRemember - context.batchIntervalMs
        let encoders = operators.map { ($0.checkpointName, $0.snapshot()) }
        let sourceSnapshots = sources.mapValues { $0.checkpoint(keepFrom) }
        let interval = context.batchIntervalMs
        let directory = self.directory
        let logger = context.logger
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

extension StreamingContext {
    /// Enables checkpoints in `directory`: the state of every window and state operator, source positions
    /// and the batches in flight are saved every checkpoint interval (by default the first multiple of the
    /// batch interval of at least 10 s; see `DStream.checkpoint(interval:)`), so `getOrCreate` can resume.
    public func checkpoint(directory: URL) {
        state.withLock { $0.checkpointDirectory = directory }
    }

    /// Builds the program with `create` and, when `checkpoint` holds a checkpoint, resumes from the newest
    /// intact one at `start()`: state, source positions and pending batches. A corrupt or truncated
    /// checkpoint is skipped with a warning and the previous one is used.
    ///
    /// Unlike Spark, which deserializes the graph, Spate always calls `create` (closures cannot be stored):
    /// the program is rebuilt, and state is matched to operators by their names (`named(_:)`).
    /// ```swift
    /// let ssc = try StreamingContext.getOrCreate(checkpoint: dir) {
    ///     let ssc = StreamingContext(batchInterval: .seconds(1))
    ///     // define sources, operators, outputs
    ///     return ssc
    /// }
    /// try await ssc.start()
    /// ```
    public static func getOrCreate(
        checkpoint directory: URL, create: () throws -> StreamingContext
    ) throws -> StreamingContext {
        let ssc = try create()
        ssc.checkpoint(directory: directory)
        if let data = CheckpointFile.latest(in: directory, warn: { ssc.logger.warning("\($0)") }) {
            ssc.state.withLock { $0.recovery = data }
            ssc.logger.info("recovering from checkpoint", metadata: [
                "batch": "\(data.completedMs) ms", "pending": "\(data.pendingMs.count)"])
        }
        return ssc
    }

    /// The checkpointer for a starting context, after checking that every stateful operator can be
    /// checkpointed; nil without a checkpoint directory.
    func makeCheckpointer() throws -> Checkpointer? {
        let (directory, interval, operators) = state.withLock {
            ($0.checkpointDirectory, $0.checkpointIntervalMs, $0.checkpointed)
        }
        guard let directory else { return nil }
        var seen = Set<String>()
        for op in operators {
            guard op.isCodable else { throw CheckpointError.notCodable(operatorName: op.checkpointName, type: op.kind) }
            guard seen.insert(op.checkpointName).inserted else {
                throw SpateError.invalidArgument(
                    "two stateful operators are named '\(op.checkpointName)': give each a distinct name with .named(_:)")
            }
        }
        let defaultMs = ((10_000 + batchIntervalMs - 1) / batchIntervalMs) * batchIntervalMs
        return Checkpointer(context: self, directory: directory, intervalMs: interval ?? defaultMs)
    }

    /// Applies a checkpoint before the first batch: operator states by name, then source positions.
    func applyRecovery(_ data: CheckpointData) async throws {
        guard data.batchIntervalMs == batchIntervalMs else {
            throw CheckpointError.incompatible(
                "the checkpoint was written with a batch interval of \(data.batchIntervalMs) ms, this program uses "
                    + "\(batchIntervalMs) ms: use the same batch interval, or an empty checkpoint directory")
        }
        let (operators, sources) = state.withLock { ($0.checkpointed, $0.recoverableSources) }
        var byName: [String: any CheckpointedOperator] = [:]
        for op in operators { byName[op.checkpointName] = op }
        for (name, saved) in data.operators.sorted(by: { $0.key < $1.key }) {
            guard let op = byName[name] else {
                throw CheckpointError.incompatible(
                    "operator '\(name)' (\(saved.kind)) is in the checkpoint but not in this program: keep the "
                        + "operator and its name (.named(_:)), or start from an empty checkpoint directory")
            }
            try op.restore(saved)
        }
        for op in operators where data.operators[op.checkpointName] == nil {
            logger.warning("operator not in the checkpoint; it starts empty", metadata: ["operator": "\(op.checkpointName)"])
        }
        for (name, saved) in data.sources {
            guard let source = sources[name] else {
                logger.warning("source in the checkpoint is not in this program; ignored", metadata: ["source": "\(name)"])
                continue
            }
            try await source.restore(saved, data.completedMs)
        }
    }
}

extension DStream {
    /// Names the stream. Checkpoints store a stateful operator's state under its name, so a rebuilt
    /// program with the same names restores its state; the dashboard shows it in the operator graph.
    /// ```swift
    /// let counts = try pairs.reduceByKeyAndWindow(+, inverse: -, length: .seconds(30)).named("campaign-counts")
    /// ```
    @discardableResult
    public func named(_ name: String) -> Self {
        nodeName.set(name)
        return self
    }

    /// Sets how often checkpoints are written (Spark's `DStream.checkpoint(interval)`); a multiple of the
    /// batch interval. The context checkpoints at the shortest interval any stream asks for.
    @discardableResult
    public func checkpoint(interval: Duration) -> Self {
        do {
            let ms = try context.checkMultiple(interval, "checkpoint interval")
            context.state.withLock { s in s.checkpointIntervalMs = Swift.min(s.checkpointIntervalMs ?? ms, ms) }
        } catch let error as SpateError {
            context.recordDefinitionError(error)
        } catch {}
        return self
    }
}
