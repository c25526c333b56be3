import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import Spate

/// Polls `condition` every 5 ms until it holds, recording an issue after `timeout`.

/// A TCP server on 127.0.0.1 (ephemeral port) that writes bytes to its connected clients.
private final class BackpressureLineServer: Sendable {
    final class Clients: Sendable { let channels = Mutex<[any Channel]>([]) }
    let port: Int
    private let server: any Channel
    private let clients: Clients

    private init(port: Int, server: any Channel, clients: Clients) {
        self.port = port
        self.server = server
        self.clients = clients
    }

    static func start() async throws -> BackpressureLineServer {
        let clients = Clients()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                clients.channels.withLock { $0.append(channel) }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return BackpressureLineServer(port: channel.localAddress?.port ?? 0, server: channel, clients: clients)
    }

    var hasClient: Bool { clients.channels.withLock { $0.contains(where: \.isActive) } }

    /// Writes `bytes` to every client; completes once the kernel took them all.
    func send(_ bytes: [UInt8]) async throws {
        for client in clients.channels.withLock({ $0 }) where client.isActive {
            try await client.writeAndFlush(ByteBuffer(bytes: bytes)).get()
        }
    }

    func stop() async {
        for client in clients.channels.withLock({ $0 }) { try? await client.close().get() }
        try? await server.close().get()
    }
}

/// Keeps every completed batch's BatchInfo.
private final class BackpressureInfoRecorder: StreamingListener {
    private let infos = Mutex<[BatchInfo]>([])
    func batchCompleted(_ info: BatchInfo) { infos.withLock { $0.append(info) } }
    var completed: [BatchInfo] { infos.withLock { $0 } }
}

/// Stores `values` at once, then idles until stopped.
private struct StoreAllReceiver: Receiver {
    let values: [Int]
    func onStart(_ context: ReceiverContext<Int>) async throws {
        context.store(contentsOf: values)
    }
    func onStop() async {}
}

/// Stores `values` one by one, awaiting capacity before each store.
private struct PacedReceiver: Receiver {
    let values: [Int]
    func onStart(_ context: ReceiverContext<Int>) async throws {
        for v in values {
            await context.awaitCapacity()
            if context.isStopped || Task.isCancelled { return }
            context.store(v)
        }
    }
    func onStop() async {}
}

private func close(_ a: Double?, _ b: Double) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= 1e-9 * Swift.max(1, abs(b))
}

@Suite struct BackpressureTests {
    // MARK: PID estimator (values computed by hand from Spark's formula)

    /// batch interval 100 ms, gains 1.0 / 0.2 / 0.0, min rate 100:
    /// 1. t=1000, 500 records in 100 ms, no delay: processing rate 5000; first run -> no estimate.
    /// 2. t=1100, 500 in 125 ms, sched 50: rate 4000, error 5000-4000=1000, historical 50*4000/100=2000
    ///    -> 5000 - 1000 - 0.2*2000 = 3600.
    /// 3. t=1200, 360 in 90 ms, sched 30: rate 4000, error 3600-4000=-400, historical 1200
    ///    -> 3600 + 400 - 240 = 3760.
    /// 4. t=1300, 376 in 94 ms, sched 0: rate 4000, error -240 -> 3760 + 240 = 4000.
    /// 5. t=1400, 400 in 100 ms, sched 0: rate 4000, error 0 -> 4000.
    @Test func estimatorMatchesSparksFormula() throws {
        var pid = try PIDRateEstimator(batchIntervalMilliseconds: 100)
        #expect(pid.proportional == 1.0 && pid.integral == 0.2 && pid.derivative == 0.0 && pid.minRate == 100)
        #expect(pid.compute(time: 1000, numElements: 500, processingDelay: 100, schedulingDelay: 0) == nil)
        let r2 = pid.compute(time: 1100, numElements: 500, processingDelay: 125, schedulingDelay: 50)
        #expect(close(r2, 3600))
        let r3 = pid.compute(time: 1200, numElements: 360, processingDelay: 90, schedulingDelay: 30)
        #expect(close(r3, 3760))
        let r4 = pid.compute(time: 1300, numElements: 376, processingDelay: 94, schedulingDelay: 0)
        #expect(close(r4, 4000))
        let r5 = pid.compute(time: 1400, numElements: 400, processingDelay: 100, schedulingDelay: 0)
        #expect(close(r5, 4000))
        // The error |estimate - processing rate| shrinks at every step: 1000, 400, 240, 0.
        let errors = [r2, r3, r4, r5].map { abs(($0 ?? 0) - 4000) }
        #expect(errors == [400, 240, 0, 0])
    }

