import Foundation
import Logging
import Synchronization

/// The entry point of a streaming program: it owns the graph of DStreams, the clock and the batch loop.
///
/// Define sources, transformations and outputs, then `start()`. Batches run one after another; each batch
/// runs its partitions on every core.
public final class StreamingContext: Sendable {
    /// The batch interval.
    public let batchInterval: Duration
    /// How many partitions sources split a batch into, and the default partition count of keyed operators.
    public let parallelism: Int
    /// The clock driving batch generation.
    public let clock: StreamingClock
    let batchIntervalMs: Int
    let logger: Logger
    /// The program: streams, sources, outputs, checkpoint participants and the zero time.
    let graph: DStreamGraph
    let listenerBus = StreamingListenerBus()
    let state = Mutex(ContextState())
    let termination = Termination()
    /// Backpressure settings and the rate limiters of the sources that honour them.
    let rateControl = RateControl()
    /// What happens when a recovered batch cannot be rebuilt (`recovery(_:)`).
    let recoverySettings = Mutex(RecoveryConfiguration())
    /// The handlers of `stopGracefullyOnSignals(_:)`, kept as long as the context.
    let signalHandlers = SignalHandlers()

    /// What changes over the context's life; the program itself is in `graph`.
    struct ContextState: Sendable {
        enum Phase: Sendable { case initialized, starting, active, stopping, stopped }
        var phase: Phase = .initialized
        /// The manual clock's time, moved by `advance(by:)`.
        var manualNowMs = 0
        var scheduler: BatchScheduler?
        /// Set by `checkpoint(directory:)`; nil: no checkpoints.
        var checkpointDirectory: URL?
        /// The checkpoint `getOrCreate` found, applied at `start()`.
        var recovery: CheckpointData?
    }

    /// A context producing one batch every `batchInterval`.
    /// - Parameters:
    ///   - parallelism: partitions per batch; defaults to the number of cores.
    ///   - clock: `.system` for real time, `.manual` for deterministic tests driven by `advance(by:)`.
    public init(
        batchInterval: Duration,
        parallelism: Int = ProcessInfo.processInfo.activeProcessorCount,
        clock: StreamingClock = .system
    ) {
        self.batchInterval = batchInterval
        self.batchIntervalMs = Swift.max(1, batchInterval.wholeMilliseconds)
        self.parallelism = Swift.max(1, parallelism)
        self.clock = clock
        var logger = Logger(label: "spate")
        logger[metadataKey: "batchInterval"] = "\(batchIntervalMs) ms"
        self.logger = logger
        self.graph = DStreamGraph(batchIntervalMs: batchIntervalMs, logger: logger)
        if batchInterval.wholeMilliseconds < 1 {
            graph.recordDefinitionError(.invalidBatchInterval(batchInterval))
        }
    }

    // MARK: Graph

    func register(name: String) -> Int { graph.register(name: name) }

    func add(node: any GraphNode) { graph.add(node: node) }

    func add(source: RegisteredSource) { graph.add(source: source) }

    func add(output: OutputOperation) { graph.add(output: output) }

    /// Checks that `duration` is a positive multiple of the batch interval; returns it in milliseconds.
    func checkMultiple(_ duration: Duration, _ what: String) throws -> Int {
        let ms = duration.wholeMilliseconds
        guard ms > 0, ms % batchIntervalMs == 0, duration == .milliseconds(ms) else {
            throw SpateError.durationNotMultiple(what: what, milliseconds: ms, batchIntervalMilliseconds: batchIntervalMs)
        }
        return ms
    }

    func isValidTime(_ time: BatchTime, slideMs: Int) -> Bool { graph.isValidTime(time, slideMs: slideMs) }

    /// The checkpoint directory, once `checkpoint(directory:)` set one.
    var checkpointDirectory: URL? { state.withLock { $0.checkpointDirectory } }

    /// Adds a listener for batch progress.
    public func addListener(_ listener: any StreamingListener) { listenerBus.add(listener) }

    /// Whether the context is running.
    public var isActive: Bool { state.withLock { $0.phase == .active } }

    // MARK: Lifecycle

