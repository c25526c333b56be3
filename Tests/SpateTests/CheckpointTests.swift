import Foundation
import Synchronization
import Testing
@testable import Spate

/// Checkpoints within one process, on the manual clock: a program checkpoints, "crashes" (is dropped
/// without a graceful stop), is rebuilt with getOrCreate, and continues exactly as an uninterrupted run.
@Suite struct CheckpointTests {
    static func tempDir(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("spate-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The program under test: a rate source, a running total per key (updateStateByKey), a running count
    /// (mapWithState), a windowed count with an inverse function; every output collected by batch time.
    final class Program: Sendable {
        let ssc: StreamingContext
        let outputs = Mutex<[String: [Int: [String]]]>([:])

        init(_ ssc: StreamingContext) throws {
            self.ssc = ssc
            let pairs = ssc.rateStream(recordsPerSecond: 10).map { ("k\($0 % 3)", $0) }
            let totals = pairs.updateStateByKey { (vs: [Int], s: Int?) -> Int? in (s ?? 0) + vs.reduce(0, +) }
                .named("totals")
            let spec = StateSpec.function { (key: String, value: Int?, state: State<Int>) -> (String, Int) in
                let n = (state.getOption() ?? 0) + 1
                state.update(n)
                return (key, n)
            }
            let counts = pairs.mapWithState(spec).named("counts")
            let window = try pairs.mapValues { _ in 1 }
                .reduceByKeyAndWindow(+, inverse: -, length: .seconds(3), slide: .seconds(1)).named("window")
            collect(totals, "totals")
            collect(counts.stateSnapshots(), "counts")
            collect(window, "window")
        }

        func collect(_ stream: DStream<(String, Int)>, _ name: String) {
            stream.foreachBatch { [self] batch, time in
                let rows = batch.collect().map { "\($0.0)=\($0.1)" }.sorted()
                outputs.withLock { $0[name, default: [:]][time.milliseconds] = rows }
            }
        }

        var all: [String: [Int: [String]]] { outputs.withLock { $0 } }
    }

    @Test func recoveredProgramContinuesLikeAnUninterruptedOne() async throws {
        // Uninterrupted: 10 batches.
        let reference = try Program(StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual))
        try await reference.ssc.start()
        try await reference.ssc.advance(by: .seconds(10))
        await reference.ssc.stop()

        let dir = Self.tempDir("ckpt")
        defer { try? FileManager.default.removeItem(at: dir) }
        var first: Program?
        let ssc1 = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
            first = try Program(ssc)
            return ssc
        }
        _ = ssc1
        // Checkpoint every 2 batches; run 5 and drop the context without a graceful stop (as a crash does):
        // the last checkpoint is at batch 4, so batch 5 runs again after recovery.
        let program1 = try #require(first)
        let ssc = program1.ssc
        ssc.queueStream([[0]]).checkpoint(interval: .seconds(2)).foreachBatch { _, _ in }
        try await ssc.start()
        try await ssc.advance(by: .seconds(5))
        await ssc.stop(graceful: false)
        let files = CheckpointFile.list(dir)
        #expect(files.first?.time == 4000)

        var second: Program?
        let ssc2 = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 3, clock: .manual)
            second = try Program(ssc)
            ssc.queueStream([[0]]).checkpoint(interval: .seconds(2)).foreachBatch { _, _ in }
            return ssc
        }
        let recorder = InfoRecorder()
        ssc2.addListener(recorder)
        try await ssc2.start()
        try await ssc2.advance(by: .seconds(6))
        await ssc2.stop()
        #expect(recorder.infos.first?.batchTime.milliseconds == 5000)
        #expect(recorder.infos.first?.recoveredFrom?.milliseconds == 4000)
        let program2 = try #require(second)
        for name in ["totals", "counts", "window"] {
            let want = reference.all[name]!
            let before = program1.all[name]!, after = program2.all[name]!
            for t in stride(from: 1000, through: 4000, by: 1000) { #expect(before[t] == want[t], "\(name) at \(t)") }
            for t in stride(from: 5000, through: 10000, by: 1000) { #expect(after[t] == want[t], "\(name) at \(t)") }
        }
    }

    @Test func queueStreamResumesFromItsPositionAndRebuildsWindowHistory() async throws {
        let input: [[Int]] = (1...8).map { b in (0..<b).map { b * 10 + $0 } }
        final class Out: Sendable { let m = Mutex<[Int: [Int]]>([:]) }
        func program(_ ssc: StreamingContext, _ sink: Out) throws {
            try ssc.queueStream(input).window(length: .seconds(3)).checkpoint(interval: .seconds(2))
                .foreachBatch { batch, time in sink.m.withLock { $0[time.milliseconds] = batch.collect().sorted() } }
        }
        let reference = Out()
        let refCtx = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        try program(refCtx, reference)
        try await refCtx.start()
        try await refCtx.advance(by: .seconds(8))
        await refCtx.stop()

        let dir = Self.tempDir("queue")
        defer { try? FileManager.default.removeItem(at: dir) }
        let before = Out(), after = Out()
        let first = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
            try program(ssc, before)
            return ssc
        }
        try await first.start()
        try await first.advance(by: .seconds(5))
        await first.stop(graceful: false)  // checkpoint at 4 s; batch 5 runs again
        let second = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 3, clock: .manual)
            try program(ssc, after)
            return ssc
        }
        try await second.start()
        try await second.advance(by: .seconds(4))
        await second.stop()
        let want = reference.m.withLock { $0 }
        #expect(before.m.withLock { $0 }.filter { $0.key <= 4000 } == want.filter { $0.key <= 4000 })
        #expect(after.m.withLock { $0 } == want.filter { $0.key > 4000 })
    }

    @Test func corruptOrTruncatedCheckpointFallsBackToThePreviousOne() throws {
        let dir = Self.tempDir("corrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        func data(_ t: Int) -> CheckpointData {
            CheckpointData(batchIntervalMs: 1000, zeroMs: 0, completedMs: t, pendingMs: [], sources: [:],
                           operators: [:], writtenAtMs: 0)
        }
        for t in [1000, 2000, 3000] { try CheckpointFile.write(data(t), to: dir) }
        let warnings = Mutex<[String]>([])
        #expect(try CheckpointFile.latest(in: dir, warn: { w in warnings.withLock { $0.append(w) } })?.completedMs == 3000)
        // Flip a byte in the newest payload: the checksum catches it.
        let newest = dir.appendingPathComponent("checkpoint-3000.spate")
        var bytes = try Data(contentsOf: newest)
        bytes[bytes.count - 5] ^= 0x20
        try bytes.write(to: newest)
        #expect(try CheckpointFile.latest(in: dir, warn: { w in warnings.withLock { $0.append(w) } })?.completedMs == 2000)
        #expect(warnings.withLock { $0 }.last?.contains("checksum mismatch") == true)
        // Truncate the next one too.
        let second = dir.appendingPathComponent("checkpoint-2000.spate")
        let full = try Data(contentsOf: second)
        try full.prefix(full.count / 2).write(to: second)
        #expect(try CheckpointFile.latest(in: dir, warn: { w in warnings.withLock { $0.append(w) } })?.completedMs == 1000)
        #expect(warnings.withLock { $0 }.last?.contains("truncated") == true)
        // Garbage only: no checkpoint, never a crash.
        for f in CheckpointFile.list(dir) { try Data("garbage".utf8).write(to: f.url) }
        #expect(try CheckpointFile.latest(in: dir, warn: { _ in }) == nil)
    }

    @Test func checkpointFromAnotherProgramNamesTheOperator() async throws {
        let dir = Self.tempDir("incompatible")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ssc = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
            ssc.queueStream([[("a", 1)]]).updateStateByKey { (v: [Int], s: Int?) in (s ?? 0) + v.count }
                .named("per-user").checkpoint(interval: .seconds(1)).print()
            return ssc
        }
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        // Same name, another state type.
        let other = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
            ssc.queueStream([[("a", 1)]]).updateStateByKey { (v: [Int], s: String?) in "\(v)" }
                .named("per-user").print()
            return ssc
        }
        await #expect { try await other.start() } throws: { error in
            "\(error)".contains("per-user") && "\(error)".contains("updateStateByKey<String, Int>")
        }
        // The operator is gone.
        let renamed = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
            ssc.queueStream([[("a", 1)]]).updateStateByKey { (v: [Int], s: Int?) in (s ?? 0) + v.count }
                .named("per-account").print()
            return ssc
        }
        await #expect { try await renamed.start() } throws: { error in
            "\(error)".contains("'per-user'") && "\(error)".contains("not in this program")
        }
    }

    @Test func stateThatIsNotCodableFailsAtStartWithTheFix() async throws {
        struct Opaque: Sendable {}
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        ssc.checkpoint(directory: Self.tempDir("opaque"))
        ssc.queueStream([[("a", 1)]]).updateStateByKey { (_: [Int], _: Opaque?) in Opaque() }.named("opaque").print()
        await #expect { try await ssc.start() } throws: { error in
            "\(error)".contains("'opaque'") && "\(error)".contains("Codable")
        }
    }
}