    /// Same as above with derivative 0.1: step 2 has dError = (1000 - 0) / 0.1 s = 10000 -> 3600 - 1000 = 2600.
    /// Step 3: rate 4000, error 2600-4000=-1400, historical 1200, dError = (-1400-1000)/0.1 = -24000
    /// -> 2600 + 1400 - 240 + 2400 = 6160.
    @Test func derivativeTermUsesTheErrorsChangePerSecond() throws {
        var pid = try PIDRateEstimator(batchIntervalMilliseconds: 100, derivative: 0.1)
        #expect(pid.compute(time: 1000, numElements: 500, processingDelay: 100, schedulingDelay: 0) == nil)
        #expect(close(pid.compute(time: 1100, numElements: 500, processingDelay: 125, schedulingDelay: 50), 2600))
        #expect(close(pid.compute(time: 1200, numElements: 360, processingDelay: 90, schedulingDelay: 30), 6160))
    }

    /// A large scheduling delay drives the estimate below zero; it is clamped to minRate.
    /// t=1100, 400 in 100 ms, sched 5000: rate 4000, error 0, historical 5000*4000/100 = 200000
    /// -> 4000 - 40000 < 100 -> 100 (or the configured minimum).
    @Test func estimateIsClampedToMinRate() throws {
        var pid = try PIDRateEstimator(batchIntervalMilliseconds: 100)
        _ = pid.compute(time: 1000, numElements: 400, processingDelay: 100, schedulingDelay: 0)
        #expect(close(pid.compute(time: 1100, numElements: 400, processingDelay: 100, schedulingDelay: 5000), 100))
        var custom = try PIDRateEstimator(batchIntervalMilliseconds: 100, minRate: 250)
        _ = custom.compute(time: 1000, numElements: 400, processingDelay: 100, schedulingDelay: 0)
        #expect(close(custom.compute(time: 1100, numElements: 400, processingDelay: 100, schedulingDelay: 5000), 250))
    }

    /// Batches without records, with no processing time, or not later than the last update are skipped and
    /// leave the estimator as it was.
    @Test func unusableBatchesAreSkipped() throws {
        var pid = try PIDRateEstimator(batchIntervalMilliseconds: 100)
        #expect(pid.compute(time: 1000, numElements: 0, processingDelay: 100, schedulingDelay: 0) == nil)
        #expect(pid.compute(time: 1000, numElements: 10, processingDelay: 0, schedulingDelay: 0) == nil)
        // Still the first run: this one only records the processing rate (5000).
        #expect(pid.compute(time: 1000, numElements: 500, processingDelay: 100, schedulingDelay: 0) == nil)
        #expect(pid.compute(time: 1000, numElements: 500, processingDelay: 125, schedulingDelay: 50) == nil)
        #expect(pid.compute(time: 900, numElements: 500, processingDelay: 125, schedulingDelay: 50) == nil)
        #expect(close(pid.compute(time: 1100, numElements: 500, processingDelay: 125, schedulingDelay: 50), 3600))
    }

