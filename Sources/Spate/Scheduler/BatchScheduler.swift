import Foundation
import Logging
import Metrics
import Synchronization

/// Generates batches on the clock (Spark's JobGenerator) and runs them one after another (JobScheduler).
///
/// Generation cuts every source's data for the batch time; running evaluates each output operation whose
/// slide divides the time. With the system clock a timer task generates and a runner task processes, so a
/// slow batch shows up as scheduling delay of the next ones rather than as lost ticks.
final class BatchScheduler: Sendable {
    let context: StreamingContext
    let zeroMs: Int
    private let queue: AsyncStream<BatchTime>
    private let continuation: AsyncStream<BatchTime>.Continuation
    private let tasks = Mutex<(timer: Task<Void, Never>?, runner: Task<Void, Never>?)>((nil, nil))
    private let lastGenerated = Atomic<Int>(0)
    /// Invalid input records per batch time (from `SourceHooks.takeInvalidCount`), until the batch completes.
    private let invalidCounts = Mutex<[Int: Int]>([:])
    /// Source metadata per batch time (from `SourceHooks.takeMetadata`), until the batch completes.
    private let metadata = Mutex<[Int: [Int: [String: String]]]>([:])
    /// Rate bounds (records/s) per rate-limited source per batch time, until the batch completes.
    private let rateLimits = Mutex<[Int: [Int: Int]]>([:])
    private let recordsIn = Counter(label: "spate_records_in_total")
    private let failedRecords = Counter(label: "spate_failed_records_total")
    private let batchesDone = Counter(label: "spate_batches_completed_total")
    private let processingTimer = Metrics.Timer(label: "spate_batch_processing_seconds")
    private let schedulingTimer = Metrics.Timer(label: "spate_batch_scheduling_delay_seconds")

    /// Writes checkpoints after checkpoint batches, when checkpointing is on.
    let checkpointer: Checkpointer?
    /// The batch time generation resumes after: the zero time, or a recovered checkpoint's time.
    let resumeAfterMs: Int
    /// The checkpoint recovered from, reported on the first completed batch.
    private let recoveredFrom = Mutex<Int?>(nil)
    private let lastCompleted = Atomic<Int>(0)

    init(context: StreamingContext, zeroMs: Int, resumeAfterMs: Int? = nil, checkpointer: Checkpointer? = nil) {
        self.context = context
        self.zeroMs = zeroMs
        self.checkpointer = checkpointer
        self.resumeAfterMs = resumeAfterMs ?? zeroMs
        (queue, continuation) = AsyncStream.makeStream(of: BatchTime.self)
        lastGenerated.store(self.resumeAfterMs, ordering: .relaxed)
        lastCompleted.store(self.resumeAfterMs, ordering: .relaxed)
        if let resumeAfterMs { recoveredFrom.withLock { $0 = resumeAfterMs } }
    }

    /// Cuts every source's batch for `time` and records its submission.
    func generate(_ time: BatchTime) async {
        let sources = context.state.withLock { $0.sources }
        var counts: [Int: Int] = [:]
        for source in sources { counts[source.id] = await source.prepare(time) }
        recordRateLimits(time, sources: sources)
        let invalid = sources.reduce(0) { $0 + $1.hooks.takeInvalidCount() }
        if invalid > 0 { invalidCounts.withLock { $0[time.milliseconds] = invalid } }
        var described: [Int: [String: String]] = [:]
        for source in sources {
            let m = source.hooks.takeMetadata()
            if !m.isEmpty { described[source.id] = m }
        }
        if !described.isEmpty { metadata.withLock { $0[time.milliseconds] = described } }
        let now = StreamingContext.wallClockMs()
        context.state.withLock { s in
            s.inputCounts[time.milliseconds] = counts
            s.submissionTimes[time.milliseconds] = now
        }
        lastGenerated.store(time.milliseconds, ordering: .relaxed)
        let info = makeInfo(time, start: nil, end: nil, run: nil, outputs: [])
        for l in context.listeners { l.batchSubmitted(info) }
    }

    /// Runs the output operations of the batch at `time`.
    func run(_ time: BatchTime) async throws {
        let run = BatchRun(time: time)
        let start = StreamingContext.wallClockMs()
        let outputs = context.state.withLock { $0.outputs }
        let listeners = context.listeners
        let started = makeInfo(time, start: start, end: nil, run: nil, outputs: [])
        for l in listeners { l.batchStarted(started) }
        var infos: [OutputOperationInfo] = []
        for output in outputs where context.isValidTime(time, slideMs: output.slideMs) {
            let t0 = ContinuousClock.now
            try await output.run(time, run)
            infos.append(OutputOperationInfo(id: output.id, name: output.name,
                                             durationMilliseconds: (ContinuousClock.now - t0).wholeMilliseconds))
        }
        let end = StreamingContext.wallClockMs()
        let nodes = context.state.withLock { $0.nodes }
        for node in nodes { node.forget(before: time) }
        var info = makeInfo(time, start: start, end: end, run: run, outputs: infos)
        lastCompleted.store(time.milliseconds, ordering: .relaxed)
        for op in context.state.withLock({ $0.checkpointed }) { info.stateKeys[op.checkpointName] = op.keyCount }
        if let checkpointer {
            let generated = lastGenerated.load(ordering: .relaxed)
            let pending = stride(from: time.milliseconds + context.batchIntervalMs, through: generated,
                                 by: context.batchIntervalMs).map { $0 }
            info.checkpointDuration = checkpointer.batchCompleted(time, zeroMs: zeroMs, pendingMs: pending)
            info.lastCheckpointTime = checkpointer.lastWrittenTime
        }
        if let from = recoveredFrom.withLock({ r -> Int? in defer { r = nil }; return r }) {
            info.recoveredFrom = BatchTime(milliseconds: from)
            context.logger.notice("first batch after recovery", metadata: ["checkpoint": "\(from) ms", "batch": "\(time)"])
        }
        context.state.withLock { s in
            s.inputCounts[time.milliseconds] = nil
            s.submissionTimes[time.milliseconds] = nil
        }
        invalidCounts.withLock { $0[time.milliseconds] = nil }
        rateLimits.withLock { $0[time.milliseconds] = nil }
        metadata.withLock { $0[time.milliseconds] = nil }
        recordsIn.increment(by: info.numRecords)
        if info.failedRecords > 0 {
            failedRecords.increment(by: info.failedRecords)
            context.logger.warning("records failed in user code", metadata: [
                "batch": "\(time)", "failed": "\(info.failedRecords)",
                "first": "\(info.recordErrors.first ?? "")"])
        }
        batchesDone.increment()
        if let d = info.processingDelay { processingTimer.recordMilliseconds(d.wholeMilliseconds) }
        if let d = info.schedulingDelay { schedulingTimer.recordMilliseconds(d.wholeMilliseconds) }
        for l in listeners { l.batchCompleted(info) }
        for case let l as any AwaitedBatchListener in listeners { await l.batchFinished(info) }
    }

