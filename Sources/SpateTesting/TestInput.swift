import Spate
import Synchronization

/// An input of a program under test: batches pushed here reach the program one per batch time, in order.
///
/// Every batch pushed is kept for the life of the driver, as a replayable source (a Kafka topic) keeps its
/// records: a program recovered from a checkpoint re-reads the batches it had not finished from here.
/// ```swift
/// let lines = try driver.input("lines", of: String.self)
/// lines.push(["to be or", "not to be"])
/// try await driver.advance(batches: 1)
/// ```
public final class TestInput<T: Sendable>: Sendable {
    /// The name the program asked for the input by.
    public let name: String
    private let state = Mutex<State>(State())

    private struct State: Sendable {
        /// Every batch pushed so far, in order.
        var log: [[T]] = []
        /// The queue of the running program's context (a new one for each run of the program).
        var queue: QueueSource<T>?
    }

    init(name: String) { self.name = name }

    /// Queues one batch: the next batch time that has no batch yet takes it. A batch time with nothing
    /// queued gets an empty batch.
    public func push(_ records: [T]) {
        state.withLock { s in
            s.log.append(records)
            s.queue?.push(records)
        }
    }

    /// Queues several batches, one per batch time.
    public func push(batches: [[T]]) {
        for batch in batches { push(batch) }
    }

    /// How many batches were pushed so far.
    public var pushedBatches: Int { state.withLock { $0.log.count } }

    /// The input stream for one run of the program: a queue over every batch pushed so far. A recovered
    /// context restores the queue's position from its checkpoint, so it continues after the last batch it took.
    func stream(in context: StreamingContext) -> DStream<T> {
        let queue = state.withLock { s -> QueueSource<T> in
            let queue = QueueSource(s.log)
            s.queue = queue
            return queue
        }
        return context.queueStream(queue)
    }
}
