import Foundation
import Synchronization
import Testing
@testable import Spate

@Suite struct StreamingContextTests {
    @Test func startingTwiceThrows() async throws {
        let ssc = manualContext()
        ssc.queueStream([[1]]).print()
        try await ssc.start()
        await #expect(throws: SpateError.alreadyStarted) { try await ssc.start() }
        await ssc.stop()
        await #expect(throws: SpateError.alreadyStarted) { try await ssc.start() }
        #expect(SpateError.alreadyStarted.description.contains("create a new StreamingContext"))
    }

    @Test func startWithoutOutputsThrows() async throws {
        let ssc = manualContext()
        _ = ssc.queueStream([[1]]).map { $0 + 1 }
        await #expect(throws: SpateError.noOutputOperations) { try await ssc.start() }
    }

    @Test func operatorAddedAfterStartIsReported() async throws {
        let ssc = manualContext()
        let s = ssc.queueStream([[1]])
        s.print()
        try await ssc.start()
        s.map { $0 * 2 }.print()
        await #expect(throws: SpateError.operatorAddedAfterStart("map")) { try await ssc.advance(by: .seconds(1)) }
        await #expect(throws: SpateError.self) { try await ssc.awaitTermination() }
        #expect(SpateError.operatorAddedAfterStart("map").description.contains("before calling start()"))
        await ssc.stop()
    }

    @Test func advanceNeedsManualClock() async throws {
        let ssc = StreamingContext(batchInterval: .milliseconds(50))
        await #expect(throws: SpateError.manualClockRequired) { try await ssc.advance(by: .seconds(1)) }
    }

    @Test func manualClockBatchTimesAreMultiplesOfTheInterval() async throws {
        let ssc = StreamingContext(batchInterval: .milliseconds(500), parallelism: 2, clock: .manual)
        let out = Collector(ssc.queueStream([[1], [2], [3], [4]]))
        try await ssc.start()
        try await ssc.advance(by: .milliseconds(700))
        #expect(out.times == [500])
        try await ssc.advance(by: .milliseconds(300))
        #expect(out.times == [500, 1000])
        try await ssc.advance(by: .seconds(1))
        #expect(out.times == [500, 1000, 1500, 2000])
        #expect(out.results == [[1], [2], [3], [4]])
        await ssc.stop()
    }

    @Test func listenerSeesEveryBatchInOrder() async throws {
        final class Events: StreamingListener {
            let log = Mutex<[String]>([])
            func batchSubmitted(_ info: BatchInfo) { log.withLock { $0.append("submitted \(info.batchTime.milliseconds)") } }
            func batchStarted(_ info: BatchInfo) { log.withLock { $0.append("started \(info.batchTime.milliseconds)") } }
            func batchCompleted(_ info: BatchInfo) {
                log.withLock { $0.append("completed \(info.batchTime.milliseconds) \(info.numRecords) \(info.processingDelay != nil)") }
            }
        }
        let ssc = manualContext()
        let events = Events()
        ssc.addListener(events)
        ssc.queueStream([[1, 2], [3]]).print()
        try await ssc.start()
        try await ssc.advance(by: .seconds(2))
        await ssc.stop()
        #expect(events.log.withLock { $0 } == [
            "submitted 1000", "started 1000", "completed 1000 2 true",
            "submitted 2000", "started 2000", "completed 2000 1 true",
        ])
    }

    @Test func systemClockRunsBatchesAndStopsGracefully() async throws {
        let ssc = StreamingContext(batchInterval: .milliseconds(50), parallelism: 2)
        let queue = QueueSource<Int>()
        let out = Collector(ssc.queueStream(queue).map { $0 * 2 })
        let recorder = InfoRecorder()
        ssc.addListener(recorder)
        try await ssc.start()
        for i in 1...5 { queue.push([i]) }
        // Batches are generated every 50 ms on wall-clock time; wait until all five went through.
        let deadline = ContinuousClock.now + .seconds(10)
        while out.results.flatMap({ $0 }).count < 5 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try await ssc.awaitTermination(timeout: .milliseconds(100)) == false)
        await ssc.stop(graceful: true)
        #expect(try await ssc.awaitTermination(timeout: .seconds(1)) == true)
        #expect(out.results.flatMap { $0 } == [2, 4, 6, 8, 10])
        let times = out.times
        #expect(times.allSatisfy { $0 % 50 == 0 })
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 + 50 == $1 })
        #expect(recorder.infos.allSatisfy { $0.schedulingDelay != nil && $0.totalDelay != nil })
    }

    @Test func gracefulStopProcessesQueuedData() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(30), parallelism: 2)
        let queue = QueueSource<Int>([[1, 2, 3]])
        let out = Collector(ssc.queueStream(queue))
        try await ssc.start()
        // The first batch would come only after up to 30 s; a graceful stop runs one with the pending data.
        await ssc.stop(graceful: true)
        #expect(out.results.flatMap { $0 } == [1, 2, 3])
    }

    @Test func contextsCanBeCreatedOneAfterAnother() async throws {
        for i in 1...3 {
            let ssc = manualContext()
            let out = Collector(ssc.queueStream([[i]]))
            try await ssc.start()
            try await ssc.advance(by: .seconds(1))
            await ssc.stop()
            #expect(out.results == [[i]])
        }
    }
}
