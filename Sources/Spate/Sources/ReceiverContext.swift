import Foundation
import Logging
import Synchronization

/// What a running `Receiver` uses to hand over records and to control its own lifecycle, like the methods
/// Spark's `Receiver` inherits (`store`, `restart`, `reportError`, `isStopped`).
///
/// With checkpointing on, stored records go to a write-ahead log under the checkpoint directory first, on a
/// writer thread of the log's own (the receiver's task never waits for the disk): `store` returns at once and
/// its records join a batch once they are written (they survive the process being killed; fsynced within a
/// second, they survive a power cut); `storeReliably(contentsOf:)` resumes only once its records are
/// fsynced, so the receiver can acknowledge its upstream (Spark's blocking `store(ArrayBuffer)` of a
/// reliable receiver). If the log cannot be written for `WriteAheadLogWriter.failureTimeout`, the receiver
/// stops and the context stops with `SpateError.writeAheadLogFailed`: records are never dropped silently.
public final class ReceiverContext<Element: Sendable>: Sendable {
    let logger: Logger
    private let state = Mutex(State())
    /// Records `store` refused since the context started; its lock also makes each admission atomic, so two
    /// storing threads cannot both take the last room.
    let refusals = Mutex(0)
    /// The backpressure / max-rate bound: a batch takes at most the bound x batch interval records.
    let rateLimiter = SourceRateLimiter()
    /// Where the write-ahead log goes: nil while the context does not checkpoint.
    private let logDirectory: @Sendable () -> URL?
    /// The size in bytes of a record, for the buffer's byte bound (nil: only records are counted).
    let weigh: (@Sendable (Element) -> Int)?
    /// Stops the context with an error the receiver cannot recover from (the log cannot be written).
    private let fail: @Sendable (SpateError) -> Void

    enum Signal: Sendable {
        case restart(message: String, delay: Duration)
        case stop
    }

    /// The write-ahead log's writer, when the context checkpoints and the elements are Codable.
    private let writer = Mutex<WriteAheadLogWriter<Element>?>(nil)

    private struct State: Sendable {
        /// Records written (or, without a log, stored) and not yet cut.
        var buffer: [Element] = []
        /// The sequence numbers of `buffer`, in order: runs of consecutive numbers (more than one only after
        /// a gap in the log, such as a damaged frame). A cut never crosses from one run to the next.
        var runs: [Range<Int>] = []
        /// The sequence number after the last buffered record: where the next cut starts when none waits.
        var endSeq = 0
        /// The bytes of `buffer`, by `weigh` (0 without it).
        var bufferedBytes = 0
        var stopped = false
        var keepBuffer = true
        var signal: Signal?
        var waiter: CheckedContinuation<Void, Never>?
        var errors = 0
        var storedSinceStart = 0
        var restarts = 0
    }

    init(
        logger: Logger, weigh: (@Sendable (Element) -> Int)? = nil, logDirectory: @escaping @Sendable () -> URL?,
        fail: @escaping @Sendable (SpateError) -> Void = { _ in }
    ) {
        self.logger = logger
        self.weigh = weigh
        self.logDirectory = logDirectory
        self.fail = fail
    }

    /// The bytes of `elements` by `weigh` (0 without it).
    private func bytes(of elements: some Sequence<Element>) -> Int {
        guard let weigh else { return 0 }
        return elements.reduce(0) { $0 + weigh($1) }
    }

    /// Stores one record for the next batch; returns whether it was stored (see `store(contentsOf:)` for when
    /// a full buffer refuses it). Records stored after the receiver stopped are dropped.
    @discardableResult
    public func store(_ element: Element) -> Bool {
        store(contentsOf: CollectionOfOne(element)) == 1
    }

