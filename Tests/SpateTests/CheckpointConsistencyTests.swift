import Foundation
import Synchronization
import Testing
@testable import Spate

/// A checkpoint taken while a source is cutting a batch must describe the source consistently: its position
/// may not include a batch whose descriptor it lacks (recovery would cut that batch again from past its
/// records and get an empty batch; seen once in the kill -9 test as totals short by one batch).
@Suite(.serialized) struct CheckpointConsistencyTests {
    /// Ten consecutive integers a batch; once `gated`, a cut advances its position, then waits for `go`.
    final class GatedSource: RecoverableSource {
        typealias Element = Int
        let next = Mutex(0)
        let gated = Atomic(false)
        let inCut = Atomic(false)
        let go = DispatchSemaphore(value: 0)

        func cut(_ time: BatchTime) -> (parts: [[Int]], descriptor: Data) {
            let range = next.withLock { n -> Range<Int> in
                defer { n += 10 }
                return n..<(n + 10)
            }
            if gated.load(ordering: .acquiring) {
                inCut.store(true, ordering: .releasing)
                go.wait()
            }
            return ([Array(range)], Data("\(range.lowerBound),\(range.upperBound)".utf8))
        }

        func replay(_ descriptor: Data, at time: BatchTime) throws -> [[Int]] {
            let b = String(decoding: descriptor, as: UTF8.self).split(separator: ",").map { Int($0)! }
            return [Array(b[0]..<b[1])]
        }

        func position() -> Data { Data("\(next.withLock { $0 })".utf8) }
        func restore(position: Data) throws { next.withLock { $0 = Int(String(decoding: position, as: UTF8.self))! } }
    }

    /// Where the recorded descriptors end: a consistent checkpoint's position.
    static func described(_ checkpoint: SourceCheckpoint) -> Int {
        checkpoint.batches.values.map { Int(String(decoding: $0, as: UTF8.self).split(separator: ",")[1])! }.max() ?? 0
    }

    @Test func aCheckpointDuringACutDoesNotRecordTheCutsPositionWithoutItsBatch() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
        let source = GatedSource()
        ssc.recoverableInputStream(name: "gated", source: source).foreachBatch { _, _ in }
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        let handle = try #require(ssc.graph.recoverableSources["gated"])

        source.gated.store(true, ordering: .releasing)
        let advancing = Task { try await ssc.advance(by: .seconds(1)) }
        while !source.inCut.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
        // The cut of batch 2000 moved the source to 20 but has not returned its descriptor yet.
        let during = handle.checkpoint(0)
        #expect(Int(String(decoding: during.position, as: UTF8.self)) == Self.described(during))
        #expect(Set(during.batches.keys) == [1000])
        source.go.signal()
        try await advancing.value

        let after = handle.checkpoint(0)
        #expect(Int(String(decoding: after.position, as: UTF8.self)) == 20)
        #expect(Set(after.batches.keys) == [1000, 2000])
        await ssc.stop()
    }
}
