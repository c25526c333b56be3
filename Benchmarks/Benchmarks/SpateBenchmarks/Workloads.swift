import Benchmark
import Spate
import Synchronization

/// The five shared workloads of ../shared/WORKLOADS.md (W1 to W5), each in up to three forms: the user's path
/// (String records and closures as a Spark user ports them, `Batch` operations in `foreachBatch` for W5), the
/// fast form (the text views or SpateML), and a hand-written two-thread loop as strong as can be written.
/// Every form computes the same checksum, checked against a plain reference computation.
///
/// A measurement is 3 warm-up batches, then 20 timed batches; the inputs cycle over a few generated batches
/// (generated once, outside the measured region).
enum Workload {
    static let warmBatches = 3
    static let timedBatches = 20
    static let distinctBatches = 4
    static let users = 100_000
    static let campaigns = 1_000

    /// The index into the distinct batches of the `i`th batch of a run (warm-up batches first).
    static func cycled(_ i: Int) -> Int { i % distinctBatches }

    /// The batch indexes of a run, warm-up batches first.
    static var runBatches: Range<Int> { 0..<(warmBatches + timedBatches) }

    /// The timed batch indexes of a run.
    static var timed: Range<Int> { warmBatches..<(warmBatches + timedBatches) }
}

/// One event: (ts_ms, user, campaign, kind: 0 view 90%, 1 click 8%, 2 purchase 2%, value in [0, 100)).
struct Event: Sendable {
    let ts: Int64
    let user: Int32
    let campaign: Int32
    let kind: Int8
    /// Whole cents over 100, so the text form round-trips and sums compare exactly once rounded to cents.
    let value: Double

    /// The CSV text form `ts,user,campaign,kind,value`.
    var csv: String { "\(ts),\(user),\(campaign),\(kind),\(value)" }
}

/// The shared generators (SplitMix64, seed 42).
enum WorkloadData {
    /// `count` batches of `size` events, consecutive timestamps.
    static func events(batches count: Int, size: Int, seed: UInt64 = 42) -> [[Event]] {
        var rng = SeededRandom(seed: seed)
        var ts: Int64 = 1_700_000_000_000
        return (0..<count).map { _ in
            (0..<size).map { _ in
                ts += 1
                let user = Int32(Int.random(in: 0..<Workload.users, using: &rng))
                let campaign = Int32(Int.random(in: 0..<Workload.campaigns, using: &rng))
                let r = Double.random(in: 0..<1, using: &rng)
                let kind: Int8 = r < 0.90 ? 0 : (r < 0.98 ? 1 : 2)
                let value = Double(Int.random(in: 0..<10_000, using: &rng)) / 100
                return Event(ts: ts, user: user, campaign: campaign, kind: kind, value: value)
            }
        }
    }

    /// `count` batches of `lines` lines of 10 words from the vocabulary `w0`..`w9999`, Zipf(1) by inverse CDF,
    /// as newline-delimited bytes.
    static func wordLines(batches count: Int, lines: Int, seed: UInt64 = 42) -> [[UInt8]] {
        var rng = SeededRandom(seed: seed)
        let vocabulary = (0..<10_000).map { Array("w\($0)".utf8) }
        let zipf = ZipfSampler(vocabulary.count)
        return (0..<count).map { _ in
            var raw: [UInt8] = []
            raw.reserveCapacity(lines * 56)
            for _ in 0..<lines {
                for w in 0..<10 {
                    if w > 0 { raw.append(UInt8(ascii: " ")) }
                    raw.append(contentsOf: vocabulary[zipf.sample(&rng)])
                }
                raw.append(UInt8(ascii: "\n"))
            }
            return raw
        }
    }