    @Test func invalidSettingsSayWhatToChange() throws {
        #expect(throws: SpateError.invalidBatchInterval(.zero)) { try PIDRateEstimator(batchIntervalMilliseconds: 0) }
        for (config, field) in [
            (BackpressureConfiguration(proportional: -1), "proportional"),
            (BackpressureConfiguration(integral: -0.2), "integral"),
            (BackpressureConfiguration(derivative: -.infinity), "derivative"),
            (BackpressureConfiguration(minRate: 0), "minRate"),
            (BackpressureConfiguration(maxRatePerSecond: 0), "maxRatePerSecond"),
            (BackpressureConfiguration(initialRate: -5), "initialRate"),
        ] {
            do {
                try config.validate()
                Issue.record("\(field) should be rejected")
            } catch let error as SpateError {
                guard case let .invalidBackpressure(setting, _) = error else { throw error }
                #expect(setting == field)
                #expect("\(error)".contains("BackpressureConfiguration.\(field)"), "\(error)")
            }
        }
        #expect(throws: Never.self) { try BackpressureConfiguration(enabled: true).validate() }
    }

    @Test func startRejectsANegativeGain() async throws {
        let ssc = manualContext()
        ssc.rateStream(recordsPerSecond: 10).foreachBatch { _, _ in }
        ssc.backpressure(BackpressureConfiguration(enabled: true, proportional: -0.5))
        do {
            try await ssc.start()
            Issue.record("start() should reject a negative proportional gain")
        } catch let error as SpateError {
            #expect(error == .invalidBackpressure(setting: "proportional", value: -0.5))
            #expect("\(error)".contains("proportional"))
            #expect("\(error)".contains("0 or more"))
        }
        #expect(!ssc.isActive)
    }

    @Test func configuringAfterStartIsReported() async throws {
        let ssc = manualContext()
        ssc.rateStream(recordsPerSecond: 10).foreachBatch { _, _ in }
        try await ssc.start()
        ssc.backpressureConfiguration = BackpressureConfiguration(enabled: true)
        await #expect(throws: SpateError.self) { try await ssc.advance(by: .seconds(1)) }
        await ssc.stop()
        #expect(ssc.backpressureConfiguration == BackpressureConfiguration())
    }

    // MARK: Bounded cuts (manual clock)

    @Test func maxRateBoundsRateStreamWithoutLosingValues() async throws {
        let ssc = manualContext(parallelism: 2)
        ssc.backpressure(BackpressureConfiguration(maxRatePerSecond: 300))
        let out = Collector(ssc.rateStream(recordsPerSecond: 1000))
        let recorder = BackpressureInfoRecorder()
        ssc.addListener(recorder)
        try await ssc.start()
        try await ssc.advance(by: .seconds(4))
        await ssc.stop()
        // The generator falls behind its nominal 1000/s: 300 values per batch, consecutive.
        #expect(out.results.map(\.count) == [300, 300, 300, 300])
        #expect(out.results.flatMap { $0 } == Array(0..<1200))
        #expect(recorder.completed.map(\.rateLimit) == [300, 300, 300, 300])
        #expect(recorder.completed.allSatisfy { $0.description.contains("rate limit 300 records/s") })
    }

    @Test func fractionalBoundsCarryOver() async throws {
        let ssc = StreamingContext(batchInterval: .milliseconds(100), parallelism: 1, clock: .manual)
        ssc.backpressure(BackpressureConfiguration(maxRatePerSecond: 155))
        let out = Collector(ssc.rateStream(recordsPerSecond: 10_000))
        try await ssc.start()
        try await ssc.advance(by: .milliseconds(400))
        await ssc.stop()
        #expect(out.results.map(\.count) == [15, 16, 15, 16])
        #expect(out.results.flatMap { $0 } == Array(0..<62))
    }

    @Test func initialRateAppliesOnlyWithBackpressureEnabled() async throws {
        for enabled in [false, true] {
            let ssc = manualContext(parallelism: 1)
            ssc.backpressure(BackpressureConfiguration(enabled: enabled, initialRate: 200, maxRatePerSecond: 700))
            let out = Collector(ssc.rateStream(recordsPerSecond: 1000))
            try await ssc.start()
            try await ssc.advance(by: .seconds(1))
            await ssc.stop()
            #expect(out.results.map(\.count) == [enabled ? 200 : 700])
        }
    }

