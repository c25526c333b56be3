import Foundation
import Synchronization
import Testing
@testable import Spate

/// Cuts three numbers a batch; its replay fails while `failuresLeft` is positive (with `error`).
final class FlakyReplaySource: StreamSource {
    typealias Element = Int
    let next = Mutex(0)
    let failuresLeft: Mutex<Int>
    let error: SpateError
    let replays = Mutex(0)

    init(failures: Int, error: SpateError = .sourceFailed(source: "flaky", reason: "the broker is down")) {
        failuresLeft = Mutex(failures)
        self.error = error
    }

    var name: String { "flaky" }
    func cut(at time: BatchTime, limit: Int?) async -> SourceBatch<Int, Range<Int>> {
        let range = next.withLock { n in defer { n += 3 }; return n..<(n + 3) }
        return SourceBatch(partitions: [Array(range)], descriptor: range)
    }
    func replay(_ range: Range<Int>, at time: BatchTime) async throws -> [[Int]] {
        replays.withLock { $0 += 1 }
        if failuresLeft.withLock({ f in defer { f -= 1 }; return f > 0 }) { throw error }
        return [Array(range)]
    }
    var position: Int { next.withLock { $0 } }
    func restore(position: Int) async throws { next.withLock { $0 = position } }
}

/// Item 5 of "nothing lost": a recovered batch its source cannot rebuild used to run as an empty batch with one
/// log line. Now it is retried with backoff while the cause may pass, then fails the batch and stops the context
/// with `SpateError.recoveredBatchLost`, unless the program accepts the loss (then it is reported and counted).
@Suite struct RecoveredBatchTests {
    /// A context recovering `source` from a checkpoint whose batch 1000 is pending (described as 6..<9).
    func recovering(
        _ source: FlakyReplaySource, _ configuration: RecoveryConfiguration? = nil
    ) async throws -> (StreamingContext, Collector<Int>, SourceRecorder<FlakyReplaySource>) {
        let ssc = manualContext()
        ssc.checkpoint(directory: FileManager.default.temporaryDirectory.appendingPathComponent("spate-rb-\(UUID().uuidString)"))
        if let configuration { ssc.recovery(configuration) }
        let (stream, recorder) = ssc.recordedInputStream(source, rateLimiter: nil)
        let out = Collector(stream)
        let encoder = StateJSON.encoder()
        let checkpoint = SourceCheckpoint(position: try encoder.encode(9), batches: [1000: try encoder.encode(6..<9)])
        try await recorder.handle(key: "flaky").restore(checkpoint, 0)
        try await ssc.start()
        return (ssc, out, recorder)
    }

