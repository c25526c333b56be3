import Foundation
import Logging
import Synchronization

/// Writes a receiver's stored records to its write-ahead log on a thread of its own (a serial dispatch
/// queue, never the cooperative pool), in groups: what was stored while the previous frame was written goes
/// into the next frame (group commit).
///
/// Durability: a group with a reliable store in it is fsynced before any of its stores completes; the other
/// groups are written (they survive the process being killed) and fsynced at most `syncInterval` later
/// (they survive a power cut from then on). Records join the receiver's buffer, and so a batch, only once
/// their frame is written, so a checkpoint never describes a batch the log does not hold.
///
/// A failed write loses nothing silently: a reliable store fails at once (its caller must not acknowledge
/// the records, and the upstream sends them again); the other records stay queued, in order, and the write
/// is retried with backoff (a full disk often clears once a checkpoint truncates the log). If the log still
/// cannot be written after `failureTimeout`, the writer gives up and reports the error and the records it
/// could not log: the receiver stops and the context stops with `SpateError.writeAheadLogFailed`, as a
/// Spark receiver whose `store` throws ends its job instead of running on without its write-ahead log.
final class WriteAheadLogWriter<Element: Sendable>: Sendable {
    let log: WriteAheadLog<Element>
    private let queue: DispatchQueue
    private let logger: Logger
    private let state = Mutex(State())
    /// Takes the records of a written frame and the sequence number of the first, in log order.
    private let written: @Sendable ([Element], Int) -> Void
    /// Told once when the writer gives up: the error and how many stored records were not logged.
    private let gaveUp: @Sendable (SpateError, Int) -> Void

    static var syncInterval: Duration { .seconds(1) }
    static var firstRetryDelay: Duration { .milliseconds(50) }
    static var maximumRetryDelay: Duration { .seconds(1) }
    static var failureTimeout: Duration { .seconds(10) }

    /// How a store waits for its records: a reliable store waits for the fsync.
    enum Completion: Sendable {
        case resume(CheckedContinuation<Void, any Error>)
        case signal(WriteAheadLogWaiter)

        func finish(_ error: (any Error)?) {
            switch self {
            case let .resume(c):
                if let error { c.resume(throwing: error) } else { c.resume() }
            case let .signal(waiter):
                waiter.finish(error)
            }
        }
    }

    private struct Request: Sendable {
        let records: [Element]
        let reliable: Completion?
    }

    private struct State: Sendable {
        var pending: [Request] = []
        /// Records submitted and not yet written (pending or in the frame being written).
        var unwritten = 0
        var draining = false
        var syncScheduled = false
        var failingSince: ContinuousClock.Instant?
        var retryDelay = WriteAheadLogWriter.firstRetryDelay
        var gaveUp = false
        var flushWaiters: [CheckedContinuation<Void, Never>] = []
    }

    init(
        log: WriteAheadLog<Element>, logger: Logger, written: @escaping @Sendable ([Element], Int) -> Void,
        gaveUp: @escaping @Sendable (SpateError, Int) -> Void
    ) {
        self.log = log
        self.logger = logger
        self.written = written
        self.gaveUp = gaveUp
        queue = DispatchQueue(label: "spate.wal.\(log.directory.lastPathComponent)")
    }

    /// Records stored and not yet in the log.
    var unwrittenCount: Int { state.withLock { $0.unwritten } }

    /// Queues `records` for the log; `reliable` is told once they are fsynced (or the write failed).
    /// Returns false, queuing nothing, once the writer gave up.
    func submit(_ records: [Element], reliable: Completion?) -> Bool {
        let start = state.withLock { s -> Bool? in
            guard !s.gaveUp else { return nil }
            s.pending.append(Request(records: records, reliable: reliable))
            s.unwritten += records.count
            defer { s.draining = true }
            return !s.draining
        }
        guard let start else { return false }
        if start { queue.async { self.drain() } }
        return true
    }

    /// Waits until every record submitted so far is written (or the writer gave up).
    func flush() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if !s.draining { return true }
                s.flushWaiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    /// Runs `body` on the writer's thread, after what was submitted before (log truncation).
    func enqueue(_ body: @escaping @Sendable () -> Void) { queue.async(execute: body) }

