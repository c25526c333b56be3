import Spate
import Synchronization
import Testing

/// The output lifecycle: a `BatchSink` is opened before its first batch, written once per batch, and flushed
/// and closed once when the context stops, however it stops.
@Suite struct BatchSinkTests {
    struct WriteFailed: Error {}
    struct FlushFailed: Error {}

    /// A sink recording every call; it fails the write of `failAt` (ms) and, with `failFlush`, its flush.
    final class RecordingSink: BatchSink {
        let calls = Mutex<[String]>([])
        let failAt: Int?
        let failFlush: Bool
        init(failAt: Int? = nil, failFlush: Bool = false) {
            self.failAt = failAt
            self.failFlush = failFlush
        }

        func open() async throws { calls.withLock { $0.append("open") } }
        func write(_ batch: Batch<Int>, at time: BatchTime) async throws {
            calls.withLock { $0.append("write \(time.milliseconds) \(batch.collect().sorted())") }
            if time.milliseconds == failAt { throw WriteFailed() }
        }
        func flush() async throws {
            calls.withLock { $0.append("flush") }
            if failFlush { throw FlushFailed() }
        }
        func close() async throws { calls.withLock { $0.append("close") } }
        var recorded: [String] { calls.withLock { $0 } }
    }

    /// A manual-clock context writing batches [1], [2, 3], [4] to `sink`, started.
    static func started(_ sink: RecordingSink) async throws -> StreamingContext {
        let ssc = manualContext()
        ssc.queueStream([[1], [2, 3], [4]]).foreach(sink)
        try await ssc.start()
        return ssc
    }

    static let threeBatches = ["open", "write 1000 [1]", "write 2000 [2, 3]", "write 3000 [4]", "flush", "close"]

    @Test func aGracefulStopFlushesAndClosesAfterTheLastWrite() async throws {
        let sink = RecordingSink()
        let ssc = try await Self.started(sink)
        try await ssc.advance(by: .seconds(3))
        #expect(sink.recorded == Array(Self.threeBatches.prefix(4)))
        await ssc.stop(graceful: true)
        try await ssc.awaitTermination()
        #expect(sink.recorded == Self.threeBatches)
    }

    @Test func aStopThatIsNotGracefulFlushesAndClosesToo() async throws {
        let sink = RecordingSink()
        let ssc = try await Self.started(sink)
        try await ssc.advance(by: .seconds(3))
        await ssc.stop(graceful: false)
        #expect(sink.recorded == Self.threeBatches)
    }

    @Test func aBatchThatThrowsStopsTheContextAndTheSinkIsStillFlushedAndClosed() async throws {
        let sink = RecordingSink(failAt: 2000)
        let ssc = try await Self.started(sink)
        await #expect(throws: WriteFailed.self) { try await ssc.advance(by: .seconds(3)) }
        #expect(sink.recorded == ["open", "write 1000 [1]", "write 2000 [2, 3]", "flush", "close"])
        await #expect(throws: WriteFailed.self) { try await ssc.awaitTermination() }
    }

    @Test func closeRunsOnceHoweverOftenTheContextIsStopped() async throws {
        let sink = RecordingSink()
        let ssc = try await Self.started(sink)
        try await ssc.advance(by: .seconds(1))
        await ssc.stop(graceful: true)
        await ssc.stop(graceful: false)
        await ssc.stop()
        #expect(sink.recorded == ["open", "write 1000 [1]", "flush", "close"])
    }

    @Test func aSinkThatNeverWroteIsNeitherOpenedNorClosed() async throws {
        let sink = RecordingSink()
        let ssc = try await Self.started(sink)
        await ssc.stop()
        #expect(sink.recorded == [])
    }

    @Test func aFailedFlushStillClosesAndIsRethrownByAwaitTermination() async throws {
        let sink = RecordingSink(failFlush: true)
        let ssc = try await Self.started(sink)
        try await ssc.advance(by: .seconds(1))
        await ssc.stop(graceful: true)
        #expect(sink.recorded == ["open", "write 1000 [1]", "flush", "close"])
        await #expect(throws: FlushFailed.self) { try await ssc.awaitTermination() }
    }

    @Test func theSystemClockStopsCloseTheSinkAfterItsWrites() async throws {
        let sink = RecordingSink()
        let ssc = StreamingContext(batchInterval: .milliseconds(20), parallelism: 2)
        let queue = ssc.queueStream([[1], [2]])
        queue.foreach(sink)
        try await ssc.start()
        try await pollUntil("the sink wrote two batches") { sink.recorded.count >= 3 }
        await ssc.stop(graceful: false)
        let calls = sink.recorded
        #expect(calls.first == "open")
        #expect(calls.suffix(2) == ["flush", "close"])
        #expect(calls.dropFirst().dropLast(2).allSatisfy { $0.hasPrefix("write ") })
    }
}
