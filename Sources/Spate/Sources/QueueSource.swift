import Foundation
import Synchronization

/// A queue of batches that a program (or test) pushes into while the context runs; read by
/// `StreamingContext.queueStream(_:)`. Each batch time takes the next queued batch (or, with
/// `oneAtATime: false`, everything queued).
public final class QueueSource<T: Sendable>: Sendable {
    private let queue: Mutex<Queue>

    /// The batches and the read position. Taken batches are kept while `retainsTaken` (a checkpointing
    /// context): a recovered program rebuilds old batches from them by index.
    private struct Queue: Sendable {
        var batches: [[T]]
        var next = 0
        var retainsTaken = false
    }

    /// A queue that starts with `batches`.
    public init(_ batches: [[T]] = []) { queue = Mutex(Queue(batches: batches)) }

    /// Queues one batch of records.
    public func push(_ batch: [T]) { queue.withLock { $0.batches.append(batch) } }

    /// Batches waiting to be read.
    public var pending: Int { queue.withLock { $0.batches.count - $0.next } }

    /// Takes the next batch (or all queued ones) with their indices in the queue.
    func takeRange(all: Bool) -> (records: [T]?, range: Range<Int>) {
        queue.withLock { q in
            let from = q.next
            guard from < q.batches.count else { return (nil, from..<from) }
            let to = all ? q.batches.count : from + 1
            let records = to == from + 1 ? q.batches[from] : q.batches[from..<to].flatMap { $0 }
            q.next = to
            if !q.retainsTaken {
                // Nothing will ask for taken batches again: drop them (keeping indices stable).
                q.batches.removeFirst(to)
                q.next = 0
                return (records, 0..<0)
            }
            return (records, from..<to)
        }
    }

    /// Keeps taken batches so checkpoints can describe batches by queue index.
    func retainTaken() { queue.withLock { $0.retainsTaken = true } }

    /// The batches at `range`, flattened (nil when they are not there).
    func batches(_ range: Range<Int>) -> [T]? {
        queue.withLock { q in
            guard range.lowerBound >= 0, range.upperBound <= q.batches.count else { return nil }
            return q.batches[range].flatMap { $0 }
        }
    }

    var position: Int { queue.withLock { $0.next } }

    func restore(position: Int) { queue.withLock { $0.next = Swift.min(position, $0.batches.count) } }
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
