import Foundation
import Synchronization
import Testing
@testable import Spate

/// Batch generation on the system clock with sources whose cut takes time (a broker fetch, a slow disk).
@Suite struct BatchSchedulerTests {
    /// An input stream whose cut for a time first awaits `cut(time)`, then yields one record: the time.
    static func timedStream(
        _ ssc: StreamingContext, cut: @escaping @Sendable (BatchTime) async -> Void
    ) -> DStream<Int> {
        let stream = DStream<Int>(context: ssc, name: "timedStream", parents: [], alwaysCache: true) { _, _ in .empty }
        ssc.add(source: RegisteredSource(id: stream.id, name: "timedStream", hooks: SourceHooks()) { [stream] time in
            await cut(time)
            stream.put([[time.milliseconds]], at: time)
            return 1
        })
        return stream
    }

    @Test func aSlowCutDelaysTheNextBatchesButLosesNoBatchTime() async throws {
        let ssc = StreamingContext(batchInterval: .milliseconds(50), parallelism: 1)
        let first = Mutex<Int?>(nil)
        let out = Collector(Self.timedStream(ssc) { time in
            let isFirst = first.withLock { f -> Bool in
                defer { f = f ?? time.milliseconds }
                return f == nil
            }
            // The first cut takes the time of four batch intervals.
            if isFirst { try? await Task.sleep(for: .milliseconds(200)) }
        })
        let recorder = InfoRecorder()
        ssc.addListener(recorder)
        try await ssc.start()
        try await pollUntil("eight batches ran", timeout: .seconds(10)) { out.times.count >= 8 }
        await ssc.stop(graceful: false)

        let times = out.times
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 + 50 == $1 }, "\(times)")
        #expect(out.results == times.map { [$0] })
        // The batches that fell due during the slow cut were generated after it, late.
        let infos = recorder.infos
        try #require(infos.count >= 3)
        #expect(infos[1].submissionTime - infos[1].batchTime.milliseconds >= 100, "\(infos[1])")
        #expect(infos[2].submissionTime - infos[2].batchTime.milliseconds >= 50, "\(infos[2])")
    }

    @Test func stoppingDuringACutDoesNotInterruptItAndTheBatchStillRuns() async throws {
        let ssc = StreamingContext(batchInterval: .milliseconds(50), parallelism: 1)
        let inCut = Atomic<Int>(0)
        let interrupted = Atomic<Bool>(false)
        let out = Collector(Self.timedStream(ssc) { time in
            guard inCut.compareExchange(expected: 0, desired: time.milliseconds, ordering: .acquiringAndReleasing)
                .exchanged else { return }
            do { try await Task.sleep(for: .milliseconds(300)) } catch { interrupted.store(true, ordering: .releasing) }
        })
        try await ssc.start()
        try await pollUntil("a cut is under way") { inCut.load(ordering: .acquiring) != 0 }
        await ssc.stop(graceful: true)

        let wasInterrupted = interrupted.load(ordering: .acquiring)
        let cutTime = inCut.load(ordering: .acquiring)
        #expect(!wasInterrupted)
        #expect(out.times.contains(cutTime), "\(out.times)")
    }

    /// Counts the batches submitted and completed.
    final class Progress: StreamingListener {
        let counts = Mutex<(submitted: Int, completed: Int, infos: [BatchInfo])>((0, 0, []))
        func batchSubmitted(_ info: BatchInfo) { counts.withLock { $0.submitted += 1 } }
        func batchCompleted(_ info: BatchInfo) {
            counts.withLock { c in
                c.completed += 1
                c.infos.append(info)
            }
        }
    }

    @Test func whenProcessingFallsBehindTheGeneratorWaitsAndTheLagShowsAsSchedulingDelay() async throws {
        let ssc = StreamingContext(batchInterval: .milliseconds(20), parallelism: 1)
        let progress = Progress()
        ssc.addListener(progress)
        let backlog = Mutex(0)
        // Each batch takes 10 batch intervals.
        ssc.queueStream([[1]], default: [0]).foreachBatch { _, _ in try await Task.sleep(for: .milliseconds(200)) }
        try await ssc.start()
        for _ in 0..<15 {
            try await Task.sleep(for: .milliseconds(100))
            let (submitted, completed, _) = progress.counts.withLock { $0 }
            backlog.withLock { $0 = Swift.max($0, submitted - completed) }
        }
        await ssc.stop(graceful: false)
        // One batch runs and at most two (the default maxQueuedBatches) wait; the generator waited for room.
        #expect(backlog.withLock { $0 } <= 3, "batches generated but not completed: \(backlog.withLock { $0 })")
        let infos = progress.counts.withLock { $0.infos }
        try #require(infos.count >= 5)
        let last = try #require(infos.last)
        #expect(last.generationDelay > .milliseconds(500), "\(last.generationDelay)")
        #expect((last.schedulingDelay ?? .zero) >= last.generationDelay)
        // No batch time was skipped.
        let times = infos.map(\.batchTime.milliseconds)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 + 20 == $1 }, "\(times)")
    }
}
