import Foundation
import Synchronization
import Testing
@testable import Spate

/// A checkpointing queueStream keeps only the batches a kept checkpoint can still replay.
@Suite struct QueueSourceTests {
    /// Sums of a 3-batch window over the queue, by batch time.
    final class Sums: Sendable { let m = Mutex<[Int: Int]>([:]) }

    static func program(_ queue: QueueSource<Int>, _ dir: URL, _ sums: Sums) throws -> StreamingContext {
        try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
            try ssc.queueStream(queue).window(length: .seconds(3)).checkpoint(interval: .seconds(1))
                .foreachBatch { batch, time in sums.m.withLock { $0[time.milliseconds] = batch.collect().reduce(0, +) } }
            return ssc
        }
    }

    /// The batch (in seconds) of the oldest checkpoint kept in `dir` (the writer deletes older ones after it).
    static func oldestKept(_ dir: URL) -> Int? {
        CheckpointFile.list(dir).prefix(CheckpointFile.kept).last.map { $0.time / 1000 }
    }

    @Test func memoryStaysBoundedOverManyBatchesAndRecoveryStillReplaysTheWindow() async throws {
        let dir = CheckpointTests.tempDir("queue-bound")
        defer { try? FileManager.default.removeItem(at: dir) }
        let batches = 400
        let queue = QueueSource<Int>((1...batches).map { [$0] })
        let sums = Sums()
        let first = try Self.program(queue, dir, sums)
        try await first.start()
        try await first.advance(by: .seconds(300))
        // The writer runs in the background: wait until it caught up with the last checkpoint.
        try await pollUntil("checkpoints written", timeout: .seconds(20)) {
            CheckpointFile.list(dir).first?.time == 300_000
        }
        // Kept: the 100 waiting, and the taken batches after the oldest checkpoint kept on disk, with the window's
        // history before it (the window reads 3 batches; the source remembers a few more).
        let oldestKept = try #require(Self.oldestKept(dir))
        try await pollUntil("taken batches dropped", timeout: .seconds(20)) {
            queue.retainedCount <= batches - oldestKept + 8
        }
        #expect(queue.batches(0..<1) == nil)
        // A crash: the rebuilt program (same queue, as in one process) replays the window's history from it.
        await first.stop(graceful: false)
        let second = try Self.program(queue, dir, sums)
        try await second.start()
        try await second.advance(by: .seconds(100))
        await second.stop()
        let got = sums.m.withLock { $0 }
        for t in 1...batches {
            let want = (Swift.max(1, t - 2)...t).reduce(0, +)
            #expect(got[t * 1000] == want, "window at \(t) s")
        }
        let oldestAtEnd = try #require(Self.oldestKept(dir))
        #expect(queue.retainedCount <= batches - oldestAtEnd + 8, "\(queue.retainedCount)")
    }
}
