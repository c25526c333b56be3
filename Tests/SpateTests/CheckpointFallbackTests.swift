import Foundation
import Synchronization
import Testing
@testable import Spate

/// A receiver whose context the test holds, so it stores exactly the records it wants before each batch.
private final class HandOffReceiver: Receiver {
    typealias Element = String
    let context = Mutex<ReceiverContext<String>?>(nil)

    func onStart(_ context: ReceiverContext<String>) async throws {
        self.context.withLock { $0 = context }
        while !context.isStopped && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
    }

    func onStop() async {}

    /// Waits until the receiver runs, then stores `records` and waits until they are in the log (and so in the
    /// buffer the next batch takes: plain `store` returns before the log's writer has written them).
    func store(_ records: [String]) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while context.withLock({ $0 }) == nil {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(5))
        }
        let context = context.withLock { $0 }!
        try await context.storeReliably(contentsOf: records)
    }
}

/// Each batch's window count, by batch time.
private final class Counts: Sendable {
    let m = Mutex<[Int: Int]>([:])
    var value: [Int: Int] { m.withLock { $0 } }
}

@Suite(.serialized) struct CheckpointFallbackTests {
    static func tempDir(_ name: String) -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-fallback-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A receiver stream's 3-batch window counts, checkpointed every 10 batches of 100 ms.
    fileprivate static func program(_ receiver: HandOffReceiver, _ seen: Counts) throws -> StreamingContext {
        let ssc = StreamingContext(batchInterval: .milliseconds(100), parallelism: 1, clock: .manual)
        let lines = ssc.receiverStream(receiver).checkpoint(interval: .milliseconds(1000))
        try lines.window(length: .milliseconds(300)).count().foreachBatch { batch, time in
            let n = batch.collect().first ?? 0
            seen.m.withLock { $0[time.milliseconds] = n }
        }
        return ssc
    }

    @Test func fallingBackToAnOlderCheckpointReplaysTheSameRecords() async throws {
        let dir = Self.tempDir("wal")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = Counts()
        let receiver = HandOffReceiver()
        let ssc = try StreamingContext.getOrCreate(checkpoint: dir) { try Self.program(receiver, first) }
        try await ssc.start()
        for i in 1...30 {
            try await receiver.store(["r\(i)"])
            try await ssc.advance(by: .milliseconds(100))
            if i % 10 == 0 {
                // Each checkpoint written (and the log truncated after it) before the next record arrives, so the
                // log's segments start at the checkpoints.
                let deadline = ContinuousClock.now + .seconds(10)
                while !CheckpointFile.list(dir).contains(where: { $0.time == i * 100 }), ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        await ssc.stop(graceful: false)
        #expect(CheckpointFile.list(dir).map(\.time) == [3000, 2000, 1000])
        // The newest checkpoint is damaged: recovery falls back to the one of batch 2000 and runs 2100...3000
        // again, from the write-ahead log, which must still hold what those batches and their windows read.
        let newest = dir.appendingPathComponent("checkpoint-3000.spate")
        var bytes = try Data(contentsOf: newest)
        bytes[bytes.count - 3] ^= 0x41
        try bytes.write(to: newest)

        let second = Counts()
        let again = try StreamingContext.getOrCreate(checkpoint: dir) { try Self.program(HandOffReceiver(), second) }
        try await again.start()
        try await again.advance(by: .milliseconds(1000))
        await again.stop(graceful: false)
        #expect(first.value.filter { $0.key > 2000 }.values.allSatisfy { $0 == 3 })
        // The ten records after the fallback checkpoint's position wait in the buffer together, so batch 2100
        // takes them all; its windows add batches 1900 and 2000, rebuilt from the log (without them: 10, 10, 10).
        let want = [2100: 12, 2200: 11, 2300: 10].merging(stride(from: 2400, through: 3000, by: 100).map { ($0, 0) }) { a, _ in a }
        #expect(second.value == want)
    }

    @Test func aCheckpointOfAnotherFormatVersionFailsTheStartAndIsKept() async throws {
        let dir = Self.tempDir("version")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = CheckpointData(batchIntervalMs: 1000, zeroMs: 0, completedMs: 1000, pendingMs: [], sources: [:],
                                  operators: [:], writtenAtMs: 0)
        try CheckpointFile.write(data, to: dir)
        // A newer Spate's checkpoint: the same header with version 2.
        var future = try CheckpointFile.encode(CheckpointData(
            batchIntervalMs: 1000, zeroMs: 0, completedMs: 2000, pendingMs: [], sources: [:], operators: [:],
            writtenAtMs: 0))
        future[11] = 2
        let futureFile = dir.appendingPathComponent("checkpoint-2000.spate")
        try future.write(to: futureFile)
        #expect {
            _ = try StreamingContext.getOrCreate(checkpoint: dir) {
                let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
                ssc.queueStream([[1]]).print()
                return ssc
            }
        } throws: { error in
            guard case let .formatVersionMismatch(path, file, supported) = error as? CheckpointError else { return false }
            let text = "\(error)"
            return path == futureFile.path && file == 2 && supported == 1 && text.contains("version 2")
                && text.contains("version 1") && text.contains("empty one")
        }
        // Rotation never deletes it either, however many checkpoints follow.
        for t in [3000, 4000, 5000, 6000] {
            var next = data
            next.completedMs = t
            try CheckpointFile.write(next, to: dir)
        }
        #expect(try Data(contentsOf: futureFile) == future)
    }

    @Test func leftoverTemporaryCheckpointFilesAreRemovedAtStart() async throws {
        let dir = Self.tempDir("leftover")
        defer { try? FileManager.default.removeItem(at: dir) }
        let leftover = dir.appendingPathComponent(".checkpoint-4000.tmp-12345")
        try Data(repeating: 7, count: 100).write(to: leftover)
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
        ssc.checkpoint(directory: dir)
        ssc.queueStream([[1]]).print()
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        #expect(!CheckpointFile.list(dir).isEmpty)
    }
}
