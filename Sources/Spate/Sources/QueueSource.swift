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

    func take(all: Bool) -> [T]? { takeRange(all: all).records }

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

/// Checkpoint support for queue streams: a batch is described by the queue indices it took; the position
/// is the next index. A recovered program must create its queue with the same batches (as tests do); as
/// in Spark, batches pushed at run time are not recovered.
struct RecoverableQueueSource<T: Sendable>: RecoverableSource {
    let queue: QueueSource<T>
    let oneAtATime: Bool
    let defaultBatch: [T]?
    let parallelism: Int

    func cut(_ time: BatchTime) -> (parts: [[T]], descriptor: Data) {
        let (records, range) = queue.takeRange(all: !oneAtATime)
        return (Batch<T>.split(records ?? defaultBatch ?? [], into: parallelism),
                Data("\(range.lowerBound),\(range.upperBound)".utf8))
    }

    func replay(_ descriptor: Data, at time: BatchTime) throws -> [[T]] {
        let bounds = String(decoding: descriptor, as: UTF8.self).split(separator: ",").compactMap { Int($0) }
        guard bounds.count == 2 else { throw SpateError.invalidArgument("queueStream: unreadable checkpointed batch at \(time)") }
        if bounds[0] == bounds[1] { return Batch<T>.split(defaultBatch ?? [], into: parallelism) }
        guard let records = queue.batches(bounds[0]..<bounds[1]) else {
            throw SpateError.invalidArgument(
                "queueStream: batches \(bounds[0])..<\(bounds[1]) are not in the rebuilt queue; create it with the same batches")
        }
        return Batch<T>.split(records, into: parallelism)
    }

    func position() -> Data { Data("\(queue.position)".utf8) }

    func restore(position: Data) throws {
        guard let next = Int(String(decoding: position, as: UTF8.self)) else {
            throw SpateError.invalidArgument("queueStream: unreadable checkpointed position")
        }
        queue.restore(position: next)
    }
}

extension StreamingContext {
    /// A stream that takes its batches from `queue`: one queued batch per batch interval (`oneAtATime`),
    /// or all queued batches at once; when the queue is empty, `default` (if given) or an empty batch.
    /// Unlike Spark, `BatchInfo.numRecords` counts these records.
    public func queueStream<T: Sendable>(
        _ queue: QueueSource<T>, oneAtATime: Bool = true, default defaultBatch: [T]? = nil
    ) -> DStream<T> {
        if checkpointDirectory != nil { queue.retainTaken() }
        return recoverableInputStream(
            name: "queueStream",
            hooks: SourceHooks(
                start: { [self] in
                    // checkpoint(directory:) may come after queueStream(_:) in the program.
                    if checkpointDirectory != nil { queue.retainTaken() }
                },
                hasPendingData: { queue.pending > 0 }),
            source: RecoverableQueueSource(
                queue: queue, oneAtATime: oneAtATime, defaultBatch: defaultBatch, parallelism: parallelism))
    }

    /// A stream over fixed batches: the first batch interval gets `batches[0]`, the next `batches[1]`, ...
    public func queueStream<T: Sendable>(
        _ batches: [[T]], oneAtATime: Bool = true, default defaultBatch: [T]? = nil
    ) -> DStream<T> {
        queueStream(QueueSource(batches), oneAtATime: oneAtATime, default: defaultBatch)
    }
}
