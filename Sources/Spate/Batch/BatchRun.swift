import Synchronization

/// Counters shared by the partitions of one batch while it runs: records that failed in user code, and
/// records that event-time operators found late.
@usableFromInline
final class BatchRun: Sendable {
    let time: BatchTime
    private let failures = Atomic<Int>(0)
    private let late = Atomic<Int>(0)
    private let samples = Mutex<[String]>([])
    static let maxSamples = 10

    @usableFromInline
    init(time: BatchTime) { self.time = time }

    /// Counts a record that a user function threw on; keeps the first few messages.
    @usableFromInline
    func recordFailed(_ error: any Error, in operatorName: String) {
        let n = failures.wrappingAdd(1, ordering: .relaxed).newValue
        if n <= Self.maxSamples {
            samples.withLock { $0.append("\(operatorName): \(error)") }
        }
    }

    /// Counts `count` records that arrived behind their stream's watermark (`withWatermark`).
    func recordLate(_ count: Int) { late.wrappingAdd(count, ordering: .relaxed) }

    var failedRecords: Int { failures.load(ordering: .relaxed) }
    var lateRecords: Int { late.load(ordering: .relaxed) }
    var errorSamples: [String] { samples.withLock { $0 } }
}
