import Foundation
import Logging
import Synchronization

/// A custom input source, like Spark's `Receiver`: Spate calls `onStart` when the context starts, and the
/// receiver hands records to `context.store(_:)`; each batch holds what was stored since the previous batch.
///
/// `onStart` may run until the receiver is stopped (check `context.isStopped` or task cancellation), or start
/// its own work and return. `onStop` releases what `onStart` acquired; it is called on stop and before each
/// restart. If `onStart` throws, the error is logged and the receiver restarts after a delay: a failing
/// receiver never stops the context.
/// ```swift
/// struct Ticker: Receiver {
///     func onStart(_ context: ReceiverContext<Int>) async throws {
///         var n = 0
///         while !context.isStopped {
///             context.store(n); n += 1
///             try await Task.sleep(for: .milliseconds(10))
///         }
///     }
///     func onStop() async {}
/// }
/// let ticks = ssc.receiverStream(Ticker())
/// ```
public protocol Receiver: Sendable {
    /// The records the receiver produces.
    associatedtype Element: Sendable
    /// Starts receiving; may run until the receiver is stopped. Throwing restarts the receiver after a delay.
    func onStart(_ context: ReceiverContext<Element>) async throws
    /// Stops receiving and releases resources; called on stop and before every restart.
    func onStop() async
}

/// What a running `Receiver` uses to hand over records and to control its own lifecycle, like the methods
/// Spark's `Receiver` inherits (`store`, `restart`, `reportError`, `isStopped`).
public final class ReceiverContext<Element: Sendable>: Sendable {
    private let logger: Logger
    private let state = Mutex(State())
    /// The backpressure / max-rate bound: a batch takes at most the bound x batch interval records.
    let rateLimiter = SourceRateLimiter()

    enum Signal: Sendable {
        case restart(message: String, delay: Duration)
        case stop
    }

    /// The write-ahead log, when the context checkpoints and the elements are Codable.
    private let log = Mutex<WriteAheadLog<Element>?>(nil)

    private struct State: Sendable {
        var buffer: [Element] = []
        /// Sequence number (in the write-ahead log) of `buffer[0]`.
        var bufferStartSeq = 0
        var stopped = false
        var signal: Signal?
        var waiter: CheckedContinuation<Void, Never>?
        var errors = 0
        var storedSinceStart = 0
        var restarts = 0
    }

    init(logger: Logger) { self.logger = logger }

    /// Stores one record for the next batch. Records stored after the receiver stopped are dropped.
    public func store(_ element: Element) {
        store(contentsOf: CollectionOfOne(element))
    }

    /// Stores records for the next batches. With checkpointing on, they are appended to the write-ahead
    /// log first (without waiting for the disk; use `storeReliably(_:)` to acknowledge an upstream).
    public func store(contentsOf elements: some Sequence<Element>) {
        let elements = Array(elements)
        do {
            try append(elements, sync: false)
        } catch {
            reportError("cannot write received records to the write-ahead log", error)
        }
    }

    /// Stores records and returns only once they are safe: written and fsynced to the write-ahead log when
    /// the context checkpoints (Spark's reliable receiver `store`). Acknowledge the upstream after it
    /// returns; after a crash, `StreamingContext.getOrCreate` replays them. Throws if the log cannot be
    /// written, in which case the upstream must not be acknowledged.
    public func storeReliably(_ elements: [Element]) throws {
        try append(elements, sync: true)
    }

    private func append(_ elements: [Element], sync: Bool) throws {
        try log.withLock { log in
            try state.withLock { s in
                guard !s.stopped else { return }
                if let log { try log.append(elements, sync: sync) }
                s.buffer.append(contentsOf: elements)
                s.storedSinceStart += elements.count
            }
        }
    }

    /// Opens the write-ahead log in `directory`. Unless a checkpoint restores a position afterwards,
    /// every logged record goes back into the buffer (a crash before the first checkpoint loses nothing).
    func openLog(directory: URL) throws {
        try log.withLock { log in
            guard log == nil else { return }
            let opened = try WriteAheadLog<Element>(directory: directory)
            let first = WriteAheadLog<Element>.segmentStarts(directory).first ?? opened.nextSequence
            let logged = try opened.read(first..<opened.nextSequence)
            state.withLock { s in
                s.buffer = logged + s.buffer
                s.bufferStartSeq = first
            }
            log = opened
        }
    }

