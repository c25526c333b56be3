import Synchronization

/// Counters shared by the partitions of one batch while it runs: records that failed in user code.
@usableFromInline
final class BatchRun: Sendable {
    let time: BatchTime
    private let failures = Atomic<Int>(0)
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

    var failedRecords: Int { failures.load(ordering: .relaxed) }
    var errorSamples: [String] { samples.withLock { $0 } }
}
