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
    private let recordsIn = Counter(label: "spate_records_in_total")
    private let failedRecords = Counter(label: "spate_failed_records_total")
    private let batchesDone = Counter(label: "spate_batches_completed_total")
    private let processingTimer = Metrics.Timer(label: "spate_batch_processing_seconds")
    private let schedulingTimer = Metrics.Timer(label: "spate_batch_scheduling_delay_seconds")

    init(context: StreamingContext, zeroMs: Int) {
        self.context = context
        self.zeroMs = zeroMs
        (queue, continuation) = AsyncStream.makeStream(of: BatchTime.self)
        lastGenerated.store(zeroMs, ordering: .relaxed)
    }

    /// Cuts every source's batch for `time` and records its submission.
    func generate(_ time: BatchTime) {
        let sources = context.state.withLock { $0.sources }
        var counts: [Int: Int] = [:]
        for source in sources { counts[source.id] = source.prepare(time) }
        let invalid = sources.reduce(0) { $0 + $1.hooks.takeInvalidCount() }
        if invalid > 0 { invalidCounts.withLock { $0[time.milliseconds] = invalid } }
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
        let info = makeInfo(time, start: start, end: end, run: run, outputs: infos)
        context.state.withLock { s in
            s.inputCounts[time.milliseconds] = nil
            s.submissionTimes[time.milliseconds] = nil
        }
        invalidCounts.withLock { $0[time.milliseconds] = nil }
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
    }

    private func makeInfo(
        _ time: BatchTime, start: Int?, end: Int?, run: BatchRun?, outputs: [OutputOperationInfo]
    ) -> BatchInfo {
        let (counts, submitted) = context.state.withLock {
            ($0.inputCounts[time.milliseconds] ?? [:], $0.submissionTimes[time.milliseconds] ?? StreamingContext.wallClockMs())
        }
        return BatchInfo(
            batchTime: time, numRecords: counts.values.reduce(0, +), streamIdToNumRecords: counts,
            submissionTime: submitted, processingStartTime: start, processingEndTime: end,
            failedRecords: run?.failedRecords ?? 0, recordErrors: run?.errorSamples ?? [],
            outputOperations: outputs,
            invalidRecords: invalidCounts.withLock { $0[time.milliseconds] ?? 0 })
    }

    // MARK: System clock

    /// Starts the timer (generation) and runner (processing) tasks.
    func startTimer() {
        let interval = context.batchIntervalMs
        let timer = Task { [self] in
            var next = zeroMs + interval
            while !Task.isCancelled {
                let wait = next - StreamingContext.wallClockMs()
                if wait > 0 {
                    do { try await Task.sleep(for: .milliseconds(wait)) } catch { break }
                }
                if Task.isCancelled { break }
                generate(BatchTime(milliseconds: next))
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
    func shutdown(graceful: Bool, sources: [RegisteredSource]) async {
        let (timer, runner) = tasks.withLock { $0 }
        timer?.cancel()
        _ = await timer?.value
        if graceful, runner != nil {
            if sources.contains(where: { $0.hooks.hasPendingData() }) {
                let next = BatchTime(milliseconds: lastGenerated.load(ordering: .relaxed) + context.batchIntervalMs)
                generate(next)
                continuation.yield(next)
            }
            continuation.finish()
            let limit = Duration.milliseconds(Swift.max(10_000, 10 * context.batchIntervalMs))
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
