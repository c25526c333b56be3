import Benchmark
import Dispatch
import Spate
import Synchronization

/// Records processed per second over the measured region: the figure BENCHMARKS.md quotes.
let recordsPerSecond = BenchmarkMetric.custom("records/s", polarity: .prefersLarger, useScalingFactor: false)

/// One measured iteration covers several batches; a few iterations per benchmark keep the run short.
func configuration(maxIterations: Int = 8, seconds: Int = 10) -> Benchmark.Configuration {
    .init(
        metrics: [.throughput, .wallClock, recordsPerSecond],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(seconds),
        maxIterations: maxIterations)
}

/// Measures `body`, which processes `records` input records, and reports records/s beside throughput and
/// wall clock.
func measure(_ benchmark: Benchmark, records: Int, _ body: () async throws -> Void) async rethrows {
    let clock = ContinuousClock()
    benchmark.startMeasurement()
    let start = clock.now
    try await body()
    let elapsed = clock.now - start
    benchmark.stopMeasurement()
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    benchmark.measurement(recordsPerSecond, Int(Double(records) / seconds))
}

/// Counts the records that reach an output operation (so the work cannot be optimized away).
final class OutputCounter: Sendable {
    private let total = Atomic<Int>(0)
    func add(_ n: Int) { total.wrappingAdd(n, ordering: .relaxed) }
    var value: Int { total.load(ordering: .relaxed) }
}

/// The hand-written baselines' parallelism: `body(0)` and `body(1)` on the two cores, results in order.
func onBothCores<R: Sendable>(_ body: @Sendable (Int) -> R) -> [R] {
    let slots = Mutex<[R?]>([nil, nil])
    DispatchQueue.concurrentPerform(iterations: 2) { i in
        let r = body(i)
        slots.withLock { $0[i] = r }
    }
    return slots.withLock { $0.map { $0! } }
}

/// A context as the engine benchmarks use it: manual clock, both cores.
func benchmarkContext() -> StreamingContext {
    StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
}

/// The partition (0 or 1) of a key in the hand-written baselines: one multiply, top bit.
@inline(__always)
func half(_ key: Int) -> Int {
    Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(key)) &* 0x9E37_79B9_7F4A_7C15) >> 63)
}

/// The median processing time of a run's measured batches, in microseconds.
let medianBatch = BenchmarkMetric.custom("median batch (us)", polarity: .prefersSmaller, useScalingFactor: false)
/// The mean, which (unlike the median) shows occasional slow batches spread over all batches.
let meanBatch = BenchmarkMetric.custom("mean batch (us)", polarity: .prefersSmaller, useScalingFactor: false)

/// Collects every completed batch's processing time, in microseconds.
final class BatchTimes: StreamingListener {
    let times = Mutex<[Int]>([])
    func batchCompleted(_ info: BatchInfo) {
        if let d = info.processingDelay {
            let us = Int(d.components.seconds) * 1_000_000 + Int(d.components.attoseconds / 1_000_000_000_000)
            times.withLock { $0.append(us) }
        }
    }
}

/// Starts `ssc`, runs `warm` batches, then `measured` batches `pause` apart (as a clock brings them), stops
/// it, and records the measured batches' median and mean processing time.
func measurePacedBatches(
    _ ssc: StreamingContext, _ benchmark: Benchmark, warm: Int, measured: Int, pause: Duration
) async throws {
    let times = BatchTimes()
    ssc.addListener(times)
    try await ssc.start()
    try await ssc.advance(by: .seconds(warm))
    times.times.withLock { $0 = [] }
    benchmark.startMeasurement()
    for _ in 0..<measured {
        try await ssc.advance(by: .seconds(1))
        try await Task.sleep(for: pause)
    }
    benchmark.stopMeasurement()
    await ssc.stop()
    let sorted = times.times.withLock { $0 }.sorted()
    benchmark.measurement(medianBatch, sorted[sorted.count / 2])
    benchmark.measurement(meanBatch, sorted.reduce(0, +) / max(1, sorted.count))
}
