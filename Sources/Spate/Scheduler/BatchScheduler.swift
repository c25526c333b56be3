import Logging
import Metrics
import Synchronization

/// Runs the generated batches one after another (Spark's JobScheduler): each output operation whose slide
/// divides the batch time, then the checkpoint and the listeners' `batchCompleted`.
///
/// With the system clock the generator's timer task generates and a runner task processes, so a slow batch
/// shows up as scheduling delay of the next ones rather than as lost ticks. The checkpoint is taken on the
/// runner, between two batches, because that is the only moment every operator's state is at one batch time.
final class BatchScheduler: Sendable {
    let graph: DStreamGraph
    let generator: JobGenerator
    /// Writes checkpoints after checkpoint batches, when checkpointing is on.
    let checkpointer: Checkpointer?
    private let listeners: StreamingListenerBus
    private let logger: Logger
    /// Called, on a task of its own, when a batch of the system clock's runner fails.
    private let onFailure: @Sendable (any Error) async -> Void
    private let queue: AsyncStream<GeneratedBatch>
    private let continuation: AsyncStream<GeneratedBatch>.Continuation
    /// Generated batches waiting for the runner (the one running not counted), at most `maxQueued`.
    private let queued = Atomic<Int>(0)
    private let maxQueued: Int
    private let tasks = Mutex<(timer: Task<Void, Never>?, runner: Task<Void, Never>?)>((nil, nil))
    /// The checkpoint recovered from, reported on the first completed batch.
    private let recoveredFrom: Mutex<Int?>
    private let lastCompleted: Atomic<Int>
    private let recordsIn = Counter(label: "spate_records_in_total")
    private let failedRecords = Counter(label: "spate_failed_records_total")
    private let batchesDone = Counter(label: "spate_batches_completed_total")
    private let expiredKeys = Counter(label: "spate_state_keys_expired_total")
    private let processingTimer = Metrics.Timer(label: "spate_batch_processing_seconds")
    private let schedulingTimer = Metrics.Timer(label: "spate_batch_scheduling_delay_seconds")
    private let eventTimeGauges = EventTimeGauges()

    /// A scheduler for the started `graph`; `recoveredFromMs` is the time of the checkpoint recovered from,
    /// after which generation resumes (otherwise the graph's zero time).
    init(
        graph: DStreamGraph, listeners: StreamingListenerBus, rateControl: RateControl,
        checkpointer: Checkpointer?, logger: Logger, recoveredFromMs: Int?,
        onFailure: @escaping @Sendable (any Error) async -> Void
    ) {
        let resumeAfterMs = recoveredFromMs ?? graph.zeroMs
        self.graph = graph
        self.generator = JobGenerator(
            graph: graph, listeners: listeners, rateControl: rateControl, logger: logger, resumeAfterMs: resumeAfterMs)
        self.maxQueued = rateControl.configuration.maxQueuedBatches
        self.checkpointer = checkpointer
        self.listeners = listeners
        self.logger = logger
        self.onFailure = onFailure
        (queue, continuation) = AsyncStream.makeStream(of: GeneratedBatch.self)
        recoveredFrom = Mutex(recoveredFromMs)
        lastCompleted = Atomic(resumeAfterMs)
    }

    /// Cuts every source's batch for `time` (the manual clock's `advance(by:)` generates this way).
    func generate(_ time: BatchTime) async -> GeneratedBatch { await generator.generate(time) }

    /// Runs the output operations of a generated batch.
    func run(_ batch: GeneratedBatch) async throws {
        let time = batch.time
        let run = BatchRun(time: time)
        let start = StreamingContext.wallClockMs()
        let listeners = self.listeners.all
        let started = batch.info(start: start, end: nil, run: nil, outputs: [])
        for l in listeners { l.batchStarted(started) }
        var infos: [OutputOperationInfo] = []
        for output in graph.outputs(at: time) {
            let t0 = ContinuousClock.now
            try await output.run(time, run)
            infos.append(OutputOperationInfo(id: output.id, name: output.name,
                                             durationMilliseconds: (ContinuousClock.now - t0).wholeMilliseconds))
        }
        for case let l as any AwaitedBatchListener in listeners { try await l.makeBatchDurable(time) }
        let end = StreamingContext.wallClockMs()
        graph.forget(before: time)
        var info = batch.info(start: start, end: end, run: run, outputs: infos)
        lastCompleted.store(time.milliseconds, ordering: .releasing)
        for op in graph.checkpointed {
            info.stateKeys[op.checkpointName] = op.keyCount
            let expired = op.takeExpiredKeys()
            if expired > 0 { info.expiredStateKeys[op.checkpointName] = expired }
            if let w = op.watermark { info.watermarks[op.checkpointName] = w }
            if let n = op.openEventTimeEntries { info.eventTimeState[op.checkpointName] = n }
        }
        if let checkpointer {
            let interval = graph.batchIntervalMs
            let pending = Array(stride(from: time.milliseconds + interval, through: generator.lastGeneratedMs,
                                       by: interval))
            info.checkpointDuration = checkpointer.batchCompleted(time, pendingMs: pending)
            info.lastCheckpointTime = checkpointer.lastWrittenTime
            info.checkpointFailure = checkpointer.lastFailure
        }
        if let from = recoveredFrom.withLock({ r -> Int? in defer { r = nil }; return r }) {
            info.recoveredFrom = BatchTime(milliseconds: from)
            logger.notice("first batch after recovery", metadata: ["checkpoint": "\(from) ms", "batch": "\(time)"])
        }
        record(info)
        for l in listeners { l.batchCompleted(info) }
        for case let l as any AwaitedBatchListener in listeners { await l.batchFinished(info) }
    }

