// The soak program run by scripts/soak.sh (see there for what is sampled and asserted).
//
// A receiver with its write-ahead log produces `batches x perBatch` records at the batch rate. Record i carries
// key k(i) of generation i / generationRecords (keys churn: each generation has fresh keys, the previous ones go
// idle and time out) and value i % 7 + 1. mapWithState keeps each key's sum and, when a key times out, emits its
// sum; an incremental window counts records per key bucket over 20 batches; the context checkpoints every
// 10 batches and serves the dashboard. When the receiver is done and the batches have drained, the program stops
// and prints one JSON line: the records counted, the sum expected (computed from the formula), and the sum found
// (timed-out sums + the sums still in state), which must be equal.
import Foundation
import Spate
import SpateDashboard
import Synchronization

struct Options {
    var batches = 12_000
    var intervalMs = 50
    var perBatch = 1_000
    var keysPerGeneration = 2_000
    var generationRecords = 100_000
    var timeoutMs = 1_000
    var checkpoint = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("spate-soak-checkpoint")
    var dashboardPort = 4041

    init(_ arguments: [String]) throws {
        var it = arguments.dropFirst().makeIterator()
        while let flag = it.next() {
            guard let value = it.next() else { throw SoakError.usage("\(flag) needs a value") }
            func int() throws -> Int {
                guard let n = Int(value), n > 0 else { throw SoakError.usage("\(flag) takes a positive integer") }
                return n
            }
            switch flag {
            case "--batches": batches = try int()
            case "--interval-ms": intervalMs = try int()
            case "--per-batch": perBatch = try int()
            case "--keys": keysPerGeneration = try int()
            case "--generation-records": generationRecords = try int()
            case "--timeout-ms": timeoutMs = try int()
            case "--checkpoint": checkpoint = URL(fileURLWithPath: value)
            case "--dashboard-port": dashboardPort = try int()
            default: throw SoakError.usage("unknown option \(flag)")
            }
        }
    }

    var records: Int { batches * perBatch }

    func key(_ i: Int) -> String { "k\((i / generationRecords) * keysPerGeneration + i % keysPerGeneration)" }
    func value(_ i: Int) -> Int { i % 7 + 1 }
}

enum SoakError: Error, CustomStringConvertible {
    case usage(String)
    var description: String {
        switch self {
        case .usage(let message):
            return "\(message). Options: --batches --interval-ms --per-batch --keys --generation-records "
                + "--timeout-ms --checkpoint DIR --dashboard-port"
        }
    }
}

/// Counters the outputs and the receiver share with the main task.
final class Progress: Sendable {
    let stored = Atomic<Int>(0)
    let done = Atomic<Bool>(false)
    let records = Atomic<Int>(0)
    let batches = Atomic<Int>(0)
    let timedOutSum = Atomic<Int>(0)
    let timedOutKeys = Atomic<Int>(0)
    let stateSum = Atomic<Int>(0)
    let stateKeys = Atomic<Int>(0)
    let windowKeys = Atomic<Int>(0)
}

/// One record: Codable, so the receiver's write-ahead log keeps it.
struct Event: Codable, Sendable {
    var key: String
    var value: Int
}

/// Produces the records at the batch rate, `perBatch` every interval, reliably (each chunk is in the
/// write-ahead log before the next is made).
struct ChurnReceiver: Receiver {
    let options: Options
    let progress: Progress

    func onStart(_ context: ReceiverContext<Event>) async throws {
        var next = progress.stored.load(ordering: .relaxed)
        let clock = ContinuousClock()
        var deadline = clock.now
        while !context.isStopped && next < options.records {
            let end = min(next + options.perBatch, options.records)
            try context.storeReliably((next..<end).map { Event(key: options.key($0), value: options.value($0)) })
            next = end
            progress.stored.store(next, ordering: .relaxed)
            deadline += .milliseconds(options.intervalMs)
            try await Task.sleep(until: deadline, clock: clock)
        }
        if next >= options.records { progress.done.store(true, ordering: .relaxed) }
        while !context.isStopped { try await Task.sleep(for: .milliseconds(20)) }
    }

    func onStop() async {}
}

/// Stops the context once the receiver is done and three batches in a row were empty; logs progress.
final class Supervisor: StreamingListener {
    let ssc: StreamingContext
    let progress: Progress
    let options: Options
    let quiet = Mutex(0)