    /// Starts the sources and the batch loop.
    ///
    /// Throws `SpateError` if the context was already started, if no output operation is defined, if an
    /// operator was defined invalidly, or if a source cannot start (bind, connect, open its directory);
    /// `CheckpointError` if the program cannot be checkpointed or does not match the checkpoint it resumes
    /// from (see `getOrCreate(checkpoint:create:)`).
    public func start() async throws {
        let recovery = try state.withLock { s throws -> CheckpointData? in
            guard s.phase == .initialized else { throw SpateError.alreadyStarted }
            try graph.validate()
            if let rateController = try rateControl.activate(batchIntervalMs: batchIntervalMs) {
                listenerBus.add(rateController)
            }
            s.phase = .starting
            graph.seal()
            s.manualNowMs = 0
            return s.recovery
        }
        let zero = recovery?.zeroMs ?? (clock == .manual ? 0 : (Self.wallClockMs() / batchIntervalMs) * batchIntervalMs)
        graph.start(zeroMs: zero)
        let checkpointer: Checkpointer?
        do {
            checkpointer = try makeCheckpointer()
            if let recovery { try await applyRecovery(recovery) }
        } catch {
            state.withLock { $0.phase = .stopped }
            termination.finish(error: nil)
            throw error
        }
        let sources = graph.sources
        var started: [RegisteredSource] = []
        do {
            for source in sources {
                try await source.hooks.start()
                started.append(source)
            }
        } catch {
            for source in started { await source.hooks.stop(false) }
            await checkpointer?.finish()
            state.withLock { $0.phase = .stopped }
            termination.finish(error: nil)
            throw error
        }
        let scheduler = BatchScheduler(
            graph: graph, listeners: listenerBus, rateControl: rateControl, checkpointer: checkpointer,
            logger: logger, recoveredFromMs: recovery?.completedMs
        ) { [weak self] error in await self?.stop(graceful: false, error: error) }
        state.withLock { s in
            s.phase = .active
            s.scheduler = scheduler
            if let recovery { s.manualNowMs = recovery.completedMs }
        }
        logger.info("StreamingContext started", metadata: ["sources": "\(sources.count)", "zeroTime": "\(zero)"])
        if clock == .system { scheduler.startTimer() }
    }

    /// Generates every batch whose time falls in the next `duration` of the manual clock and runs it;
    /// returns when their outputs completed.
    public func advance(by duration: Duration) async throws {
        guard clock == .manual else { throw SpateError.manualClockRequired }
        let (scheduler, from, to) = try state.withLock { s throws -> (BatchScheduler?, Int, Int) in
            if let first = graph.firstDefinitionError { throw first }
            guard s.phase == .active else { throw SpateError.notActive("advance(by:)") }
            let from = s.manualNowMs
            s.manualNowMs += duration.wholeMilliseconds
            return (s.scheduler, from, s.manualNowMs)
        }
        guard let scheduler else { throw SpateError.notActive("advance(by:)") }
        var t = (from / batchIntervalMs + 1) * batchIntervalMs
        while t <= to {
            let batch = await scheduler.generate(BatchTime(milliseconds: t))
            do {
                try await scheduler.run(batch)
            } catch {
                await stop(graceful: false, error: error)
                throw error
            }
            t += batchIntervalMs
        }
    }

    /// Stops the context. With `graceful`, receivers stop first and the data they already received is
    /// processed before the context stops; otherwise the batch in progress is abandoned.
    public func stop(graceful: Bool = true) async {
        await stop(graceful: graceful, error: nil)
    }

    /// Stops the context; a graceful stop waits at most `timeout` (default: 10 batch intervals) for the
    /// received data to be processed, then abandons what is left.
    public func stop(graceful: Bool, timeout: Duration) async {
        await stop(graceful: graceful, error: nil, timeout: timeout)
    }

    func stop(graceful: Bool, error: (any Error)?, timeout: Duration? = nil) async {
        let (phase, scheduler) = state.withLock { s -> (ContextState.Phase, BatchScheduler?) in
            let before = s.phase
            if before == .active || before == .initialized || before == .starting {
                s.phase = .stopping
                graph.seal()
            }
            return (before, s.scheduler)
        }
        switch phase {
        case .stopping, .stopped:
            await termination.waitQuietly()
            return
        case .initialized, .starting:
            state.withLock { $0.phase = .stopped }
            termination.finish(error: error)
            return
        case .active:
            break
        }
        for source in graph.sources { await source.hooks.stop(graceful) }
        if let scheduler {
            await scheduler.shutdown(graceful: graceful && error == nil, timeout: timeout)
        }
        let error = await OutputOperation.close(graph.outputs, stoppedBy: error, logger: logger)
        state.withLock { s in
            s.phase = .stopped
            s.scheduler = nil
        }
        // Break the context <-> graph reference cycle so a stopped context is freed.
        graph.clear()
        listenerBus.removeAll()
        logger.info("StreamingContext stopped", metadata: ["graceful": "\(graceful)"])
        termination.finish(error: error)
    }

    /// Waits until the context stops; rethrows the error that stopped it, if any.
    public func awaitTermination() async throws {
        if let first = graph.firstDefinitionError { throw first }
        try await termination.wait()
    }

    /// Waits at most `timeout` for the context to stop; returns whether it stopped.
    public func awaitTermination(timeout: Duration) async throws -> Bool {
        if let first = graph.firstDefinitionError { throw first }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if termination.isFinished { break }
            try? await Task.sleep(for: .milliseconds(5))
        }
        guard termination.isFinished else { return false }
        try await termination.wait()
        return true
    }

    static func wallClockMs() -> Int { Int((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