    /// The lines of newline-delimited bytes as Strings (the user's path's records).
    static func strings(_ raw: [UInt8]) -> [String] {
        raw.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// A run's checksum, added to by output operations on both cores.
final class Checksum: Sendable {
    private let total = Atomic<Int>(0)
    func add(_ n: Int) { total.wrappingAdd(n, ordering: .relaxed) }
    func reset() { total.store(0, ordering: .relaxed) }
    var value: Int { total.load(ordering: .relaxed) }
}

/// A form whose checksum differs from the reference's: it computed something else, so its figure means
/// nothing.
struct ChecksumMismatch: Error, CustomStringConvertible {
    let workload: String
    let got: Int
    let expected: Int
    var description: String { "\(workload): checksum \(got), the reference computes \(expected)" }
}

/// The checksum each run reports (the same for every form of a workload).
let checksumMetric = BenchmarkMetric.custom("checksum", polarity: .prefersLarger, useScalingFactor: false)
/// The 99th percentile of a run's timed batch times, in microseconds.
let p99Batch = BenchmarkMetric.custom("p99 batch (us)", polarity: .prefersSmaller, useScalingFactor: false)

/// The workloads' configuration: records/s, batch times and checksum, with ordo-one's allocation and
/// peak-memory metrics.
func workloadConfiguration(maxIterations: Int = 5, seconds: Int = 15) -> Benchmark.Configuration {
    .init(
        metrics: [.throughput, .wallClock, recordsPerSecond, medianBatch, p99Batch, checksumMetric,
                  .mallocCountTotal, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 0,
        scalingFactor: .one,
        maxDuration: .seconds(seconds),
        maxIterations: maxIterations)
}

/// Reports a run's records/s, batch-time percentiles and checksum; throws when the checksum is not the
/// reference's.
func report(
    _ benchmark: Benchmark, _ workload: String, records: Int, seconds: Double, batchMicros: [Int],
    checksum: Int, expected: Int
) throws {
    benchmark.measurement(recordsPerSecond, Int(Double(records) / seconds))
    let sorted = batchMicros.sorted()
    if !sorted.isEmpty {
        benchmark.measurement(medianBatch, sorted[sorted.count / 2])
        benchmark.measurement(p99Batch, sorted[Swift.min(sorted.count - 1, (sorted.count * 99) / 100)])
    }
    benchmark.measurement(checksumMetric, checksum)
    guard checksum == expected else { throw ChecksumMismatch(workload: workload, got: checksum, expected: expected) }
}

/// Runs an engine form: starts `ssc`, runs the warm-up batches, resets `checksum` (then calls `warmedUp`),
/// times the timed batches, stops `ssc` (then calls `completed`), and reports.
func runEngine(
    _ benchmark: Benchmark, _ workload: String, _ ssc: StreamingContext, records: Int, checksum: Checksum,
    expected: Int, warmedUp: () -> Void = {}, completed: () -> Void = {}
) async throws {
    let times = BatchTimes()
    ssc.addListener(times)
    try await ssc.start()
    try await ssc.advance(by: .seconds(Workload.warmBatches))
    checksum.reset()
    warmedUp()
    times.times.withLock { $0 = [] }
    let clock = ContinuousClock()
    benchmark.startMeasurement()
    let start = clock.now
    try await ssc.advance(by: .seconds(Workload.timedBatches))
    let elapsed = clock.now - start
    benchmark.stopMeasurement()
    await ssc.stop()
    completed()
    try report(
        benchmark, workload, records: records, seconds: seconds(elapsed), batchMicros: times.times.withLock { $0 },
        checksum: checksum.value, expected: expected)
}

/// Runs a hand-written form: `batch(i)` processes run batch `i` and returns its checksum contribution.
func runHand(
    _ benchmark: Benchmark, _ workload: String, records: Int, expected: Int, _ batch: (Int) -> Int
) throws {
    for i in 0..<Workload.warmBatches { _ = batch(i) }
    let clock = ContinuousClock()
    var micros: [Int] = []
    var checksum = 0
    benchmark.startMeasurement()
    let start = clock.now
    for i in Workload.timed {
        let t0 = clock.now
        checksum &+= batch(i)
        micros.append(Int(seconds(clock.now - t0) * 1e6))
    }
    let elapsed = clock.now - start
    benchmark.stopMeasurement()
    try report(
        benchmark, workload, records: records, seconds: seconds(elapsed), batchMicros: micros,
        checksum: checksum, expected: expected)
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// A cents figure as an integer: sums of whole cents compare exactly once rounded.
@inline(__always)
func cents(_ value: Double) -> Int { Int((value * 100).rounded()) }
