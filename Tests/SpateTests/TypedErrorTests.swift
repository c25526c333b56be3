import Foundation
import Testing
@testable import Spate

/// Each typed configuration error: the situation that raises it, and a message that names the fix.
@Suite struct TypedErrorTests {
    @Test func aBatchIntervalBelowOneMillisecondIsRefusedAtStart() async throws {
        let ssc = StreamingContext(batchInterval: .microseconds(500), clock: .manual)
        ssc.queueStream([[1]]).print()
        await #expect(throws: SpateError.invalidBatchInterval(.microseconds(500))) { try await ssc.start() }
        #expect(throws: SpateError.invalidBatchInterval(.milliseconds(0))) {
            try PIDRateEstimator(batchIntervalMilliseconds: 0)
        }
        #expect(SpateError.invalidBatchInterval(.zero).description.contains("use a batch interval of at least 1 ms"))
    }

    @Test func aWindowOffTheParentsSlideNamesAMultipleOfIt() throws {
        let ssc = manualContext()
        let inner = try ssc.queueStream([[1]]).window(length: .seconds(2), slide: .seconds(2))
        #expect(throws: SpateError.durationNotMultipleOfSlide(
            what: "window length", milliseconds: 3000, slideMilliseconds: 2000)) {
            try inner.window(length: .seconds(3), slide: .seconds(2))
        }
        let message = SpateError.durationNotMultipleOfSlide(
            what: "window length", milliseconds: 3000, slideMilliseconds: 2000).description
        #expect(message.contains("use a multiple of 2000 ms such as 2000 ms"), "\(message)")
    }

    @Test func aRateOfZeroNamesAPositiveRate() async throws {
        let ssc = manualContext()
        ssc.rateStream(recordsPerSecond: 0).foreachBatch { _, _ in }
        await #expect(throws: SpateError.invalidRate(recordsPerSecond: 0)) { try await ssc.start() }
        #expect(SpateError.invalidRate(recordsPerSecond: 0).description.contains("rateStream(recordsPerSecond: 100)"))
    }

    @Test func aTimeoutOfZeroNamesAPositiveTimeoutOrNone() async throws {
        let ssc = manualContext()
        let spec = StateSpec.function { (_: String, value: Int?, _: State<Int>) in value ?? 0 }.timeout(.zero)
        ssc.queueStream([[("a", 1)]]).mapWithState(spec).print()
        await #expect(throws: SpateError.invalidTimeout(operation: "mapWithState", timeout: .zero)) {
            try await ssc.start()
        }
        let message = SpateError.invalidTimeout(operation: "mapWithState", timeout: .zero).description
        #expect(message.contains("use a timeout of at least 1 ms, or no timeout"), "\(message)")
    }

    @Test func eachBackpressureSettingNamesItsRange() throws {
        for (setting, fix) in [
            ("proportional", "0 or more"), ("integral", "0 or more"), ("derivative", "0 or more"),
            ("minRate", "above 0"), ("maxRatePerSecond", "nil for no maximum"), ("initialRate", "nil for no initial"),
        ] {
            let message = SpateError.invalidBackpressure(setting: setting, value: -1).description
            #expect(message.contains("set BackpressureConfiguration.\(setting) to"), "\(message)")
            #expect(message.contains(fix), "\(message)")
        }
    }

    @Test func backpressureSetAfterStartIsReported() async throws {
        let ssc = manualContext()
        ssc.queueStream([[1]]).print()
        try await ssc.start()
        ssc.backpressure(BackpressureConfiguration(enabled: true))
        await #expect(throws: SpateError.configuredAfterStart("backpressure(_:)")) {
            try await ssc.advance(by: .seconds(1))
        }
        await ssc.stop()
        #expect(SpateError.configuredAfterStart("backpressure(_:)").description.contains("call it before start()"))
    }

    @Test func aQueueWithoutTheCheckpointedBatchesNamesThem() async throws {
        let source = QueueStreamSource<Int, Int>(
            queue: QueueSource([[1], [2]]), oneAtATime: true, checkpointing: { true }, assemble: { [$0 ?? []] })
        await #expect(throws: SpateError.queueBatchesMissing(range: 3..<5)) {
            _ = try await source.replay(3..<5, at: BatchTime(milliseconds: 1000))
        }
        let message = SpateError.queueBatchesMissing(range: 3..<5).description
        #expect(message.contains("batches 3..<5") && message.contains("create it with the same batches"))
    }

    @Test func aWriteAheadLogThatCannotBeCreatedNamesItsPath() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString)")
        let log = try WriteAheadLog<Int>(directory: directory)
        try FileManager.default.removeItem(at: directory)
        let path = directory.appendingPathComponent("segment-0.wal").path
        #expect(throws: SpateError.writeAheadLogFailed(path: path, reason: "the file could not be created")) {
            try log.append([1], sync: false)
        }
        let message = SpateError.writeAheadLogFailed(path: path, reason: "x").description
        #expect(message.contains(path) && message.contains("checkpoint directory exists, is writable"))
    }
}