    /// Continues from checkpointed sequence number `position`: records logged from there on are buffered.
    func restore(position: Int) throws {
        try log.withLock { log in
            guard let log else { return }
            let logged = try log.read(position..<log.nextSequence)
            state.withLock { s in
                s.buffer = logged
                s.bufferStartSeq = position
            }
        }
    }

    /// Records `range` read back from the write-ahead log (to rebuild a batch after recovery).
    func logged(_ range: Range<Int>) throws -> [Element] {
        try log.withLock { log in try log?.read(range) ?? [] }
    }

    /// Drops log segments that no checkpoint needs.
    func truncateLog(before sequence: Int) {
        log.withLock { $0?.truncate(before: sequence) }
    }

    /// The sequence number of the next record a batch takes.
    var nextCutSequence: Int { state.withLock { $0.bufferStartSeq } }

    var isLogged: Bool { log.withLock { $0 != nil } }

    public func awaitCapacity() async {
        await rateLimiter.waitForCapacity(buffered: { bufferedCount }, stopped: { isStopped })
    }

    /// Restarts the receiver: `onStart` is cancelled, `onStop` runs, and after `delay` `onStart` runs again.
    /// Records stored so far are kept. Use it when the connection to the data broke.
    public func restart(_ message: String, delay: Duration = .milliseconds(100)) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.stopped, s.signal == nil else { return nil }
            s.signal = .restart(message: message, delay: delay)
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Reports a problem that does not stop the receiver: logged and counted in `reportedErrors`.
    public func reportError(_ message: String, _ error: (any Error)? = nil) {
        state.withLock { $0.errors += 1 }
        var metadata: Logger.Metadata = [:]
        if let error { metadata["error"] = "\(error)" }
        logger.error("\(message)", metadata: metadata)
    }

    /// Whether the receiver was stopped; a receiving loop in `onStart` should end when it is true.
    public var isStopped: Bool { state.withLock { $0.stopped } }

    /// Errors reported with `reportError(_:_:)` plus failures of `onStart`.
    public var reportedErrors: Int { state.withLock { $0.errors } }

    /// Times the receiver was restarted (by `restart(_:delay:)` or after `onStart` failed).
    public var restartCount: Int { state.withLock { $0.restarts } }

    // MARK: Internal (source and supervisor)

    var bufferedCount: Int { state.withLock { $0.buffer.count } }

    func drain() -> [Element] {
        state.withLock { s in
            defer { s.buffer = [] }
            return s.buffer
        }
    }

    /// Takes at most `limit` records (all when nil) in order; the rest stay buffered for later batches.
    func drain(limit: Int?) -> [Element] { drainRange(limit: limit).records }

    /// Takes up to `limit` buffered records for a batch, with their sequence numbers.
    func drainRange(limit: Int?) -> (records: [Element], range: Range<Int>) {
        state.withLock { s in
            let n = limit.map { Swift.min(Swift.max(0, $0), s.buffer.count) } ?? s.buffer.count
            let taken = Array(s.buffer.prefix(n))
            s.buffer.removeFirst(n)
            let range = s.bufferStartSeq..<(s.bufferStartSeq + n)
            s.bufferStartSeq += n
            return (taken, range)
        }
    }

    func markStopped(keepBuffer: Bool) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.stopped = true
            s.signal = .stop
            if !keepBuffer { s.buffer = [] }
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Clears a consumed restart request before a run; returns false when the receiver is stopped.
    func beginRun() -> Bool {
        state.withLock { s in
            guard !s.stopped else { return false }
            s.signal = nil
            s.storedSinceStart = 0
            return true
        }
    }

    func recordFailure() { state.withLock { $0.errors += 1 } }
    func recordRestart() { state.withLock { $0.restarts += 1 } }
    var storedSinceStart: Int { state.withLock { $0.storedSinceStart } }
    var pendingSignal: Signal? { state.withLock { $0.signal } }

    /// Waits until a restart or stop is requested, or the task is cancelled.
    func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    // Task.isCancelled is set before the cancellation handler runs, so checking it under the
                    // lock that the handler also takes means a cancellation is never missed.
                    if s.signal != nil || Task.isCancelled { return true }
                    s.waiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }
}

