import Foundation

extension StreamingContext {
    /// Enables checkpoints in `directory`: the state of every window and state operator, source positions
    /// and the batches in flight are saved every checkpoint interval (by default the first multiple of the
    /// batch interval of at least 10 s; see `DStream.checkpoint(interval:)`), so `getOrCreate` can resume.
    public func checkpoint(directory: URL) {
        state.withLock { $0.checkpointDirectory = directory }
    }

    /// The checkpoint directory, once set: connectors keep their own recovery logs under it (SpateKafka's
    /// offsets log).
    package var checkpointLocation: URL? { checkpointDirectory }

    /// Builds the program with `create` and, when `checkpoint` holds a checkpoint, resumes from the newest
    /// intact one at `start()`: state, source positions and pending batches. A corrupt or truncated
    /// checkpoint is skipped with a warning and the previous one is used (the sources keep what each of the
    /// kept checkpoints needs, write-ahead log segments included, so a fallback replays the same records).
    ///
    /// Rethrows what `create` throws. Throws `CheckpointError.formatVersionMismatch` when the newest checkpoint
    /// is of another format version (written by another Spate version): it is neither skipped nor deleted.
    /// When the program does not match the checkpoint (another batch
    /// interval, a stateful operator renamed, removed or of other types), `start()` throws a
    /// `CheckpointError` that says what to change.
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
        if let data = try CheckpointFile.latest(in: directory, warn: { ssc.logger.warning("\($0)") }) {
            ssc.state.withLock { $0.recovery = data }
            ssc.logger.info("recovering from checkpoint", metadata: [
                "batch": "\(data.completedMs) ms", "pending": "\(data.pendingMs.count)"])
        }
        return ssc
    }

    /// The checkpointer for a starting context, after checking that every stateful operator can be
    /// checkpointed; nil without a checkpoint directory.
    func makeCheckpointer() throws -> Checkpointer? {
        guard let directory = checkpointDirectory else { return nil }
        var seen = Set<String>()
        for op in graph.checkpointed {
            guard op.isCodable else { throw CheckpointError.notCodable(operatorName: op.checkpointName, type: op.kind) }
            guard seen.insert(op.checkpointName).inserted else {
                throw CheckpointError.duplicateOperatorName(op.checkpointName)
            }
        }
        let defaultMs = ((10_000 + batchIntervalMs - 1) / batchIntervalMs) * batchIntervalMs
        return Checkpointer(
            graph: graph, logger: logger, directory: directory, intervalMs: graph.checkpointIntervalMs ?? defaultMs)
    }

    /// Applies a checkpoint before the first batch: operator states by name, then source positions.
    func applyRecovery(_ data: CheckpointData) async throws {
        guard data.batchIntervalMs == batchIntervalMs else {
            throw CheckpointError.batchIntervalChanged(
                checkpointMilliseconds: data.batchIntervalMs, programMilliseconds: batchIntervalMs)
        }
        let (operators, sources) = (graph.checkpointed, graph.recoverableSources)
        var byName: [String: any CheckpointedOperator] = [:]
        for op in operators { byName[op.checkpointName] = op }
        // A state is brought to a batch when a consumer asks for it, at the latest one slide of the consumer after
        // the batch before: in a checkpoint this program wrote, every state is within the largest slide of the
        // completed batch. One further behind would make the first batch catch up batch by batch over the gap
        // (decades of batch times for a damaged file).
        let largestSlideMs = graph.nodes.map(\.slideMs).max() ?? batchIntervalMs
        for (name, saved) in data.operators.sorted(by: { $0.key < $1.key }) {
            guard let op = byName[name] else {
                throw CheckpointError.operatorNotInProgram(name: name, kind: saved.kind)
            }
            let behindMs = data.completedMs - (saved.lastMs ?? data.zeroMs)
            guard behindMs <= 2 * Swift.max(largestSlideMs, batchIntervalMs) else {
                throw CheckpointError.unreadableState(operatorName: name, reason:
                    "it was last brought to batch \(saved.lastMs.map { "\($0) ms" } ?? "none"), \(behindMs) ms before the "
                    + "checkpoint's completed batch (\(data.completedMs) ms), further than this program's largest slide "
                    + "(\(largestSlideMs) ms) allows: the checkpoint is damaged or not this program's")
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
            context.graph.requestCheckpointInterval(ms)
        } catch let error as SpateError {
            context.recordDefinitionError(error)
        } catch {}
        return self
    }
}

extension StreamingContext {
    /// The batch time this run continues after: the recovered checkpoint's, else the zero time. A stateful
    /// operator that the checkpoint did not restore starts there (the batches before are not this run's).
    var resumeAfterMs: Int { state.withLock { $0.recovery?.completedMs } ?? graph.zeroMs }
}