    private func makeInfo(
        _ time: BatchTime, start: Int?, end: Int?, run: BatchRun?, outputs: [OutputOperationInfo]
    ) -> BatchInfo {
        let (counts, submitted) = context.state.withLock {
            ($0.inputCounts[time.milliseconds] ?? [:], $0.submissionTimes[time.milliseconds] ?? StreamingContext.wallClockMs())
        }
        var info = BatchInfo(
            batchTime: time, numRecords: counts.values.reduce(0, +), streamIdToNumRecords: counts,
            submissionTime: submitted, processingStartTime: start, processingEndTime: end,
            failedRecords: run?.failedRecords ?? 0, recordErrors: run?.errorSamples ?? [],
            outputOperations: outputs,
            invalidRecords: invalidCounts.withLock { $0[time.milliseconds] ?? 0 },
            streamIdToRateLimit: rateLimits.withLock { $0[time.milliseconds] ?? [:] })
        info.streamIdToMetadata = metadata.withLock { $0[time.milliseconds] ?? [:] }
        return info
    }

    /// Keeps the rate bound each rate-limited source just cut its batch with, for the batch's `BatchInfo`.
    private func recordRateLimits(_ time: BatchTime, sources: [RegisteredSource]) {
        var limits: [Int: Int] = [:]
        for source in sources {
            if let bound = context.rateControl.limiter(for: source.id)?.lastCutBound { limits[source.id] = bound }
        }
        if !limits.isEmpty { rateLimits.withLock { $0[time.milliseconds] = limits } }
    }

    // MARK: System clock

    /// Starts the timer (generation) and runner (processing) tasks.
    func startTimer() {
        let interval = context.batchIntervalMs
        let timer = Task { [self] in
            var next = resumeAfterMs + interval
            while !Task.isCancelled {
                let wait = next - StreamingContext.wallClockMs()
                if wait > 0 {
                    do { try await Task.sleep(for: .milliseconds(wait)) } catch { break }
                }
                if Task.isCancelled { break }
                await generate(BatchTime(milliseconds: next))
                continuation.yield(BatchTime(milliseconds: next))
                next += interval
            }
        }
        let runner = Task { [self] in
            for await time in queue {
                do {
                    try await run(time)
                } catch {
                    context.logger.error("batch failed; stopping the context", metadata: [
                        "batch": "\(time)", "error": "\(error)"])
                    Task { await self.context.stop(graceful: false, error: error) }
                    break
                }
            }
        }
        tasks.withLock { $0 = (timer, runner) }
    }

    /// Stops generation. Graceful: one more batch takes whatever the stopped sources still hold, and the
    /// queued batches finish (within 10 batch intervals, at least 10 s); otherwise processing is cancelled.
    func shutdown(graceful: Bool, sources: [RegisteredSource], timeout: Duration? = nil) async {
        await drain(graceful: graceful, sources: sources, timeout: timeout)
        if let checkpointer {
            let last = lastCompleted.load(ordering: .relaxed)
            if graceful && last > zeroMs {
                // The final checkpoint: everything received was processed, nothing is pending.
                _ = checkpointer.batchCompleted(BatchTime(milliseconds: last), zeroMs: zeroMs, pendingMs: [], force: true)
            }
            await checkpointer.finish()
        }
    }

    private func drain(graceful: Bool, sources: [RegisteredSource], timeout: Duration?) async {
        let (timer, runner) = tasks.withLock { $0 }
        timer?.cancel()
        _ = await timer?.value
        if graceful, runner != nil {
            if sources.contains(where: { $0.hooks.hasPendingData() }) {
                let next = BatchTime(milliseconds: lastGenerated.load(ordering: .relaxed) + context.batchIntervalMs)
                await generate(next)
                continuation.yield(next)
            }
            continuation.finish()
            let limit = timeout ?? .milliseconds(10 * context.batchIntervalMs)
            let finished = await withTaskGroup(of: Bool.self) { group in
                group.addTask { _ = await runner?.value; return true }
                group.addTask { try? await Task.sleep(for: limit); return false }
                let first = await group.next() ?? false
                // The runner cannot be awaited past the deadline: cancel it so the group can end.
                if !first { runner?.cancel() }
                group.cancelAll()
                return first
            }
            if !finished {
                context.logger.warning("graceful stop timed out; abandoned queued batches", metadata: ["timeout": "\(limit)"])
            }
        } else {
            continuation.finish()
            runner?.cancel()
        }
    }
}