    @Test func aBatchThatCannotBeRebuiltStopsTheContextNamingTheBatch() async throws {
        let source = FlakyReplaySource(failures: .max, error: .queueBatchesMissing(range: 6..<9))
        let (ssc, out, _) = try await recovering(source)
        do {
            try await ssc.advance(by: .seconds(1))
            Issue.record("the lost batch must fail, not run empty")
        } catch let SpateError.recoveredBatchLost(name, ms, reason) {
            #expect(name == "flaky" && ms == 1000)
            #expect(reason.contains("6..<9"))
            let message = SpateError.recoveredBatchLost(source: name, batchMilliseconds: ms, reason: reason).description
            #expect(message.contains("1000 ms") && message.contains("empty checkpoint directory")
                        && message.contains("acceptLostBatches"))
        }
        #expect(out.times.isEmpty)
        // Records gone for good are not retried.
        #expect(source.replays.withLock { $0 } == 1)
        #expect(!ssc.isActive)
    }

    @Test func aTransientReplayFailureIsRetriedUntilItPasses() async throws {
        let source = FlakyReplaySource(failures: 3)
        let (ssc, out, _) = try await recovering(
            source, RecoveryConfiguration(replayAttempts: 5, firstReplayDelay: .milliseconds(5)))
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        #expect(out.times == [1000])
        #expect(out.results == [[6, 7, 8]])
        #expect(source.replays.withLock { $0 } == 4)
    }

    @Test func anAcceptedLossRunsTheBatchEmptyAndCountsIt() async throws {
        let source = FlakyReplaySource(failures: .max)
        final class Infos: StreamingListener {
            let infos = Mutex<[BatchInfo]>([])
            func batchCompleted(_ info: BatchInfo) { infos.withLock { $0.append(info) } }
        }
        let infos = Infos()
        let (ssc, out, _) = try await recovering(
            source, RecoveryConfiguration(replayAttempts: 2, firstReplayDelay: .milliseconds(5), acceptLostBatches: true))
        ssc.addListener(infos)
        try await ssc.advance(by: .seconds(2))
        await ssc.stop()
        #expect(out.times == [1000, 2000])
        #expect(out.results == [[], [9, 10, 11]])
        let lost = infos.infos.withLock { $0.first { $0.batchTime.milliseconds == 1000 } }
        #expect(lost?.lostInputStreams.count == 1)
        #expect(lost?.streamIdToMetadata.values.first?[BatchInfo.lostBatchKey]?.contains("broker is down") == true)
        #expect(source.replays.withLock { $0 } == 2)
    }

    /// Item 6: the descriptors of batches cut ahead of the one completed (the generator runs ahead under load,
    /// or catches up after a downtime) were evicted `2 x interval` behind the newest cut, so a checkpoint
    /// taken meanwhile lacked pending batches, and recovery cut them again (empty) instead of replaying them.
    @Test func aCheckpointKeepsTheDescriptorsOfEveryPendingBatch() async throws {
        let ssc = manualContext()
        ssc.checkpoint(directory: FileManager.default.temporaryDirectory.appendingPathComponent("spate-rb-\(UUID().uuidString)"))
        let source = FlakyReplaySource(failures: 0)
        let (_, recorder) = ssc.recordedInputStream(source, rateLimiter: nil)
        for t in 1...10 { _ = await recorder.prepare(BatchTime(milliseconds: t * 1000)) }
        // Batch 1000 completed; 2000...10000 are pending.
        let checkpoint = try recorder.handle(key: "flaky").checkpoint(1000)()
        #expect(checkpoint.batches.keys.sorted() == Array(stride(from: 1000, through: 10000, by: 1000)))
        #expect(try StateJSON.decoder().decode(Range<Int>.self, from: checkpoint.batches[2000]!) == 3..<6)
    }
}

/// The same for a receiver's write-ahead log on disk: a window's history whose log segments are gone.
@Suite struct LostReceiverHistoryTests {
    func program(_ dir: URL, _ feed: PushReceiver.Feed, accept: Bool) throws -> (StreamingContext, Collector<Int>) {
        var out: Collector<Int>?
        let ssc = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
            if accept { ssc.recovery(RecoveryConfiguration(acceptLostBatches: true)) }
            let windowed = try ssc.receiverStream(PushReceiver(feed: feed)).checkpoint(interval: .seconds(1))
                .window(length: .seconds(2), slide: .seconds(1))
            out = Collector(windowed)
            return ssc
        }
        return (ssc, out!)
    }

    func firstRun(_ dir: URL, _ feed: PushReceiver.Feed) async throws {
        let (ssc, out) = try program(dir, feed, accept: false)
        try await ssc.start()
        for batch in [[1, 2, 3], [4, 5]] {
            feed.push(batch)
            try await pollUntil("the receiver stored the batch") { feed.isEmpty && ssc.isActive }
            try await Task.sleep(for: .milliseconds(50))
            try await ssc.advance(by: .seconds(1))
        }
        #expect(out.results.map { $0.sorted() } == [[1, 2, 3], [1, 2, 3, 4, 5]])
        await ssc.stop(graceful: false)
    }

    @Test func aWindowWhoseLoggedHistoryIsGoneDoesNotStartSilently() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-rb-wal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let feed = PushReceiver.Feed()
        try await firstRun(dir, feed)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("receivedData"))

        let (second, _) = try program(dir, feed, accept: false)
        do {
            try await second.start()
            Issue.record("the window's history is gone: start() must not go on as if it were empty")
            await second.stop()
        } catch let SpateError.recoveredBatchLost(source, ms, reason) {
            #expect(source.hasPrefix("receiverStream"))
            #expect(ms == 1000 || ms == 2000, "a batch of the window's history")
            #expect(reason.contains("lacks records"))
        }

        let (third, thirdOut) = try program(dir, feed, accept: true)
        try await third.start()
        feed.push([6])
        try await pollUntil("the receiver stored the record") { feed.isEmpty }
        try await Task.sleep(for: .milliseconds(50))
        try await third.advance(by: .seconds(1))
        await third.stop()
        #expect(thirdOut.results == [[6]])
    }
}
