import Foundation
import Logging
import Synchronization

/// What a running `Receiver` uses to hand over records and to control its own lifecycle, like the methods
/// Spark's `Receiver` inherits (`store`, `restart`, `reportError`, `isStopped`).
public final class ReceiverContext<Element: Sendable>: Sendable {
    private let logger: Logger
    private let state = Mutex(State())
    /// The backpressure / max-rate bound: a batch takes at most the bound x batch interval records.
    let rateLimiter = SourceRateLimiter()
    /// Where the write-ahead log goes: nil while the context does not checkpoint.
    private let logDirectory: @Sendable () -> URL?
    /// The size in bytes of a record, for the buffer's byte bound (nil: only records are counted).
    private let weigh: (@Sendable (Element) -> Int)?

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
        /// The bytes of `buffer`, by `weigh` (0 without it).
        var bufferedBytes = 0
        var stopped = false
        var signal: Signal?
        var waiter: CheckedContinuation<Void, Never>?
        var errors = 0
        var storedSinceStart = 0
        var restarts = 0
    }

    init(logger: Logger, weigh: (@Sendable (Element) -> Int)? = nil, logDirectory: @escaping @Sendable () -> URL?) {
        self.logger = logger
        self.weigh = weigh
        self.logDirectory = logDirectory
    }

    /// The bytes of `elements` by `weigh` (0 without it).
    private func bytes(of elements: some Sequence<Element>) -> Int {
        guard let weigh else { return 0 }
        return elements.reduce(0) { $0 + weigh($1) }
    }

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
                s.bufferedBytes += bytes(of: elements)
                s.storedSinceStart += elements.count
            }
        }
    }

    /// Opens the write-ahead log when the context checkpoints and the records are Codable; called by recovery
    /// (before start) or by the source's start, whichever comes first. Unless a checkpoint restores a position
    /// afterwards, every logged record goes back into the buffer (a crash before the first checkpoint loses
    /// nothing).
    func openLog() throws {
        guard let directory = logDirectory() else { return }
        guard DynamicCodable.isCodable(Element.self) else {
            logger.warning("received records are not write-ahead logged: the element type is not Codable",
                           metadata: ["type": "\(Element.self)"])
            return
        }
        try log.withLock { log in
            guard log == nil else { return }
            let opened = try WriteAheadLog<Element>(directory: directory)
            let first = WriteAheadLog<Element>.segmentStarts(directory).first ?? opened.nextSequence
            let logged = try opened.read(first..<opened.nextSequence)
            state.withLock { s in
                s.buffer = logged + s.buffer
                s.bufferedBytes += bytes(of: logged)
                s.bufferStartSeq = first
            }
            log = opened
        }
    }

    /// Continues from checkpointed sequence number `position`: records logged from there on are buffered.
    func restore(position: Int) throws {
        try log.withLock { log in
            guard let log else { return }
            let end = log.nextSequence
            if position > end {
                // The log's tail is gone (not yet on disk at a power cut, a torn segment, a deleted folder): what
                // it held is lost, but the program goes on from the checkpoint instead of failing every start.
                logger.error("the write-ahead log ends before the checkpoint's position: records received after the checkpoint are lost, and batches that need earlier records cannot be rebuilt", metadata: [
                    "logEnd": "\(end)", "checkpointPosition": "\(position)",
                    "fix": "use storeReliably(_:) in the receiver to fsync what it acknowledges"])
                try log.skip(to: position)
            }
            let logged = try log.read(position..<Swift.max(position, log.nextSequence))
            state.withLock { s in
                s.buffer = logged
                s.bufferedBytes = bytes(of: logged)
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

    /// Errors reported with `reportError(_:_:)` plus failures of `onStart`.
    public var reportedErrors: Int { state.withLock { $0.errors } }

    /// Times the receiver was restarted (by `restart(_:delay:)` or after `onStart` failed).
    public var restartCount: Int { state.withLock { $0.restarts } }

    // MARK: Internal (source and supervisor)

    var bufferedCount: Int { state.withLock { $0.buffer.count } }

    /// The records and bytes waiting for the next batches.
    var buffered: (records: Int, bytes: Int) { state.withLock { ($0.buffer.count, $0.bufferedBytes) } }

    /// Takes up to `limit` buffered records for a batch, with their sequence numbers.
    func drainRange(limit: Int?) -> (records: [Element], range: Range<Int>) {
        state.withLock { s in
            let n = limit.map { Swift.min(Swift.max(0, $0), s.buffer.count) } ?? s.buffer.count
            let taken = Array(s.buffer.prefix(n))
            s.buffer.removeFirst(n)
            s.bufferedBytes = s.buffer.isEmpty ? 0 : s.bufferedBytes - bytes(of: taken)
            let range = s.bufferStartSeq..<(s.bufferStartSeq + n)
            s.bufferStartSeq += n
            return (taken, range)
        }
    }

    func markStopped(keepBuffer: Bool) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.stopped = true
            s.signal = .stop
            if !keepBuffer { (s.buffer, s.bufferedBytes) = ([], 0) }
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
