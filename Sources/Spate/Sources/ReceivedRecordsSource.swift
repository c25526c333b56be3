import Foundation
import Logging

/// A source whose records a push side (a `Receiver`'s task, the socket client) stores into a
/// `ReceiverContext` between batches: a cut drains the buffer, at most the rate bound's allowance. With
/// checkpointing, the records go to the write-ahead log first, a batch is described by the sequence numbers of
/// its records in the log, and the position is the next sequence number to cut (Spark's receiver WAL).
protocol ReceivedRecordsSource: StreamSource where Descriptor == Range<Int>, Position == Int {
    /// The buffer (and write-ahead log) the push side stores into.
    var received: ReceiverContext<Element> { get }
    /// How many partitions a batch is split into.
    var parallelism: Int { get }
    /// Records dropped as unreadable since the last cut; returns the count and resets it.
    func takeInvalidCount() -> Int
}

extension ReceivedRecordsSource {
    /// Bounded by backpressure: the push side waits on the same limiter (`ReceiverContext.awaitCapacity`).
    var isRateLimited: Bool { true }

    var hasPendingData: Bool { received.bufferedCount > 0 }

    func takeInvalidCount() -> Int { 0 }

    func cut(at time: BatchTime, limit: Int?) async -> SourceBatch<Element, Range<Int>> {
        let (records, range) = received.drainRange(limit: limit)
        return SourceBatch(partitions: Batch<Element>.split(records, into: parallelism), descriptor: range,
                           invalidRecords: takeInvalidCount())
    }

    func replay(_ range: Range<Int>, at time: BatchTime) async throws -> [[Element]] {
        guard received.isLogged else { return Batch<Element>.split([], into: parallelism) }
        return Batch<Element>.split(try await received.logged(range), into: parallelism)
    }

    var position: Int { received.nextCutSequence }

    func restore(position: Int) async throws {
        try await received.openLog()
        try await received.restore(position: position)
    }

    func checkpointWritten(position: Int, descriptors: [Range<Int>]) {
        // Batches still needed (pending or remembered) start at their lowest sequence number.
        received.truncateLog(before: descriptors.map(\.lowerBound).reduce(position, Swift.min))
    }
}

extension StreamingContext {
    /// A buffer for the received records of a source named `name`, write-ahead logged under the checkpoint
    /// directory (`receivedData/<source key>`) once the context checkpoints; `weigh` gives a record's size in
    /// bytes for the buffer's byte bound.
    func receiverContext<E: Sendable>(
        name: String, logger: Logger? = nil, weigh: (@Sendable (E) -> Int)? = nil
    ) -> ReceiverContext<E> {
        let key = graph.recoverableSourceKey(name)
        let folder = String(key.map { $0.isLetter || $0.isNumber ? $0 : "_" })
        var logger = logger ?? self.logger
        logger[metadataKey: "source"] = "\(key)"
        return ReceiverContext(logger: logger, weigh: weigh, logDirectory: { [weak self] in
            self?.checkpointDirectory?
                .appendingPathComponent("receivedData").appendingPathComponent(folder)
        }, fail: { [weak self] error in
            // Off the writer's thread: stopping waits for the sources, this receiver's among them.
            Task { await self?.stop(graceful: false, error: error) }
        })
    }
}
