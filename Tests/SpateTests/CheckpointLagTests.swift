import Foundation
import Testing
@testable import Spate

/// A checkpoint whose operator state lags its completed batch by more than the program's slides allow (a
/// damaged file, or another program's) fails the start with a typed error: recovery used to catch the state up
/// batch by batch over the gap (the Checkpoint fuzz target's seed took decades of batch times).
@Suite struct CheckpointLagTests {
    static func program() -> StreamingContext {
        let ssc = StreamingContext(batchInterval: .milliseconds(100), parallelism: 1, clock: .manual)
        ssc.queueStream([[("a", 1)], [("a", 2)], [("b", 3)]])
            .updateStateByKey { (values: [Int], total: Int?) in (total ?? 0) + values.reduce(0, +) }
            .named("totals").foreachBatch { _, _ in }
        return ssc
    }

    @Test func aStateFarBehindTheCompletedBatchFailsTheStart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-lag-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ssc = try StreamingContext.getOrCreate(checkpoint: dir) { Self.program() }
        try await ssc.start()
        try await ssc.advance(by: .milliseconds(300))
        await ssc.stop()
        let newest = try #require(CheckpointFile.list(dir).first)
        var data = try CheckpointFile.decode(Data(contentsOf: newest.url), path: newest.url.path)
        #expect(data.operators["totals"]?.lastMs == data.completedMs, "a healthy checkpoint: the state is at its batch")

        // The completed batch 2,000 batches on, the state left where it was.
        data.completedMs += 2_000 * 100
        try FileManager.default.removeItem(at: newest.url)
        try CheckpointFile.write(data, to: dir)
        let recovered = try StreamingContext.getOrCreate(checkpoint: dir) { Self.program() }
        await #expect {
            try await recovered.start()
        } throws: { error in
            guard case let .unreadableState(name, reason) = error as? CheckpointError else { return false }
            return name == "totals" && reason.contains("200000 ms before") && "\(error)".contains("empty checkpoint directory")
        }
        await recovered.stop(graceful: false)
    }
}
