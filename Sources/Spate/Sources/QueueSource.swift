import Foundation
import Synchronization

/// A queue of batches that a program (or test) pushes into while the context runs; read by
/// `StreamingContext.queueStream(_:)`. Each batch time takes the next queued batch (or, with
/// `oneAtATime: false`, everything queued).
public final class QueueSource<T: Sendable>: Sendable {
    private let queue: Mutex<Queue>

    /// The batches and the read position, by queue index (the first batch pushed is 0). Taken batches are
    /// kept while `retainsTaken` (a checkpointing context), but only those a kept checkpoint can still ask
    /// for: a recovered program rebuilds old batches from them by index.
    private struct Queue: Sendable {
        var batches: [[T]]
        /// The queue index of `batches[0]`: the batches before it were dropped.
        var base = 0
        var next = 0
        var retainsTaken = false

        /// Drops the batches before queue index `index` (never past the read position).
        mutating func drop(before index: Int) {
            let n = Swift.min(index, next) - base
            guard n > 0 else { return }
            batches.removeFirst(n)
            base += n
        }
    }

    /// A queue that starts with `batches`.
    public init(_ batches: [[T]] = []) { queue = Mutex(Queue(batches: batches)) }

    /// Queues one batch of records.
    public func push(_ batch: [T]) { queue.withLock { $0.batches.append(batch) } }

    /// Batches waiting to be read.
    public var pending: Int { queue.withLock { $0.base + $0.batches.count - $0.next } }

    /// Batches held in memory: those waiting, plus the taken ones a kept checkpoint may still replay.
    var retainedCount: Int { queue.withLock { $0.batches.count } }

    /// Takes the next batch (or all queued ones) with their indices in the queue.
    func takeRange(all: Bool) -> (records: [T]?, range: Range<Int>) {
        queue.withLock { q in
            let from = q.next
            guard from < q.base + q.batches.count else { return (nil, from..<from) }
            let to = all ? q.base + q.batches.count : from + 1
            let records = to == from + 1 ? q.batches[from - q.base] : q.batches[(from - q.base)..<(to - q.base)].flatMap { $0 }
            q.next = to
            // Nothing will ask for taken batches again: drop them (indices stay stable).
            if !q.retainsTaken { q.drop(before: to) }
            return (records, from..<to)
        }
    }

    /// Keeps taken batches so checkpoints can describe batches by queue index.
    func retainTaken() { queue.withLock { $0.retainsTaken = true } }

    /// The oldest checkpoint still kept on disk (the checkpointer reports what the oldest of the
    /// `CheckpointFile.kept` checkpoints needs: the fallbacks of a corrupt newest one) needs no batch before queue
    /// index `needed`: drops the batches before it.
    func checkpointWritten(needing needed: Int) {
        queue.withLock { q in q.drop(before: Swift.max(q.base, needed)) }
    }

    /// The batches at `range`, flattened (nil when they are not there).
    func batches(_ range: Range<Int>) -> [T]? {
        queue.withLock { q in
            guard range.lowerBound >= q.base, range.upperBound <= q.base + q.batches.count else { return nil }
            return q.batches[(range.lowerBound - q.base)..<(range.upperBound - q.base)].flatMap { $0 }
        }
    }

    var position: Int { queue.withLock { $0.next } }

    func restore(position: Int) {
        queue.withLock { $0.next = Swift.max($0.base, Swift.min(position, $0.base + $0.batches.count)) }
    }
}

/// The source of a queue stream: each cut takes the next queued batch (or all of them), assembled into
/// partitions by `assemble`. A batch is described by the queue indices it took; the position is the next
/// index. A recovered program must create its queue with the same batches (as tests do); as in Spark,
/// batches pushed at run time are not recovered.
struct QueueStreamSource<T: Sendable, Element: Sendable>: StreamSource {
    let queue: QueueSource<T>
    let oneAtATime: Bool
    /// Whether the context checkpoints (then taken batches are kept, for replays).
    let checkpointing: @Sendable () -> Bool
    /// The partitions of a batch from the records taken (nil: the queue was empty).
    let assemble: @Sendable ([T]?) -> [[Element]]

    var name: String { "queueStream" }

    func start() async throws {
        // checkpoint(directory:) may come after queueStream(_:) in the program.
        if checkpointing() { queue.retainTaken() }
    }

    var hasPendingData: Bool { queue.pending > 0 }

    func cut(at time: BatchTime, limit: Int?) async -> SourceBatch<Element, Range<Int>> {
        let (records, range) = queue.takeRange(all: !oneAtATime)
        return SourceBatch(partitions: assemble(records), descriptor: range)
    }

    func replay(_ range: Range<Int>, at time: BatchTime) async throws -> [[Element]] {
        if range.isEmpty { return assemble(nil) }
        guard let records = queue.batches(range) else {
            throw SpateError.queueBatchesMissing(range: range)
        }
        return assemble(records)
    }

    var position: Int { queue.position }

    func restore(position: Int) async throws { queue.restore(position: position) }

    func checkpointWritten(position: Int, descriptors: [Range<Int>]) {
        queue.checkpointWritten(needing: descriptors.map(\.lowerBound).reduce(position, Swift.min))
    }
}

extension StreamingContext {
    /// A stream that takes its batches from `queue`: one queued batch per batch interval (`oneAtATime`),
    /// or all queued batches at once; when the queue is empty, `default` (if given) or an empty batch.
    /// Unlike Spark, `BatchInfo.numRecords` counts these records.
    public func queueStream<T: Sendable>(
        _ queue: QueueSource<T>, oneAtATime: Bool = true, default defaultBatch: [T]? = nil
    ) -> DStream<T> {
        let parallelism = self.parallelism
        return inputStream(queueSource(queue, oneAtATime: oneAtATime) { records in
            Batch<T>.split(records ?? defaultBatch ?? [], into: parallelism)
        })
    }

    /// A stream over fixed batches: the first batch interval gets `batches[0]`, the next `batches[1]`, ...
    public func queueStream<T: Sendable>(
        _ batches: [[T]], oneAtATime: Bool = true, default defaultBatch: [T]? = nil
    ) -> DStream<T> {
        queueStream(QueueSource(batches), oneAtATime: oneAtATime, default: defaultBatch)
    }

    /// The source over `queue`, keeping taken batches when the context checkpoints.
    func queueSource<T: Sendable, E: Sendable>(
        _ queue: QueueSource<T>, oneAtATime: Bool, assemble: @escaping @Sendable ([T]?) -> [[E]]
    ) -> QueueStreamSource<T, E> {
        let checkpointing: @Sendable () -> Bool = { [weak self] in
            self?.checkpointDirectory != nil
        }
        if checkpointing() { queue.retainTaken() }
        return QueueStreamSource(queue: queue, oneAtATime: oneAtATime, checkpointing: checkpointing, assemble: assemble)
    }
}