/// Runs a `Receiver` in its own task: calls `onStart`, and on a restart request or failure calls `onStop`,
/// waits and starts it again, until stopped.
final class ReceiverSupervisor<R: Receiver>: Sendable {
    let receiver: R
    let context: ReceiverContext<R.Element>
    private let logger: Logger
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Restart delay after `onStart` threw: 100 ms, doubling while failures follow each other, up to 2 s.
    static var firstFailureDelay: Duration { .milliseconds(100) }
    static var maximumFailureDelay: Duration { .seconds(2) }

    private enum Outcome: Sendable {
        case returned, threw(String), signalled
    }

    init(receiver: R, logger: Logger) {
        self.receiver = receiver
        var logger = logger
        logger[metadataKey: "source"] = "receiverStream(\(R.self))"
        self.logger = logger
        self.context = ReceiverContext(logger: self.logger)
    }

    var hooks: SourceHooks {
        SourceHooks(
            start: { [self] in start() },
            stop: { [self] graceful in await stop(graceful: graceful) },
            hasPendingData: { [self] in context.bufferedCount > 0 })
    }

    private func start() {
        let task = Task { [self] in await supervise() }
        self.task.withLock { $0 = task }
        logger.info("receiver started")
    }

    private func stop(graceful: Bool) async {
        // The final batch of a graceful stop takes every record still buffered, whatever the rate bound.
        if graceful { context.rateLimiter.release() }
        context.markStopped(keepBuffer: graceful)
        let task = self.task.withLock { t in
            defer { t = nil }
            return t
        }
        task?.cancel()
        await task?.value
        logger.info("receiver stopped", metadata: ["graceful": "\(graceful)"])
    }

    private func supervise() async {
        var failureDelay = Self.firstFailureDelay
        while context.beginRun() {
            let outcome = await runOnce()
            if context.isStopped || Task.isCancelled { return }
            let delay: Duration
            switch (context.pendingSignal, outcome) {
            case let (.restart(message, requested)?, _):
                logger.warning("restarting receiver", metadata: ["reason": "\(message)", "delay": "\(requested)"])
                delay = requested
            case let (_, .threw(error)):
                context.recordFailure()
                if context.storedSinceStart > 0 { failureDelay = Self.firstFailureDelay }
                logger.error("receiver failed; restarting", metadata: ["error": "\(error)", "delay": "\(failureDelay)"])
                delay = failureDelay
                failureDelay = Swift.min(failureDelay * 2, Self.maximumFailureDelay)
            default:
                return
            }
            context.recordRestart()
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }

    /// Runs `onStart` until it throws, or a restart or stop is requested; then calls `onStop` once (after
    /// a clean return, only when a signal arrives) and waits for `onStart` to finish.
    private func runOnce() async -> Outcome {
        let receiver = self.receiver, context = self.context
        return await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    try await receiver.onStart(context)
                    return .returned
                } catch {
                    return .threw("\(error)")
                }
            }
            group.addTask {
                await context.waitForSignal()
                return .signalled
            }
            var first = await group.next() ?? .signalled
            if case .returned = first {
                // onStart started its work and returned (Spark style): keep running until a signal.
                first = await group.next() ?? .signalled
            }
            // Let a blocking onStart return before awaiting it, then cancel whatever still runs.
            await receiver.onStop()
            group.cancelAll()
            for await _ in group {}
            return first
        }
    }
}

extension StreamingContext {
    /// A stream of the records a custom `Receiver` stores, as Spark's `receiverStream`: each batch holds the
    /// records stored since the previous batch, split into `parallelism` partitions.
    ///
    /// The receiver runs in its own task from `start()`; `stop()` marks it stopped, calls `onStop` and waits
    /// for it. A graceful stop keeps the records already stored for the final batch.
    ///
    /// With backpressure or a maximum rate (`backpressure(_:)`), a batch takes at most the rate bound x batch
    /// interval records and the rest stay stored for the next batches; see `ReceiverContext.awaitCapacity()`.
    public func receiverStream<R: Receiver>(_ receiver: R) -> DStream<R.Element> {
        receiverSource(receiver).stream
    }