    /// Writes what is pending as one frame; on the writer's queue only.
    private func drain() {
        let group = state.withLock { s -> [Request] in
            defer { s.pending = [] }
            return s.pending
        }
        guard !group.isEmpty else { return continueOrFinish() }
        let records = group.count == 1 ? group[0].records : group.flatMap(\.records)
        let reliable = group.contains { $0.reliable != nil }
        do {
            let first = try log.append(records, sync: reliable)
            written(records, first)
            state.withLock { s in
                s.unwritten -= records.count
                s.failingSince = nil
                s.retryDelay = Self.firstRetryDelay
            }
            for request in group { request.reliable?.finish(nil) }
            if !reliable { scheduleSync() }
        } catch {
            let failure = error as? SpateError ?? .writeAheadLogFailed(path: log.directory.path, reason: "\(error)")
            if retry(group, after: failure) { return }
        }
        continueOrFinish()
    }

    /// What a failed write leads to.
    private enum AfterFailure {
        /// Write the kept records again after the delay.
        case retry(delay: Duration, failingFor: Duration)
        /// Only reliable stores failed, and they were told: nothing to write again.
        case nothingLeft
        /// The log failed for too long: these completions fail, and this many records were not logged.
        case giveUp(failingFor: Duration, unlogged: Int, reliable: [Completion])
    }

    /// Keeps the plain stores of a failed group queued and retries them later; fails the reliable ones at
    /// once. Returns whether a retry was scheduled.
    private func retry(_ group: [Request], after failure: SpateError) -> Bool {
        let reliableCount = group.filter { $0.reliable != nil }.reduce(0) { $0 + $1.records.count }
        for request in group { request.reliable?.finish(failure) }
        let kept = group.filter { $0.reliable == nil }
        let next = state.withLock { s -> AfterFailure in
            s.pending = kept + s.pending
            s.unwritten -= reliableCount
            let since = s.failingSince ?? .now
            s.failingSince = since
            let failingFor = ContinuousClock.now - since
            if failingFor >= Self.failureTimeout {
                s.gaveUp = true
                defer { s.pending = []; s.unwritten = 0 }
                return .giveUp(failingFor: failingFor, unlogged: s.unwritten, reliable: s.pending.compactMap(\.reliable))
            }
            guard !s.pending.isEmpty else { return .nothingLeft }
            defer { s.retryDelay = Swift.min(s.retryDelay * 2, Self.maximumRetryDelay) }
            return .retry(delay: s.retryDelay, failingFor: failingFor)
        }
        switch next {
        case .nothingLeft:
            return false
        case let .giveUp(failingFor, unlogged, reliable):
            for completion in reliable { completion.finish(failure) }
            logger.error("the write-ahead log cannot be written; giving up: the receiver stops", metadata: [
                "error": "\(failure)", "failingFor": "\(failingFor)", "unloggedRecords": "\(unlogged)"])
            gaveUp(failure, unlogged)
            return false
        case let .retry(delay, failingFor):
            logger.warning("cannot write the write-ahead log; the records stay queued and the write is retried", metadata: [
                "error": "\(failure)", "retryIn": "\(delay)", "failingFor": "\(failingFor)",
                "giveUpAfter": "\(Self.failureTimeout)"])
            queue.asyncAfter(deadline: .now() + .milliseconds(delay.wholeMilliseconds)) { self.drain() }
            return true
        }
    }

    /// Drains again while stores arrived meanwhile; otherwise ends the drain and wakes `flush` waiters.
    private func continueOrFinish() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>]? in
            guard s.pending.isEmpty else { return nil }
            s.draining = false
            defer { s.flushWaiters = [] }
            return s.flushWaiters
        }
        guard let waiters else {
            queue.async { self.drain() }
            return
        }
        for w in waiters { w.resume() }
    }

    /// Fsyncs the plain stores' frames within `syncInterval` (one fsync for every frame written meanwhile).
    private func scheduleSync() {
        let schedule = state.withLock { s -> Bool in
            defer { s.syncScheduled = true }
            return !s.syncScheduled
        }
        guard schedule else { return }
        queue.asyncAfter(deadline: .now() + .milliseconds(Self.syncInterval.wholeMilliseconds)) {
            self.state.withLock { $0.syncScheduled = false }
            do { try self.log.sync() } catch {
                self.logger.error("cannot fsync the write-ahead log: a power cut may lose what was stored since the last fsync", metadata: [
                    "error": "\(error)"])
            }
        }
    }
}

/// Blocks the thread of a synchronous reliable store until the writer has fsynced its records.
final class WriteAheadLogWaiter: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let outcome = Mutex<(any Error)?>(nil)

    func finish(_ error: (any Error)?) {
        outcome.withLock { $0 = error }
        done.signal()
    }

    /// Waits for `finish`; rethrows its error.
    func wait() throws {
        done.wait()
        if let error = outcome.withLock({ $0 }) { throw error }
    }
}