    init(_ ssc: StreamingContext, _ progress: Progress, _ options: Options) {
        self.ssc = ssc; self.progress = progress; self.options = options
    }

    func batchCompleted(_ info: BatchInfo) {
        progress.records.add(info.numRecords, ordering: .relaxed)
        let n = progress.batches.add(1, ordering: .relaxed).newValue
        if n % 500 == 0 {
            let line = "soak: batch \(n), \(progress.records.load(ordering: .relaxed))/\(options.records) records, "
                + "\(progress.stateKeys.load(ordering: .relaxed)) keys in state, "
                + "\(progress.timedOutKeys.load(ordering: .relaxed)) timed out\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
        guard progress.done.load(ordering: .relaxed) else { return }
        let empty = quiet.withLock { q -> Int in q = info.numRecords == 0 ? q + 1 : 0; return q }
        if empty == 3 { Task { await ssc.stop(graceful: true) } }
    }
}

let options: Options
do { options = try Options(CommandLine.arguments) } catch {
    FileHandle.standardError.write(Data("spate-soak: \(error)\n".utf8))
    exit(2)
}
try? FileManager.default.removeItem(at: options.checkpoint)
let progress = Progress()
let ssc = StreamingContext(batchInterval: .milliseconds(options.intervalMs), parallelism: 2)
ssc.checkpoint(directory: options.checkpoint)
let events = ssc.receiverStream(ChurnReceiver(options: options, progress: progress)).map { ($0.key, $0.value) }
events.checkpoint(interval: .milliseconds(10 * options.intervalMs))   // the context's checkpoint interval
let sums = events.mapWithState(
    StateSpec.function { (_: String, value: Int?, state: State<Int>) -> Int in
        if state.isTimingOut { return state.get() }
        state.update(state.getOption().map { $0 + (value ?? 0) } ?? (value ?? 0))
        return 0
    }.timeout(.milliseconds(options.timeoutMs)))
sums.stream.foreachBatch { batch, _ in
    for sum in batch.collect() where sum > 0 {
        progress.timedOutSum.add(sum, ordering: .relaxed)
        progress.timedOutKeys.add(1, ordering: .relaxed)
    }
}
sums.stateSnapshots().foreachBatch { batch, _ in
    let state = batch.collect()
    progress.stateSum.store(state.reduce(0) { $0 + $1.1 }, ordering: .relaxed)
    progress.stateKeys.store(state.count, ordering: .relaxed)
}
let buckets = try events.map { (key, _) in (key.utf8.count * 31 &+ Int(key.utf8.last ?? 0), 1) }
    .reduceByKeyAndWindow(
        +, inverse: -, length: .milliseconds(20 * options.intervalMs), slide: .milliseconds(options.intervalMs),
        filter: { $1 != 0 })
buckets.foreachBatch { batch, _ in progress.windowKeys.store(batch.count, ordering: .relaxed) }
buckets.dashboard(.bar(title: "Records per bucket, last 20 batches", topK: 10))
events.count().dashboard(.line(title: "Records per batch"))
ssc.addListener(Supervisor(ssc, progress, options))

let dashboard = try await ssc.dashboard(port: options.dashboardPort)
try await ssc.start()
FileHandle.standardError.write(Data("soak: running, pid \(getpid()), dashboard on port \(options.dashboardPort)\n".utf8))
try await ssc.awaitTermination()
await dashboard.stop()

let expected = (0..<options.records).reduce(0) { $0 + options.value($1) }
let found = progress.timedOutSum.load(ordering: .relaxed) + progress.stateSum.load(ordering: .relaxed)
let result: [String: Int] = [
    "records_expected": options.records,
    "records": progress.records.load(ordering: .relaxed),
    "batches": progress.batches.load(ordering: .relaxed),
    "sum_expected": expected,
    "sum": found,
    "timed_out_keys": progress.timedOutKeys.load(ordering: .relaxed),
    "keys_in_state": progress.stateKeys.load(ordering: .relaxed),
    "window_keys": progress.windowKeys.load(ordering: .relaxed),
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
exit(found == expected && progress.records.load(ordering: .relaxed) == options.records ? 0 : 1)
