import Synchronization

/// A queue of batches that a program (or test) pushes into while the context runs; read by
/// `StreamingContext.queueStream(_:)`. Each batch time takes the next queued batch (or, with
/// `oneAtATime: false`, everything queued).
public final class QueueSource<T: Sendable>: Sendable {
    private let queue: Mutex<[[T]]>

    /// A queue that starts with `batches`.
    public init(_ batches: [[T]] = []) { queue = Mutex(batches) }

    /// Queues one batch of records.
    public func push(_ batch: [T]) { queue.withLock { $0.append(batch) } }

    /// Batches waiting to be read.
    public var pending: Int { queue.withLock { $0.count } }

    func take(all: Bool) -> [T]? {
        queue.withLock { q in
            guard !q.isEmpty else { return nil }
            if all { defer { q.removeAll() }; return q.flatMap { $0 } }
            return q.removeFirst()
        }
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
        return inputStream(
            name: "queueStream",
            hooks: SourceHooks(hasPendingData: { queue.pending > 0 })
        ) { _ in
            let records = queue.take(all: !oneAtATime) ?? defaultBatch ?? []
            return Batch<T>.split(records, into: parallelism)
        }
    }

    /// A stream over fixed batches: the first batch interval gets `batches[0]`, the next `batches[1]`, ...
    public func queueStream<T: Sendable>(
        _ batches: [[T]], oneAtATime: Bool = true, default defaultBatch: [T]? = nil
    ) -> DStream<T> {
        queueStream(QueueSource(batches), oneAtATime: oneAtATime, default: defaultBatch)
    }
}
