import Foundation
import Spate

// A small streaming program for the recovery tests: the tests start it as a child process, kill it with
// SIGKILL at random points, start it again, and compare its output with an uninterrupted run's.
//
// Usage: RecoveryProbe <checkpoint dir> <output dir> <batches> <interval ms> [receiver-file]
// Output: saveAsTextFiles folders <output dir>/totals-<time>.txt and window-<time>.txt. A run that never
// checkpointed starts a new timeline (a new zero time); the tests compare the final timeline's folders
// timeline) are told apart. The program stops gracefully after batch <batches> and exits 0.
let args = CommandLine.arguments
guard args.count >= 5, let batches = Int(args[3]), let intervalMs = Int(args[4]) else {
    FileHandle.standardError.write(Data("usage: RecoveryProbe <checkpoint> <output> <batches> <interval ms>\n".utf8))
    exit(2)
}
let checkpoint = URL(fileURLWithPath: args[1])
let output = args[2]
if args.count >= 6 {
    // Reliable-receiver mode: read an upstream file through a receiver that acknowledges (advances the
    // upstream's acknowledged line count) only after storeReliably returned.
    try await ReceiverProbe.run(checkpoint: checkpoint, output: output, intervalMs: intervalMs, upstream: args[5])
    exit(0)
}

final class StopAfter: StreamingListener {
    let lastMs: @Sendable () -> Int
    let ssc: StreamingContext
    init(ssc: StreamingContext, lastMs: @escaping @Sendable () -> Int) { self.ssc = ssc; self.lastMs = lastMs }
    func batchCompleted(_ info: BatchInfo) {
        if info.batchTime.milliseconds >= lastMs() {
            Task { await ssc.stop(graceful: true) }
        }
    }
}

let ssc = try StreamingContext.getOrCreate(checkpoint: checkpoint) {
    let ssc = StreamingContext(batchInterval: .milliseconds(intervalMs), parallelism: 2)
    let events = ssc.rateStream(recordsPerSecond: 40_000)
    let pairs = events.map { ("k\($0 % 7)", $0) }
    let totals = pairs.updateStateByKey { (values: [Int], state: Int?) -> Int? in
        (state ?? 0) + values.reduce(0, +)
    }.named("totals").checkpoint(interval: .milliseconds(2 * intervalMs))
    let windowed = try pairs.mapValues { _ in 1 }
        .reduceByKeyAndWindow(+, inverse: -, length: .milliseconds(4 * intervalMs), slide: .milliseconds(2 * intervalMs))
        .named("window")
    let sorted = { @Sendable (batch: Batch<(String, Int)>) in
        Batch(time: batch.time, elements: batch.collect().sorted { $0.0 < $1.0 })
    }
    // One sorted partition per batch, so the files do not depend on this process's hash seed.
    totals.transform(sorted).saveAsTextFiles(prefix: "\(output)/totals", suffix: "txt")
    windowed.transform(sorted).saveAsTextFiles(prefix: "\(output)/window", suffix: "txt")
    return ssc
}
ssc.stopGracefullyOnSignals()
let listener = StopAfter(ssc: ssc) { [ssc] in ssc.zeroTime.milliseconds + batches * intervalMs }
ssc.addListener(listener)
try await ssc.start()
try await ssc.awaitTermination()
exit(0)
