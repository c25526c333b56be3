import Synchronization

/// Counters shared by the partitions of one batch while it runs: records that failed in user code, and
/// records that event-time operators found late.
@usableFromInline
final class BatchRun: Sendable {
    let time: BatchTime
    private let failures = Atomic<Int>(0)
    private let invalid = Atomic<Int>(0)
    private let late = Atomic<Int>(0)
    private let samples = Mutex<[String]>([])
    private let expired = Mutex<[String: Int]>([:])
    static let maxSamples = 10

    @usableFromInline
    init(time: BatchTime) { self.time = time }

    /// Counts a record that a user function threw on (as invalid input when the error is an
    /// `InvalidInputError`); keeps the first few messages.
    @usableFromInline
    func recordFailed(_ error: any Error, in operatorName: String) {
        let n = error is any InvalidInputError
            ? invalid.wrappingAdd(1, ordering: .relaxed).newValue : failures.wrappingAdd(1, ordering: .relaxed).newValue
        if n <= Self.maxSamples {
            samples.withLock { $0.append("\(operatorName): \(error)") }
        }
    }

    /// Counts `count` records that arrived behind their stream's watermark (`withWatermark`).
    func recordLate(_ count: Int) { late.wrappingAdd(count, ordering: .relaxed) }

    /// Counts `count` keys of the state `name` removed because their time to live ran out, for a state the
    /// checkpoints do not hold (source-scoped state: `BatchInfo.expiredStateKeys` gets them from here).
    func recordExpired(_ name: String, _ count: Int) {
        if count > 0 { expired.withLock { $0[name, default: 0] += count } }
    }

    var failedRecords: Int { failures.load(ordering: .relaxed) }
    var invalidRecords: Int { invalid.load(ordering: .relaxed) }
    var lateRecords: Int { late.load(ordering: .relaxed) }
    var errorSamples: [String] { samples.withLock { $0 } }
    var expiredKeys: [String: Int] { expired.withLock { $0 } }
}