    /// Stores records for the next batches; returns how many were stored (a prefix of `elements`).
    ///
    /// The receive buffer is bounded (`BackpressureConfiguration.maxBufferedRecords`/`maxBufferedBytes`, by
    /// default 1,000,000 records), so a receiver storing faster than batches drain cannot exhaust memory. Called
    /// from a thread of its own (not a Swift task), `store` waits while the buffer is full, as Spark's
    /// `Receiver.store` blocks, for at most `BackpressureConfiguration.maxStoreWait` (30 s). Called from a task
    /// (an `async` `onStart`), it never blocks a cooperative thread: what does not fit is refused at once. Refused
    /// records are not stored: they are counted (`refusedRecords`, `spate_receive_buffer_refused_total`, the next
    /// batch's `BatchInfo.streamIdToMetadata[id]["receiveBufferRefused"]`), logged, and left to the caller,
    /// which can store them again. An `async` receiver avoids refusals with `await awaitCapacity()` before
    /// each `store`. With checkpointing on, stored records join a batch once the log's writer has written
    /// them (not waiting for the disk's fsync: use `storeReliably(contentsOf:)` to acknowledge an upstream).
    @discardableResult
    public func store(contentsOf elements: some Sequence<Element>) -> Int {
        let elements = Array(elements)
        guard !elements.isEmpty, !isStopped else { return 0 }
        return admit(elements)
    }

    /// Hands records to the log's writer (or, without a log, to the buffer), whatever the buffer holds: for
    /// callers that bound it themselves (the socket reader waits for capacity before it reads).
    func enqueue(_ elements: [Element]) {
        guard !elements.isEmpty, !isStopped else { return }
        if let writer = writer.withLock({ $0 }) {
            _ = writer.submit(elements, reliable: nil)
        } else {
            buffer(elements, first: nil)
        }
    }

