import Synchronization
import Testing
@testable import Spate

/// Records every completed batch's `BatchInfo`.
final class BatchInfoRecorder: StreamingListener {
    private let infos = Mutex<[BatchInfo]>([])
    func batchCompleted(_ info: BatchInfo) { infos.withLock { $0.append(info) } }
    var all: [BatchInfo] { infos.withLock { $0 } }
}

/// A count that outputs add to from their batches.
final class Tally: Sendable {
    private let count = Atomic<Int>(0)
    func add(_ n: Int) { count.wrappingAdd(n, ordering: .relaxed) }
    var total: Int { count.load(ordering: .relaxed) }
}

/// Runs `batches` (one per batch time, then `idle` empty ones) through a manual-clock context whose program
/// `define` builds on the queue stream; returns the completed batches' infos.
@discardableResult
func runEventProgram<R: Sendable>(
    _ batches: [[R]], idle: Int = 0, parallelism: Int = 2, _ define: (DStream<R>) throws -> Void
) async throws -> [BatchInfo] {
    let ssc = manualContext(parallelism: parallelism)
    let recorder = BatchInfoRecorder()
    ssc.addListener(recorder)
    try define(ssc.queueStream(batches, default: []))
    try await ssc.start()
    try await ssc.advance(by: .seconds(batches.count + idle))
    await ssc.stop(graceful: false)
    return recorder.all
}

/// Each batch's `(Windowed<String>, value)` results as sorted strings, for comparing with a reference.
func windowRows<V>(_ batches: [[(Windowed<String>, V)]]) -> [[String]] {
    batches.map { $0.map { "\($0.0)=\($0.1)" }.sorted() }
}

/// Plain-Swift event time: the watermark rule of API.md, applied batch by batch.
struct ReferenceWatermark {
    let delay: Int64
    var newest: Int64?

    /// Splits a batch into on-time and late records by W(t) and returns W(t+1).
    mutating func batch<R>(_ records: [R], time: (R) -> Int64) -> (onTime: [R], late: [R], after: Int64?) {
        let w = newest.map { $0 - delay }
        var onTime: [R] = [], late: [R] = []
        for r in records {
            if let w, time(r) < w { late.append(r) } else { onTime.append(r) }
        }
        for r in records { newest = Swift.max(newest ?? time(r), time(r)) }
        return (onTime, late, newest.map { $0 - delay })
    }
}

/// Plain-Swift tumbling and sliding window counts: every window `[k*slide, k*slide + length)` holding a
/// record, closed when the watermark after the batch reaches its end.
struct ReferenceWindows {
    let length: Int64, slide: Int64, mode: OutputMode
    var open: [Windowed<String>: Int] = [:]

    mutating func batch(_ records: [(String, Int64)], after: Int64?) -> [(Windowed<String>, Int)] {
        var touched = Set<Windowed<String>>()
        for (key, t) in records {
            for k in stride(from: (t - length) / slide - 2, through: t / slide + 2, by: 1) {
                let start = k * slide
                guard start <= t && t < start + length else { continue }
                let w = Windowed(key: key, window: EventWindow(start: start, end: start + length))
                open[w, default: 0] += 1
                touched.insert(w)
            }
        }
        var out: [(Windowed<String>, Int)] = mode == .update ? touched.map { ($0, open[$0]!) } : []
        if let after {
            for (w, c) in open where w.window.end <= after {
                if mode == .append { out.append((w, c)) }
                open[w] = nil
            }
        }
        return out
    }
}

/// Seeded out-of-order events: `batches` batches of `perBatch` `(key, time)` records whose times advance
/// `stepMs` per batch, with `outOfOrder` of them shifted back by up to `lagMs`.
func outOfOrderEvents(
    seed: UInt64, batches: Int, perBatch: Int, keys: Int, stepMs: Int64, lagMs: Int64, outOfOrder: Double
) -> [[(String, Int64)]] {
    var random = SeededGenerator(seed: seed)
    return (0..<batches).map { b in
        (0..<perBatch).map { _ in
            let base = Int64(b) * stepMs + Int64.random(in: 0..<stepMs, using: &random)
            let lag = random.nextUniform() < outOfOrder ? Int64.random(in: 0...lagMs, using: &random) : 0
            return ("k\(Int.random(in: 0..<keys, using: &random))", base - lag)
        }
    }
}
