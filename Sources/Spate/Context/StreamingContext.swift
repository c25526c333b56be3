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
    let state = Mutex(ContextState())
    let termination = Termination()
    /// Backpressure settings and the rate limiters of the sources that honour them.
    let rateControl = RateControl()

    struct ContextState: Sendable {
        enum Phase: Sendable { case initialized, starting, active, stopping, stopped }
        var phase: Phase = .initialized
        var nextId = 0
        var nodes: [any GraphNode] = []
        var sources: [RegisteredSource] = []
        var outputs: [OutputOperation] = []
        var listeners: [any StreamingListener] = []
        var definitionErrors: [SpateError] = []
        var zeroMs = 0
        var manualNowMs = 0
        var inputCounts: [Int: [Int: Int]] = [:]
        var submissionTimes: [Int: Int] = [:]
        var scheduler: BatchScheduler?
        var checkpointed: [any CheckpointedOperator] = []
        var checkpointDirectory: URL?
        var checkpointIntervalMs: Int?
        var recovery: CheckpointData?
        var recoverableSources: [String: RecoverableSourceHandle] = [:]
        var signalHandlers: [SignalHandlers] = []
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
        if batchInterval.wholeMilliseconds < 1 {
            state.withLock {
                $0.definitionErrors.append(.invalidArgument(
                    "batchInterval \(batchInterval) is below 1 ms: use a batch interval of at least 1 ms"))
            }
        }
    }

    // MARK: Graph

    func register(name: String) -> Int {
        state.withLock { s in
            if s.phase != .initialized {
                let error = SpateError.operatorAddedAfterStart(name)
                s.definitionErrors.append(error)
                logger.error("\(error)")
            }
            s.nextId += 1
            return s.nextId
        }
    }

    func add(node: any GraphNode) { state.withLock { $0.nodes.append(node) } }

    func add(source: RegisteredSource) { state.withLock { $0.sources.append(source) } }

    func add(output: OutputOperation) {
        state.withLock { s in
            if s.phase != .initialized {
                let error = SpateError.operatorAddedAfterStart(output.name)
                s.definitionErrors.append(error)
                logger.error("\(error)")
            }
            s.outputs.append(output)
        }
    }

    /// Checks that `duration` is a positive multiple of the batch interval; returns it in milliseconds.
    func checkMultiple(_ duration: Duration, _ what: String) throws -> Int {
        let ms = duration.wholeMilliseconds
        guard ms > 0, ms % batchIntervalMs == 0, duration == .milliseconds(ms) else {
            throw SpateError.durationNotMultiple(what: what, milliseconds: ms, batchIntervalMilliseconds: batchIntervalMs)
        }
        return ms
    }

    func isValidTime(_ time: BatchTime, slideMs: Int) -> Bool {
        let zero = state.withLock { $0.zeroMs }
        let d = time.milliseconds - zero
        return d > 0 && d % slideMs == 0
    }

    /// Adds a listener for batch progress.
    public func addListener(_ listener: any StreamingListener) {
        state.withLock { $0.listeners.append(listener) }
    }

    var listeners: [any StreamingListener] { state.withLock { $0.listeners } }

    /// Whether the context is running.
    public var isActive: Bool { state.withLock { $0.phase == .active } }

    // MARK: Lifecycle

    /// Starts the sources and the batch loop.
    ///
    /// Throws if the context was already started, if no output operation is defined, if an operator was
    /// defined invalidly, or if a source cannot start (bind, connect, open its directory).
    public func start() async throws {
        let (sources, zero) = try state.withLock { s throws -> ([RegisteredSource], Int) in
            guard s.phase == .initialized else { throw SpateError.alreadyStarted }
            if let first = s.definitionErrors.first { throw first }
            guard !s.outputs.isEmpty else { throw SpateError.noOutputOperations }
            if let rateController = try rateControl.activate(batchIntervalMs: batchIntervalMs) {
                s.listeners.append(rateController)
            }
            s.phase = .starting
            s.zeroMs = s.recovery?.zeroMs
                ?? (clock == .manual ? 0 : (Self.wallClockMs() / batchIntervalMs) * batchIntervalMs)
            s.manualNowMs = 0
            return (s.sources, s.zeroMs)
        }
        planRetention()
        let checkpointer: Checkpointer?
        let recovery = state.withLock { $0.recovery }
        do {
            checkpointer = try makeCheckpointer()
            if let recovery { try await applyRecovery(recovery) }
        } catch {
            state.withLock { $0.phase = .stopped }
            termination.finish(error: nil)
            throw error
        }
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
            context: self, zeroMs: zero, resumeAfterMs: recovery?.completedMs, checkpointer: checkpointer)
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
            if let first = s.definitionErrors.first { throw first }
            guard s.phase == .active else { throw SpateError.notActive("advance(by:)") }
            let from = s.manualNowMs
            s.manualNowMs += duration.wholeMilliseconds
            return (s.scheduler, from, s.manualNowMs)
        }
        guard let scheduler else { throw SpateError.notActive("advance(by:)") }
        var t = (from / batchIntervalMs + 1) * batchIntervalMs
        while t <= to {
            let time = BatchTime(milliseconds: t)
            await scheduler.generate(time)
            do {
                try await scheduler.run(time)
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
        let (phase, sources, scheduler) = state.withLock { s -> (ContextState.Phase, [RegisteredSource], BatchScheduler?) in
            let before = s.phase
            if before == .active || before == .initialized || before == .starting { s.phase = .stopping }
            return (before, s.sources, s.scheduler)
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
        for source in sources { await source.hooks.stop(graceful) }
        if let scheduler {
            await scheduler.shutdown(graceful: graceful && error == nil, sources: sources, timeout: timeout)
        }
        let error = await OutputOperation.close(state.withLock { $0.outputs }, stoppedBy: error, logger: logger)
        state.withLock { s in
            s.phase = .stopped
            s.scheduler = nil
            // Break the context <-> graph reference cycle so a stopped context is freed.
            s.nodes = []
            s.sources = []
            s.outputs = []
            s.listeners = []
        }
        logger.info("StreamingContext stopped", metadata: ["graceful": "\(graceful)"])
        termination.finish(error: error)
    }

    /// Waits until the context stops; rethrows the error that stopped it, if any.
    public func awaitTermination() async throws {
        if let first = state.withLock({ $0.definitionErrors.first }) { throw first }
        try await termination.wait()
    }

    /// Waits at most `timeout` for the context to stop; returns whether it stopped.
    public func awaitTermination(timeout: Duration) async throws -> Bool {
        if let first = state.withLock({ $0.definitionErrors.first }) { throw first }
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

    /// Works out how long each node keeps its batches: outputs need their node's slide, a window needs its
    /// parent's batches over its length, and every node passes what it needs on to its parents.
    private func planRetention() {
        let (nodes, outputs) = state.withLock { ($0.nodes, $0.outputs) }
        for output in outputs { output.node.remember(output.slideMs) }
        for node in nodes.reversed() {
            let need = node.rememberMs + node.lookbackMs + node.slideMs
            for parent in node.parentNodes {
                parent.remember(need)
                if node.lookbackMs > 0 || node.slideMs > parent.slideMs { parent.keepHistory() }
            }
        }
    }
}

/// Signals the end of a context to everyone awaiting it.
final class Termination: Sendable {
    private let state = Mutex<(done: Bool, error: (any Error)?, waiters: [CheckedContinuation<Void, Never>])>(
        (false, nil, []))

    var isFinished: Bool { state.withLock { $0.done } }

    func finish(error: (any Error)?) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if s.done { return [] }
            s.done = true
            s.error = error
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }

    /// Waits for the end, ignoring the error that caused it.
    func waitQuietly() async {
        do { try await wait() } catch {}
    }

    func wait() async throws {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.done { return true }
                s.waiters.append(c)
                return false
            }
            if resumeNow { c.resume() }
        }
        if let error = state.withLock({ $0.error }) { throw error }
    }
}
