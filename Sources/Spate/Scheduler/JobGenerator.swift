import Logging
import Metrics
import Synchronization

/// What generating a batch recorded about it: its input counts, submission time and the sources' reports.
/// It travels with the batch to the runner, so no table keyed by batch time has to be kept and cleared.
struct GeneratedBatch: Sendable {
    let time: BatchTime
    /// Records per input stream, by input stream id.
    var inputCounts: [Int: Int] = [:]
    /// Wall-clock milliseconds when the batch was generated.
    var submissionTime = 0
    /// Input records the sources dropped as undecodable (`SourceHooks.takeInvalidCount`).
    var invalidRecords = 0
    /// What each source reported about its cut (`SourceHooks.takeMetadata`), by input stream id.
    var metadata: [Int: [String: String]] = [:]
    /// The rate bound (records/s) each rate-limited source cut its batch with, by input stream id.
    var rateLimits: [Int: Int] = [:]
    /// Wall-clock milliseconds when the batch fell due (its tick on the system clock; nil on the manual clock).
    var dueMs: Int?

    /// The batch's `BatchInfo` at a stage of its run.
    func info(start: Int?, end: Int?, run: BatchRun?, outputs: [OutputOperationInfo]) -> BatchInfo {
        var info = BatchInfo(
            batchTime: time, numRecords: inputCounts.values.reduce(0, +), streamIdToNumRecords: inputCounts,
            submissionTime: submissionTime, processingStartTime: start, processingEndTime: end,
            failedRecords: run?.failedRecords ?? 0, recordErrors: run?.errorSamples ?? [],
            outputOperations: outputs, invalidRecords: invalidRecords + (run?.invalidRecords ?? 0), streamIdToRateLimit: rateLimits)
        info.streamIdToMetadata = metadata
        info.lateRecords = run?.lateRecords ?? 0
        info.expiredStateKeys = run?.expiredKeys ?? [:]
        if let dueMs { info.generationDelay = .milliseconds(Swift.max(0, submissionTime - dueMs)) }
        return info
    }
}

/// Generates batches (Spark's JobGenerator): on every tick of the clock it cuts each source's data for the
/// batch time into the source's DStream and reports the batch as submitted.
///
/// Cuts are async (a source may wait for a broker or a file) and run one source after another. The system
/// clock's timer awaits each generation: a slow cut delays the next ticks, which then follow at once, so
/// it shows as scheduling delay and no batch time is ever skipped.
///
/// The queue of generated batches waiting to run is bounded (`BackpressureConfiguration.maxQueuedBatches`):
/// when processing falls behind, the timer waits for room before it cuts the next batch, so the records stay
/// in their sources (whose own bounds then slow their peers) instead of piling up in queued batches. The lag
/// shows as `BatchInfo.generationDelay`, part of the scheduling delay, and in a log line.
final class JobGenerator: Sendable {
    let graph: DStreamGraph
    private let listeners: StreamingListenerBus
    private let rateControl: RateControl
    private let lastGenerated: Atomic<Int>
    private let timer = Mutex(TimerPhase.waiting)
    private let logger: Logger
    private let lastQueueWarning = Mutex<Int?>(nil)
    private let fullQueueWaits = Counter(label: "spate_generator_full_queue_waits_total")

    /// A generator whose first batch comes after `resumeAfterMs` (the zero time, or the time of the
    /// checkpoint recovered from).
    init(
        graph: DStreamGraph, listeners: StreamingListenerBus, rateControl: RateControl, logger: Logger,
        resumeAfterMs: Int
    ) {
        self.graph = graph
        self.logger = logger
        self.listeners = listeners
        self.rateControl = rateControl
        self.lastGenerated = Atomic(resumeAfterMs)
    }

    /// The time of the newest generated batch (the resume time before the first).
    var lastGeneratedMs: Int { lastGenerated.load(ordering: .acquiring) }