    /// `receiverStream` plus its supervisor, so tests can watch the receiver's buffer.
    func receiverSource<R: Receiver>(_ receiver: R) -> (stream: DStream<R.Element>, supervisor: ReceiverSupervisor<R>) {
        let supervisor = ReceiverSupervisor(receiver: receiver, logger: logger)
        let stream = receivedInputStream(name: "receiverStream(\(R.self))", buffer: supervisor.context, hooks: supervisor.hooks)
        return (stream, supervisor)
    }

    /// An input stream whose batches come from `buffer` (received records): recoverable, write-ahead logged
    /// when the context checkpoints, bounded by the buffer's rate limiter.
    func receivedInputStream<E: Sendable>(name: String, buffer: ReceiverContext<E>, hooks: SourceHooks) -> DStream<E> {
        let source = RecoverableReceiverSource(
            receiver: buffer, parallelism: parallelism, openLog: writeAheadLogOpener(for: buffer, source: name))
        var hooks = hooks
        let start = hooks.start
        hooks.start = {
            // Recovery may have opened the log already; otherwise open it (and re-buffer what it holds).
            try source.openLog()
            try await start()
        }
        let stream = recoverableInputStream(name: name, hooks: hooks, source: source)
        rateControl.register(buffer.rateLimiter, sourceId: stream.id)
        return stream
    }
}

extension StreamingContext {
    /// The key a new recoverable source named `name` gets (`name`, or `name#n` when taken).
    func recoverableSourceKey(_ name: String) -> String {
        graph.recoverableSourceKey(name)
    }

    /// Opens `buffer`'s write-ahead log under the checkpoint directory, when there is one and the records
    /// are Codable; called by recovery (before start) or by the source's start, whichever comes first.
    func writeAheadLogOpener<E: Sendable>(for buffer: ReceiverContext<E>, source name: String) -> @Sendable () throws -> Void {
        let key = recoverableSourceKey(name)
        let folder = String(key.map { $0.isLetter || $0.isNumber ? $0 : "_" })
        return { [self] in
            guard let dir = checkpointDirectory else { return }
            guard DynamicCodable.isCodable(E.self) else {
                logger.warning("received records are not write-ahead logged: the element type is not Codable",
                               metadata: ["source": "\(key)", "type": "\(E.self)"])
                return
            }
            try buffer.openLog(directory: dir.appendingPathComponent("receivedData").appendingPathComponent(folder))
        }
    }
}

/// Checkpoint support for receivers: a batch is described by the sequence numbers of its records in the
/// write-ahead log, the position is the next sequence number to cut.
struct RecoverableReceiverSource<Element: Sendable>: RecoverableSource {
    let receiver: ReceiverContext<Element>
    let parallelism: Int
    let openLog: @Sendable () throws -> Void

    func cut(_ time: BatchTime) -> (parts: [[Element]], descriptor: Data) {
        let (records, range) = receiver.drainRange(limit: receiver.rateLimiter.allowance())
        return (Batch<Element>.split(records, into: parallelism), Data("\(range.lowerBound),\(range.upperBound)".utf8))
    }

    func replay(_ descriptor: Data, at time: BatchTime) throws -> [[Element]] {
        let bounds = String(decoding: descriptor, as: UTF8.self).split(separator: ",").compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else {
            throw SpateError.invalidArgument("receiver: unreadable checkpointed range at \(time)")
        }
        guard receiver.isLogged else { return Batch<Element>.split([], into: parallelism) }
        return Batch<Element>.split(try receiver.logged(bounds[0]..<bounds[1]), into: parallelism)
    }

    func position() -> Data { Data("\(receiver.nextCutSequence)".utf8) }

    func restore(position: Data) throws {
        guard let next = Int(String(decoding: position, as: UTF8.self)) else {
            throw SpateError.invalidArgument("receiver: unreadable checkpointed position")
        }
        try openLog()
        try receiver.restore(position: next)
    }

    func checkpointWritten(_ checkpoint: SourceCheckpoint) {
        // Batches still needed (pending or remembered) start at their lowest sequence number.
        let starts = checkpoint.batches.values.compactMap {
            String(decoding: $0, as: UTF8.self).split(separator: ",").first.flatMap { Int($0) }
        }
        let position = Int(String(decoding: checkpoint.position, as: UTF8.self)) ?? 0
        receiver.truncateLog(before: ([position] + starts).min() ?? 0)
    }
}
