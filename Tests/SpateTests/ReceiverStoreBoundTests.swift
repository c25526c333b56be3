import Foundation
import Synchronization
import Testing
import Spate

/// What a test receiver did: its context (to read `refusedRecords`), how many records `store` took, and
/// whether it finished storing.
private final class StoreLog: Sendable {
    let context = Mutex<ReceiverContext<Int>?>(nil)
    let accepted = Mutex(0)
    let done = Atomic(false)
    var refused: Int { context.withLock { $0?.refusedRecords ?? -1 } }
}

/// Stores `count` numbers one by one as fast as it can, without `awaitCapacity()`: from its `async` `onStart`
/// (a Swift task), or from a thread of its own (`onThread`).
private struct FloodingReceiver: Receiver {
    let count: Int
    let onThread: Bool
    let log: StoreLog

    func onStart(_ context: ReceiverContext<Int>) async throws {
        log.context.withLock { $0 = context }
        let (count, log) = (self.count, self.log)
        let flood: @Sendable () -> Void = {
            var accepted = 0
            for n in 0..<count where context.store(n) { accepted += 1 }
            log.accepted.withLock { $0 = accepted }
            log.done.store(true, ordering: .releasing)
        }
        if onThread { Thread(block: flood).start() } else { flood() }
    }

    func onStop() async {}
}

/// Stores `count` numbers at once from a thread of its own and records how many `store` took.
private struct BulkThreadReceiver: Receiver {
    let count: Int
    let log: StoreLog

    func onStart(_ context: ReceiverContext<Int>) async throws {
        log.context.withLock { $0 = context }
        let (count, log) = (self.count, self.log)
        Thread {
            let accepted = context.store(contentsOf: 0..<count)
            log.accepted.withLock { $0 = accepted }
            log.done.store(true, ordering: .releasing)
        }.start()
    }

    func onStop() async {}
}

/// Keeps every completed batch's BatchInfo.
private final class Infos: StreamingListener {
    private let infos = Mutex<[BatchInfo]>([])
    func batchCompleted(_ info: BatchInfo) { infos.withLock { $0.append(info) } }
    var all: [BatchInfo] { infos.withLock { $0 } }
}

/// `ReceiverContext.store` keeps the receive buffer within `maxBufferedRecords` without `awaitCapacity()`: a
/// store from a task refuses what does not fit (counted exactly), a store from a thread of its own waits for
/// the batches, as Spark's blocking `Receiver.store`, and loses nothing.
@Suite struct ReceiverStoreBoundTests {
    @Test func aStoreFromATaskRefusesWhatDoesNotFitAndCountsIt() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
        ssc.backpressure(BackpressureConfiguration(maxBufferedRecords: 1_000))
        let log = StoreLog()
        let batches = Mutex<[[Int]]>([])
        ssc.receiverStream(FloodingReceiver(count: 10_000, onThread: false, log: log))
            .foreachBatch { batch, _ in batches.withLock { $0.append(batch.collect()) } }
        let infos = Infos()
        ssc.addListener(infos)
        try await ssc.start()
        try await pollUntil("the receiver stored") { log.done.load(ordering: .acquiring) }
        try await ssc.advance(by: .seconds(2))
        await ssc.stop()
        // The buffer held at most its bound: the first 1,000 records; the other 9,000 were refused, exactly.
        #expect(batches.withLock { $0 } == [Array(0..<1_000), []])
        #expect(log.accepted.withLock { $0 } == 1_000)
        #expect(log.refused == 9_000)
        let reported = infos.all.compactMap { $0.streamIdToMetadata.values.first?["receiveBufferRefused"] }
        #expect(reported == ["9000"])
    }

    @Test func aStoreFromItsOwnThreadWaitsForTheBatchesAndLosesNothing() async throws {
        let ssc = StreamingContext(batchInterval: .milliseconds(50), parallelism: 1)
        ssc.backpressure(BackpressureConfiguration(maxBufferedRecords: 1_000))
        let log = StoreLog()
        let batches = Mutex<[[Int]]>([])
        ssc.receiverStream(FloodingReceiver(count: 20_000, onThread: true, log: log))
            .foreachBatch { batch, _ in batches.withLock { $0.append(batch.collect()) } }
        try await ssc.start()
        try await pollUntil("every record reached a batch", timeout: .seconds(60)) {
            batches.withLock { $0.reduce(0) { $0 + $1.count } } >= 20_000
        }
        await ssc.stop()
        let all = batches.withLock { $0 }
        #expect(all.flatMap { $0 } == Array(0..<20_000), "every record once, in order")
        #expect(all.allSatisfy { $0.count <= 1_000 }, "no batch above the bound: \(all.map(\.count).max() ?? 0)")
        #expect(log.accepted.withLock { $0 } == 20_000)
        #expect(log.refused == 0)
    }

    @Test func aWaitingStoreRefusesTheRestAfterMaxStoreWait() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
        ssc.backpressure(BackpressureConfiguration(maxBufferedRecords: 1_000, maxStoreWait: .milliseconds(300)))
        let log = StoreLog()
        let batches = Mutex<[[Int]]>([])
        ssc.receiverStream(BulkThreadReceiver(count: 1_500, log: log))
            .foreachBatch { batch, _ in batches.withLock { $0.append(batch.collect()) } }
        try await ssc.start()
        let started = ContinuousClock.now
        // No batch runs on the manual clock meanwhile: the store waits its 300 ms, then refuses 500.
        try await pollUntil("the store gave up waiting") { log.done.load(ordering: .acquiring) }
        #expect(ContinuousClock.now - started >= .milliseconds(250))
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        #expect(log.accepted.withLock { $0 } == 1_000)
        #expect(log.refused == 500)
        #expect(batches.withLock { $0 } == [Array(0..<1_000)])
    }

    @Test func aNegativeMaxStoreWaitIsRejectedAtStart() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        ssc.backpressure(BackpressureConfiguration(maxStoreWait: .seconds(-1)))
        ssc.queueStream([[1]]).foreachBatch { _, _ in }
        await #expect(throws: SpateError.self) { try await ssc.start() }
    }
}