    /// Cuts every source's batch for `time` and reports it to the listeners as submitted; `dueMs` is the
    /// wall-clock time the batch fell due on the system clock.
    func generate(_ time: BatchTime, dueMs: Int? = nil) async -> GeneratedBatch {
        let sources = graph.sources
        var batch = GeneratedBatch(time: time)
        batch.dueMs = dueMs
        for source in sources { batch.inputCounts[source.id] = await source.prepare(time) }
        for source in sources {
            let limiter = rateControl.limiter(for: source.id)
            if let bound = limiter?.lastCutBound { batch.rateLimits[source.id] = bound }
            batch.invalidRecords += source.hooks.takeInvalidCount()
            var reported = source.hooks.takeMetadata()
            if let waits = limiter?.takeFullWaits(), waits > 0 { reported["receiveBufferFull"] = "\(waits)" }
            if let refused = limiter?.takeRefused(), refused > 0 { reported["receiveBufferRefused"] = "\(refused)" }
            if !reported.isEmpty { batch.metadata[source.id] = reported }
        }
        batch.submissionTime = StreamingContext.wallClockMs()
        lastGenerated.store(time.milliseconds, ordering: .releasing)
        let info = batch.info(start: nil, end: nil, run: nil, outputs: [])
        for l in listeners.all { l.batchSubmitted(info) }
        return batch
    }

    /// The system clock's timer: generates the batch of every interval after the last generated one, on
    /// time, and hands it to `deliver`, until `stopTicking` stops it. Before each cut it waits while
    /// `queued()` batches wait for the runner and that is `maxQueued` or more.
    func tick(queued: @Sendable () -> Int, maxQueued: Int, deliver: @Sendable (GeneratedBatch) -> Void) async {
        let interval = graph.batchIntervalMs
        var next = lastGeneratedMs + interval
        while true {
            let wait = next - StreamingContext.wallClockMs()
            if wait > 0 {
                do { try await Task.sleep(for: .milliseconds(wait)) } catch { break }
            }
            guard await waitForRoom(queued: queued, maxQueued: maxQueued, due: next) else { break }
            guard timer.withLock({ $0.enter(.generating) }) else { break }
            deliver(await generate(BatchTime(milliseconds: next), dueMs: next))
            guard timer.withLock({ $0.enter(.waiting) }) else { break }
            next += interval
        }
    }

    /// Waits (a cancellable sleep, as between ticks) while the queue of batches is full; false when cancelled.
    private func waitForRoom(queued: () -> Int, maxQueued: Int, due: Int) async -> Bool {
        guard queued() >= maxQueued else { return true }
        fullQueueWaits.increment()
        let now = StreamingContext.wallClockMs()
        let warn = lastQueueWarning.withLock { at -> Bool in
            guard at.map({ now - $0 >= 10_000 }) ?? true else { return false }
            at = now
            return true
        }
        if warn {
            logger.warning("processing falls behind: the next batch waits until a queued one runs", metadata: [
                "batch": "\(due) ms", "queuedBatches": "\(queued())", "lag": "\(Swift.max(0, now - due)) ms",
                "fix": "make batches faster, lengthen the batch interval, or bound the sources (backpressure)"])
        }
        let poll = Duration.milliseconds(Swift.max(1, Swift.min(20, graph.batchIntervalMs / 10)))
        while queued() >= maxQueued {
            do { try await Task.sleep(for: poll) } catch { return false }
        }
        return true
    }

    /// Stops the timer task running `tick` and waits for it to end. A timer waiting for its next tick is
    /// cancelled; one in the middle of a generation is not (a cut is never interrupted half-way: the records
    /// it takes from its sources always reach the batch) and ends once the batch is delivered.
    func stopTicking(_ task: Task<Void, Never>) async {
        let waiting = timer.withLock { t -> Bool in
            defer { t = .stopped }
            return t == .waiting
        }
        if waiting { task.cancel() }
        await task.value
    }
}

/// What the system clock's timer is doing, so stopping it cancels a sleep but never a cut.
private enum TimerPhase: Sendable {
    case waiting, generating, stopped

    /// Moves to `phase` unless stopped; returns whether the timer goes on.
    mutating func enter(_ phase: TimerPhase) -> Bool {
        guard self != .stopped else { return false }
        self = phase
        return true
    }
}