    /// Counts a completed batch in the metrics and warns about records that failed in user code.
    private func record(_ info: BatchInfo) {
        recordsIn.increment(by: info.numRecords)
        if info.failedRecords > 0 {
            failedRecords.increment(by: info.failedRecords)
            logger.warning("records failed in user code", metadata: [
                "batch": "\(info.batchTime)", "failed": "\(info.failedRecords)",
                "first": "\(info.recordErrors.first ?? "")"])
        }
        batchesDone.increment()
        let expired = info.expiredStateKeys.values.reduce(0, +)
        if expired > 0 { expiredKeys.increment(by: expired) }
        eventTimeGauges.record(info)
        if let d = info.processingDelay { processingTimer.recordMilliseconds(d.wholeMilliseconds) }
        if let d = info.schedulingDelay { schedulingTimer.recordMilliseconds(d.wholeMilliseconds) }
    }

    // MARK: System clock

    /// Starts the timer (generation) and runner (processing) tasks.
    func startTimer() {
        let timer = Task { [self] in
            await generator.tick(queued: { queued.load(ordering: .acquiring) }, maxQueued: maxQueued) { enqueue($0) }
        }
        let runner = Task { [self] in
            for await batch in queue {
                queued.subtract(1, ordering: .releasing)
                do {
                    try await run(batch)
                } catch {
                    logger.error("batch failed; stopping the context", metadata: [
                        "batch": "\(batch.time)", "error": "\(error)"])
                    let onFailure = self.onFailure
                    Task { await onFailure(error) }
                    break
                }
            }
        }
        tasks.withLock { $0 = (timer, runner) }
    }

    /// Stops generation. Graceful: one more batch takes whatever the stopped sources still hold, and the
    /// queued batches finish (within `timeout`, by default 10 batch intervals); otherwise processing is
    /// cancelled. Then the final checkpoint (graceful) and the checkpoint writer's last writes.
    func shutdown(graceful: Bool, timeout: Duration? = nil) async {
        await drain(graceful: graceful, timeout: timeout)
        if let checkpointer {
            let last = lastCompleted.load(ordering: .acquiring)
            if graceful && last > graph.zeroMs {
                // The final checkpoint: everything received was processed, nothing is pending.
                _ = checkpointer.batchCompleted(BatchTime(milliseconds: last), pendingMs: [], force: true)
            }
            await checkpointer.finish()
        }
    }

    /// Hands a generated batch to the runner.
    private func enqueue(_ batch: GeneratedBatch) {
        queued.add(1, ordering: .releasing)
        continuation.yield(batch)
    }

    private func drain(graceful: Bool, timeout: Duration?) async {
        let (timer, runner) = tasks.withLock { $0 }
        if let timer { await generator.stopTicking(timer) }
        guard graceful, let runner else {
            continuation.finish()
            runner?.cancel()
            return
        }
        if graph.sources.contains(where: { $0.hooks.hasPendingData() }) {
            let next = BatchTime(milliseconds: generator.lastGeneratedMs + graph.batchIntervalMs)
            enqueue(await generator.generate(next))
        }
        continuation.finish()
        let limit = timeout ?? .milliseconds(10 * graph.batchIntervalMs)
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask { _ = await runner.value; return true }
            group.addTask { try? await Task.sleep(for: limit); return false }
            let first = await group.next() ?? false
            // The runner cannot be awaited past the deadline: cancel it so the group can end.
            if !first { runner.cancel() }
            group.cancelAll()
            return first
        }
        if !finished {
            logger.warning("graceful stop timed out; abandoned queued batches", metadata: ["timeout": "\(limit)"])
        }
    }
}