    @Test func withoutSettingsNothingIsBounded() async throws {
        let ssc = manualContext(parallelism: 1)
        let out = Collector(ssc.rateStream(recordsPerSecond: 1000))
        let recorder = BackpressureInfoRecorder()
        ssc.addListener(recorder)
        try await ssc.start()
        try await ssc.advance(by: .seconds(2))
        await ssc.stop()
        #expect(out.results.map(\.count) == [1000, 1000])
        #expect(recorder.completed.allSatisfy { $0.rateLimit == nil && $0.streamIdToRateLimit.isEmpty })
    }

    @Test func receiverBatchesAreBoundedAndKeepTheRest() async throws {
        let ssc = manualContext(parallelism: 2)
        ssc.backpressure(BackpressureConfiguration(maxRatePerSecond: 30))
        let (stream, supervisor) = ssc.receiverSource(StoreAllReceiver(values: Array(0..<100)))
        let out = Collector(stream)
        try await ssc.start()
        try await pollUntil("the receiver stored its records") { supervisor.context.bufferedCount == 100 }
        try await ssc.advance(by: .seconds(5))
        await ssc.stop()
        #expect(out.results.map(\.count) == [30, 30, 30, 10, 0])
        #expect(out.results.flatMap { $0 }.sorted() == Array(0..<100))
    }

    @Test func awaitCapacityKeepsTheReceiverBufferBounded() async throws {
        let ssc = manualContext(parallelism: 1)
        ssc.backpressure(BackpressureConfiguration(maxRatePerSecond: 10))
        let (stream, supervisor) = ssc.receiverSource(PacedReceiver(values: Array(0..<60)))
        let out = Collector(stream)
        try await ssc.start()
        for batch in 1...6 {
            // Two batches' worth (20 records) wait, no more: the receiver pauses instead of buffering.
            try await pollUntil("20 records wait before batch \(batch)") {
                supervisor.context.bufferedCount >= Swift.min(20, 60 - (batch - 1) * 10)
            }
            try await Task.sleep(for: .milliseconds(20))
            #expect(supervisor.context.bufferedCount <= 20)
            try await ssc.advance(by: .seconds(1))
        }
        await ssc.stop()
        #expect(out.results.map(\.count) == [10, 10, 10, 10, 10, 10])
        #expect(out.results.flatMap { $0 } == Array(0..<60))
    }

    @Test func gracefulStopTakesEverythingBuffered() async throws {
        let ssc = StreamingContext(batchInterval: .milliseconds(50), parallelism: 1)
        ssc.backpressure(BackpressureConfiguration(maxRatePerSecond: 20))  // one record per batch
        let (stream, supervisor) = ssc.receiverSource(StoreAllReceiver(values: Array(0..<500)))
        let out = Collector(stream)
        try await ssc.start()
        try await pollUntil("the receiver stored its records") { supervisor.context.bufferedCount > 0 }
        try await Task.sleep(for: .milliseconds(200))
        await ssc.stop(graceful: true)
        let all = out.results.flatMap { $0 }
        #expect(all == Array(0..<500))
        // Bounded batches took one record each before the stop; the final batch took the rest.
        #expect(out.results.dropLast().allSatisfy { $0.count <= 1 })
    }

