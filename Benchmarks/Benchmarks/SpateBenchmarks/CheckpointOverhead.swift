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

    static func configuration() -> Benchmark.Configuration {
        .init(metrics: [.wallClock, medianBatch, meanBatch], timeUnits: .milliseconds, warmupIterations: 0,
              scalingFactor: .one, maxDuration: .seconds(90), maxIterations: 10)
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
        // Batches come at a pace, as a real clock brings them (a stable job processes a batch in less than
        // its interval); the checkpoint is written in the background between them, as in production.
        try await measurePacedBatches(ssc, benchmark, warm: warmBatches, measured: measuredBatches, pause: .milliseconds(150))
        blackHole(out.value)
    }
}
