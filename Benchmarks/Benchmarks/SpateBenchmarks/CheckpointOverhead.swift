import Benchmark
import Foundation
import Spate
import Synchronization

/// Median batch time of a running sum over 100,000 users (updateStateByKey, 200,000 events a batch) with
/// and without checkpoints every 10 batches (every 10 s at a 1 s batch interval, Spate's default interval).
/// The bound: checkpointing raises the median batch time by at most 10%.
enum CheckpointOverhead {
    static let warmBatches = 5
    static let measuredBatches = 30
    static let input = Inputs.eventBatches(warmBatches + measuredBatches, seed: 5)

    /// The median processing time of the measured batches, in microseconds.
    static let medianBatch = BenchmarkMetric.custom("median batch (us)", polarity: .prefersSmaller, useScalingFactor: false)
    /// The mean, which (unlike the median) shows the checkpoint batches' extra cost spread over all batches.
    static let meanBatch = BenchmarkMetric.custom("mean batch (us)", polarity: .prefersSmaller, useScalingFactor: false)

    static func configuration() -> Benchmark.Configuration {
        .init(metrics: [.wallClock, medianBatch, meanBatch], timeUnits: .milliseconds, warmupIterations: 0,
              scalingFactor: .one, maxDuration: .seconds(90), maxIterations: 10)
    }

    final class BatchTimes: StreamingListener {
        let times = Mutex<[Int]>([])
        func batchCompleted(_ info: BatchInfo) {
            if let d = info.processingDelay {
                let us = Int(d.components.seconds) * 1_000_000 + Int(d.components.attoseconds / 1_000_000_000_000)
                times.withLock { $0.append(us) }
            }
        }
    }

    static func run(_ benchmark: Benchmark, checkpoint: Bool) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-bench-ckpt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ssc = benchmarkContext()
        if checkpoint { ssc.checkpoint(directory: dir) }
        let out = OutputCounter()
        ssc.queueStream(input)
            .updateStateByKey { (values: [Int], total: Int?) in (total ?? 0) + values.reduce(0, +) }
            .named("totals")
            .checkpoint(interval: .seconds(10))
            .foreachBatch { batch, _ in out.add(batch.count) }
        let times = BatchTimes()
        ssc.addListener(times)
        try await ssc.start()
        try await ssc.advance(by: .seconds(warmBatches))
        times.times.withLock { $0 = [] }
        benchmark.startMeasurement()
        // Batches come at a pace, as a real clock brings them (a stable job processes a batch in less than
        // its interval); the checkpoint is written in the background between them, as in production.
        for _ in 0..<measuredBatches {
            try await ssc.advance(by: .seconds(1))
            try await Task.sleep(for: .milliseconds(150))
        }
        benchmark.stopMeasurement()
        await ssc.stop()
        let sorted = times.times.withLock { $0 }.sorted()
        benchmark.measurement(medianBatch, sorted[sorted.count / 2])
        benchmark.measurement(meanBatch, sorted.reduce(0, +) / max(1, sorted.count))
        blackHole(out.value)
    }
}
