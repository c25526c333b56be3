import Spate
import Synchronization

/// What one output of a program under test produced, batch by batch.
///
/// A batch that runs again after a recovery (it was generated but not completed before the crash) is recorded
/// again: `history` has every run, `batches` only the latest run of each batch time, which is what an
/// uninterrupted run's `batches` holds when the program is deterministic.
public final class TestOutput<T: Sendable>: Sendable {
    /// The name the program gave the output.
    public let name: String
    private let runs = Mutex<[(time: BatchTime, records: [T])]>([])

    init(name: String) { self.name = name }

    func record(_ records: [T], at time: BatchTime) {
        runs.withLock { $0.append((time, records)) }
    }

    /// Every batch the output ran on, in the order they ran, replays after a recovery included.
    public var history: [(time: BatchTime, records: [T])] { runs.withLock { $0 } }

    /// The latest run of each batch time, in batch-time order.
    public var batches: [(time: BatchTime, records: [T])] {
        runs.withLock { runs in
            var latest: [BatchTime: Int] = [:]
            for (i, run) in runs.enumerated() { latest[run.time] = i }
            return latest.sorted { $0.key < $1.key }.map { runs[$0.value] }
        }
    }

    /// The records of the latest run of the batch at `time` (nil when the output did not run then).
    public func records(at time: BatchTime) -> [T]? {
        runs.withLock { $0.last { $0.time == time }?.records }
    }

    /// The records of the most recent batch (nil before the first).
    public var last: [T]? { batches.last?.records }

    /// Every record of every batch (latest runs), in batch-time order.
    public var allRecords: [T] { batches.flatMap(\.records) }

    /// Forgets what was recorded so far.
    public func clear() { runs.withLock { $0.removeAll() } }
}