    /// The socket source takes at most bound x interval lines per batch and stops reading while about two
    /// batches of lines wait (the rest stays in the kernel / NIO buffers), yet delivers every line in order.
    @Test func socketReadingPausesUnderTheBound() async throws {
        let server = try await BackpressureLineServer.start()
        let ssc = manualContext(parallelism: 2)
        ssc.backpressure(BackpressureConfiguration(maxRatePerSecond: 10_000))
        let (stream, source) = ssc.socketTextSource(host: "127.0.0.1", port: server.port)
        let out = Collector(stream.map { Int($0) ?? -1 })
        try await ssc.start()
        try await pollUntil("the source connects") { server.hasClient }
        let total = 100_000
        let payload = Array((0..<total).map { "\($0)\n" }.joined().utf8)
        let sender = Task { try await server.send(payload) }
        try await pollUntil("two batches of lines are buffered") { source.bufferedCount >= 20_000 }
        try await Task.sleep(for: .milliseconds(200))
        // Capacity (20,000 lines) plus at most one read (64 KiB: about 12,000 of these lines) is buffered,
        // not all 100,000 lines.
        #expect(source.bufferedCount <= 40_000)
        var delivered = 0
        for _ in 0..<60 where delivered < total {
            try await ssc.advance(by: .seconds(1))
            delivered = out.results.reduce(0) { $0 + $1.count }
            try await pollUntil("the reader refills") {
                source.bufferedCount >= Swift.min(10_000, total - out.results.reduce(0) { $0 + $1.count })
            }
        }
        try await sender.value
        await ssc.stop()
        await server.stop()
        #expect(out.results.allSatisfy { $0.count <= 10_000 })
        #expect(out.results.flatMap { $0 }.sorted() == Array(0..<total))
    }

    // MARK: End to end (system clock)

    /// A stage whose processing time is proportional to its records (0.2 ms each: 5000 records/s) under a
    /// rate stream of 10,000 records/s (1000 per 100 ms batch, twice what the stage can process).
    private func runSlowJob(backpressure: Bool, batches: Int) async throws -> [BatchInfo] {
        let ssc = StreamingContext(batchInterval: .milliseconds(100), parallelism: 2)
        ssc.backpressure(BackpressureConfiguration(enabled: backpressure))
        ssc.rateStream(recordsPerSecond: 10_000).foreachBatch { batch, _ in
            let records = batch.partitions.reduce(0) { $0 + $1.count }
            try? await Task.sleep(for: .microseconds(200 * records))
        }
        let recorder = BackpressureInfoRecorder()
        ssc.addListener(recorder)
        try await ssc.start()
        let deadline = ContinuousClock.now + .seconds(15)
        while recorder.completed.count < batches, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        await ssc.stop(graceful: false)
        return recorder.completed
    }

    @Test func backpressureStopsSchedulingDelayFromGrowing() async throws {
        let infos = try await runSlowJob(backpressure: true, batches: 45)
        try #require(infos.count >= 45, "only \(infos.count) batches completed in 15 s")
        let tail = Array(infos.suffix(15))
        let delays = tail.map { $0.schedulingDelay?.wholeMilliseconds ?? 0 }
        let records = tail.map(\.numRecords)
        let summary = infos.map { "\($0.numRecords)/\($0.schedulingDelay?.wholeMilliseconds ?? -1)ms" }
        // Ingest dropped well below the nominal 1000 records per batch (the stage manages about 500).
        let meanRecords = Double(records.reduce(0, +)) / Double(records.count)
        #expect(meanRecords < 800, "records per batch did not drop: \(summary)")
        #expect(tail.allSatisfy { ($0.rateLimit ?? .max) < 10_000 }, "no rate bound reported: \(summary)")
        // Scheduling delay is bounded and not growing (without backpressure it grows ~100 ms per batch,
        // 1.5 s over these 15 batches).
        #expect(delays.max()! < 1500, "scheduling delay not bounded: \(summary)")
        let firstHalf = delays.prefix(5).reduce(0, +) / 5, lastHalf = delays.suffix(5).reduce(0, +) / 5
        #expect(lastHalf <= firstHalf + 400, "scheduling delay still growing: \(summary)")
    }

    @Test func withoutBackpressureSchedulingDelayGrows() async throws {
        let infos = try await runSlowJob(backpressure: false, batches: 10)
        try #require(infos.count >= 10, "only \(infos.count) batches completed in 15 s")
        let delays = infos.prefix(10).map { $0.schedulingDelay?.wholeMilliseconds ?? 0 }
        #expect(infos.prefix(10).allSatisfy { $0.numRecords >= 900 && $0.rateLimit == nil })
        // Each batch takes ~200 ms for 100 ms of input: the delay grows by ~100 ms per batch.
        #expect(delays.last! - delays.first! >= 400, "scheduling delay did not grow: \(delays)")
    }
}
