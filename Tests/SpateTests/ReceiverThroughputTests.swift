import Foundation
import Testing
@testable import Spate

/// Stores `total` records in chunks of `chunk`, plainly or reliably, as fast as the context takes them.
private struct BulkReceiver: Receiver {
    let total: Int
    let chunk: Int
    let reliable: Bool
    func onStart(_ context: ReceiverContext<Int>) async throws {
        var next = 0
        while next < total && !context.isStopped {
            let values = Array(next..<Swift.min(next + chunk, total))
            if reliable { try await context.storeReliably(contentsOf: values) } else { context.store(contentsOf: values) }
            next += values.count
        }
    }
    func onStop() async {}
}

/// Receiver throughput with the write-ahead log on: every record stored reaches a batch, and the rate is
/// printed for the benchmarks table (`swift test --filter ReceiverThroughputTests`).
@Suite(.serialized) struct ReceiverThroughputTests {
    static func measure(total: Int, chunk: Int, reliable: Bool) async throws -> Double {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-wal-rate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ssc = manualContext()
        ssc.checkpoint(directory: dir)
        let (stream, supervisor) = ssc.receiverSource(BulkReceiver(total: total, chunk: chunk, reliable: reliable))
        let out = Collector(stream.count())
        let t0 = ContinuousClock.now
        try await ssc.start()
        // Until every record is in a batch: stored, written to the log and cut.
        let deadline = ContinuousClock.now + .seconds(120)
        while out.results.flatMap({ $0 }).reduce(0, +) < total && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            try await ssc.advance(by: .seconds(1))
        }
        let took = ContinuousClock.now - t0
        await ssc.stop()
        #expect(out.results.flatMap { $0 }.reduce(0, +) == total)
        #expect(supervisor.context.reportedErrors == 0)
        let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
        let rate = Double(total) / seconds
        print("receiver throughput (\(reliable ? "storeReliably" : "store"), chunks of \(chunk)): \(Int(rate)) records/s")
        return rate
    }

    @Test func plainStoresWithTheLogOn() async throws {
        _ = try await Self.measure(total: 200_000, chunk: 100, reliable: false)
    }

    @Test func reliableStoresWithTheLogOn() async throws {
        _ = try await Self.measure(total: 20_000, chunk: 20, reliable: true)
    }
}