    /// Stores records and resumes only once they are safe: written and fsynced to the write-ahead log when
    /// the context checkpoints (Spark's reliable receiver `store`). Acknowledge the upstream after it
    /// returns; after a crash, `StreamingContext.getOrCreate` replays them. Throws
    /// `SpateError.writeAheadLogFailed` if the log cannot be written, in which case the upstream must not be
    /// acknowledged (send the records again). While the receive buffer is at its bound
    /// (`BackpressureConfiguration.maxBufferedRecords`) it first waits for a batch to take records. The receiver's
    /// task waits without holding a thread.
    public func storeReliably(contentsOf elements: some Sequence<Element>) async throws {
        let elements = Array(elements)
        guard !elements.isEmpty, !isStopped else { return }
        // A full buffer makes the receiver's task wait (no thread held) instead of growing it.
        await rateLimiter.waitForCapacity(buffered: { buffered }, stopped: { isStopped }, logger: logger, hard: true)
        guard let writer = writer.withLock({ $0 }) else { return buffer(elements, first: nil) }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            if !writer.submit(elements, reliable: .resume(c)) { c.resume(throwing: Self.stoppedError(writer)) }
        }
    }

    /// `storeReliably(contentsOf:)` for callers that cannot await: blocks the calling thread until the
    /// records are fsynced.
    @available(*, deprecated, message: "blocks its thread until the fsync: use `try await storeReliably(contentsOf:)`")
    public func storeReliably(_ elements: [Element]) throws {
        guard !elements.isEmpty, !isStopped else { return }
        guard let writer = writer.withLock({ $0 }) else { return buffer(elements, first: nil) }
        let waiter = WriteAheadLogWaiter()
        guard writer.submit(elements, reliable: .signal(waiter)) else { throw Self.stoppedError(writer) }
        try waiter.wait()
    }

    private static func stoppedError(_ writer: WriteAheadLogWriter<Element>) -> SpateError {
        .writeAheadLogFailed(path: writer.log.directory.path, reason: "the log failed earlier and the receiver stopped")
    }

    /// Adds written (or, without a log, stored) records to the buffer; `first` is the first one's sequence
    /// number in the log.
    private func buffer(_ elements: [Element], first: Int?) {
        state.withLock { s in
            guard !s.stopped || s.keepBuffer else { return }
            let first = first ?? s.endSeq
            if let last = s.runs.last, last.upperBound == first {
                s.runs[s.runs.count - 1] = last.lowerBound..<(first + elements.count)
            } else {
                s.runs.append(first..<(first + elements.count))
            }
            s.buffer.append(contentsOf: elements)
            s.bufferedBytes += bytes(of: elements)
            s.endSeq = first + elements.count
            s.storedSinceStart += elements.count
        }
    }

    /// Opens the write-ahead log when the context checkpoints and the records are Codable; called by recovery
    /// (before start) or by the source's start, whichever comes first. Unless a checkpoint restores a position
    /// afterwards, every logged record goes back into the buffer (a crash before the first checkpoint loses
    /// nothing).
    func openLog() async throws {
        guard let directory = logDirectory(), writer.withLock({ $0 == nil }) else { return }
        guard DynamicCodable.isCodable(Element.self) else {
            logger.warning("received records are not write-ahead logged: the element type is not Codable",
                           metadata: ["type": "\(Element.self)"])
            return
        }
        let logger = self.logger
        let (log, runs) = try await BlockingIO.run {
            let log = try WriteAheadLog<Element>(directory: directory, logger: logger)
            return (log, try log.runs(from: WriteAheadLog<Element>.segmentStarts(directory).first ?? 0))
        }
        let opened = WriteAheadLogWriter(log: log, logger: logger, written: { [weak self] records, first in
            self?.buffer(records, first: first)
        }, gaveUp: { [weak self] error, unlogged in
            self?.gaveUp(error, unlogged: unlogged)
        })
        let installed = writer.withLock { w -> Bool in
            guard w == nil else { return false }
            w = opened
            return true
        }
        if installed { rebuffer(runs, end: log.nextSequence) }
    }

    /// Continues from checkpointed sequence number `position`: records logged from there on are buffered.
    func restore(position: Int) async throws {
        guard let log = writer.withLock({ $0?.log }) else { return }
        let logger = self.logger
        let runs = try await BlockingIO.run {
            if position > log.nextSequence {
                // The log's tail is gone (not yet on disk at a power cut, a torn segment, a deleted folder): what
                // it held is lost, but the program goes on from the checkpoint instead of failing every start.
                logger.error("the write-ahead log ends before the checkpoint's position: records received after the checkpoint are lost, and batches that need earlier records cannot be rebuilt", metadata: [
                    "logEnd": "\(log.nextSequence)", "checkpointPosition": "\(position)",
                    "fix": "use storeReliably(contentsOf:) in the receiver to fsync what it acknowledges"])
                try log.skip(to: position)
            }
            return try log.runs(from: position)
        }
        state.withLock { s in
            s.buffer = []
            s.runs = []
            s.bufferedBytes = 0
        }
        rebuffer(runs, end: Swift.max(position, log.nextSequence))
    }

    /// Replaces the buffer by `runs` read back from the log; the next cut starts at the first of them.
    private func rebuffer(_ runs: [(Range<Int>, [Element])], end: Int) {
        let gaps = zip(runs, runs.dropFirst()).filter { $0.0.0.upperBound != $0.1.0.lowerBound }
        for (before, after) in gaps {
            logger.warning("the write-ahead log has a gap (a torn or damaged frame): its records are lost", metadata: [
                "lost": "\(before.0.upperBound)..<\(after.0.lowerBound)"])
        }
        state.withLock { s in
            s.buffer = runs.flatMap(\.1)
            s.bufferedBytes = bytes(of: s.buffer)
            s.runs = runs.map(\.0)
            s.endSeq = Swift.max(end, runs.last?.0.upperBound ?? 0)
        }
    }

    /// The writer gave up: the receiver stops, and the context stops with the error.
    private func gaveUp(_ error: SpateError, unlogged: Int) {
        reportError("the write-ahead log cannot be written: \(unlogged) stored records were not logged and are lost; the receiver and the context stop", error)
        markStopped(keepBuffer: true)
        fail(error)
    }

    /// Records `range` read back from the write-ahead log (to rebuild a batch after recovery), off the
    /// cooperative pool. Throws `SpateError.writeAheadLogRecordsMissing` when any of them is gone.
    func logged(_ range: Range<Int>) async throws -> [Element] {
        guard let log = writer.withLock({ $0?.log }) else { return [] }
        return try await BlockingIO.run { try log.read(range) }
    }

    /// Drops log segments that no checkpoint needs (on the log's writer thread, after what is being written).
    func truncateLog(before sequence: Int) {
        guard let writer = writer.withLock({ $0 }) else { return }
        writer.enqueue { writer.log.truncate(before: sequence) }
    }

    /// Waits until every stored record is written to the log and buffered (a graceful stop's final batch
    /// takes them), then fsyncs and closes the log's segment; called when the source stops.
    func finishLog() async {
        guard let writer = writer.withLock({ $0 }) else { return }
        await writer.flush()
        writer.enqueue { writer.log.close() }
    }

    /// The sequence number of the next record a batch takes.
    var nextCutSequence: Int { state.withLock { $0.runs.first?.lowerBound ?? $0.endSeq } }

    var isLogged: Bool { writer.withLock { $0 != nil } }

    /// Waits while the buffer is full: about two batches at the rate bound, or the receive buffer's bound
    /// (`BackpressureConfiguration.maxBufferedRecords`, by default 1,000,000 records) whether or not there is a
    /// rate bound. A receiver that calls it before each `store` slows its upstream instead of buffering
    /// without end; it returns when a batch took the buffered records, and when the receiver stops.
    public func awaitCapacity() async {
        await rateLimiter.waitForCapacity(buffered: { buffered }, stopped: { isStopped }, logger: logger)
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

    /// Records `store` refused because the receive buffer stayed full (they were not stored).
    public var refusedRecords: Int { refusals.withLock { $0 } }

    /// Errors reported with `reportError(_:_:)` plus failures of `onStart`.
    public var reportedErrors: Int { state.withLock { $0.errors } }

    /// Times the receiver was restarted (by `restart(_:delay:)` or after `onStart` failed).
    public var restartCount: Int { state.withLock { $0.restarts } }

    // MARK: Internal (source and supervisor)

    /// Records stored and not yet cut: buffered, or still on their way into the log.
    var bufferedCount: Int {
        state.withLock { $0.buffer.count } + (writer.withLock { $0 }?.unwrittenCount ?? 0)
    }

    /// The records and bytes waiting for the next batches.
    var buffered: (records: Int, bytes: Int) { (bufferedCount, state.withLock { $0.bufferedBytes }) }

    /// Takes up to `limit` buffered records for a batch, with their sequence numbers (consecutive: a cut
    /// stops at a gap in the log, and the next cut goes on after it).
    func drainRange(limit: Int?) -> (records: [Element], range: Range<Int>) {
        state.withLock { s in
            guard let run = s.runs.first else { return ([], s.endSeq..<s.endSeq) }
            let n = Swift.min(Swift.max(0, limit ?? Int.max), run.count)
            let taken = Array(s.buffer.prefix(n))
            s.buffer.removeFirst(n)
            let range = run.lowerBound..<(run.lowerBound + n)
            if n == run.count { s.runs.removeFirst() } else { s.runs[0] = range.upperBound..<run.upperBound }
            s.bufferedBytes = s.buffer.isEmpty ? 0 : s.bufferedBytes - bytes(of: taken)
            return (taken, range)
        }
    }

    func markStopped(keepBuffer: Bool) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.stopped = true
            s.keepBuffer = keepBuffer
            s.signal = .stop
            if !keepBuffer {
                s.buffer = []
                s.runs = []
                s.bufferedBytes = 0
            }
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
