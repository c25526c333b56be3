import Foundation
import Logging
import Synchronization
import Testing
@testable import Spate

/// The checkpoint writer's queue: at most one checkpoint waits for the disk, the newest.
@Suite struct CheckpointerTests {
    /// A stateful operator whose checkpoint takes `encodeTime` to encode (a slow disk), counting its encodings.
    final class SlowOperator: CheckpointedOperator {
        let encoded = Mutex<[Int?]>([])
        let encodeTime: Duration
        let lastMs = Mutex<Int?>(nil)
        init(encodeTime: Duration) { self.encodeTime = encodeTime }
        var checkpointName: String { "slow" }
        var kind: String { "slow<Int>" }
        var isCodable: Bool { true }
        var keyCount: Int { 0 }
        func snapshot() -> @Sendable () throws -> OperatorCheckpoint {
            let at = lastMs.withLock { $0 }
            return { [self] in
                // Stands in for a slow disk: the writer is busy while the next checkpoints are taken.
                Thread.sleep(forTimeInterval: Double(encodeTime.wholeMilliseconds) / 1000)
                encoded.withLock { $0.append(at) }
                return OperatorCheckpoint(kind: kind, lastMs: at, keys: Data("[]".utf8), values: Data("[]".utf8))
            }
        }
        func restore(_ checkpoint: OperatorCheckpoint) throws {}
    }

    @Test func aCheckpointTakenWhileAnotherWaitsSupersedesItAndTheNewestIsWritten() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-ckpt-queue-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let graph = DStreamGraph(batchIntervalMs: 1000, logger: Logger(label: "test"))
        let op = SlowOperator(encodeTime: .milliseconds(200))
        graph.addCheckpointed(operatorName: "slow") { _ in op }
        graph.start(zeroMs: 0)
        let checkpointer = Checkpointer(graph: graph, logger: Logger(label: "test"), directory: dir, intervalMs: 1000)
        // Ten checkpoint batches complete faster than one checkpoint is written.
        for t in 1...10 {
            op.lastMs.withLock { $0 = t * 1000 }
            _ = checkpointer.batchCompleted(BatchTime(milliseconds: t * 1000), pendingMs: [])
        }
        await checkpointer.finish()
        let encoded = op.encoded.withLock { $0 }
        // The writer took at most the first one before the rest were queued, then only the newest.
        #expect(encoded.count <= 2, "\(encoded)")
        #expect(encoded.last == 10_000)
        #expect(checkpointer.supersededCount == 10 - encoded.count)
        #expect(checkpointer.lastWrittenTime == BatchTime(milliseconds: 10_000))
        #expect(try CheckpointFile.latest(in: dir, warn: { _ in })?.completedMs == 10_000)
    }
}
