import Testing
import Spate
import SpateTesting

/// The per-partition watermark through checkpoints: each partition's clock (largest time, last active batch)
/// and the watermark are restored, so a crashed and recovered program emits exactly what an uninterrupted
/// run emits, idle transitions included.
@Suite struct EventTimePartitionRecoveryTests {
    /// (partition, time) events: per-partition watermark, tumbling windows, late records, watermarks.
    private static let program: StreamingTestDriver.Program = { t in
        let events = try t.input("events", of: (String, Int64).self).withWatermark(
            eventTime: { $0.1 }, delay: .milliseconds(800), partition: { SourcePartition(stream: "s", id: $0.0) },
            idleTimeout: .seconds(3))
        try t.output("windows", events.countByKeyAndWindow(key: { $0.0 }, length: .seconds(2)).named("windows")
            .map { "\($0.0)=\($0.1)" })
        try t.output("late", events.late.map { "\($0.0)@\($0.1)" })
        try t.output("watermarks", events.watermarks)
        try t.output("partitions", events.partitionWatermarks.map { $0.sorted { $0.key < $1.key }.description })
    }

    /// Three partitions out of order; "slow" lags 2.5 s, "gap" is silent in batches 6..<12 (idle after 3 s).
    private static func events(batches: Int) -> [[(String, Int64)]] {
        var random = SeededRandom(seed: 53)
        return (0..<batches).map { b in
            (0..<40).compactMap { _ -> (String, Int64)? in
                let p = ["fast", "slow", "gap"][Int.random(in: 0..<3, using: &random)]
                if p == "gap" && (6..<12).contains(b) { return nil }
                let lag: Int64 = random.nextUniform() < 0.25 ? Int64.random(in: 0...3000, using: &random) : 0
                let t = Int64(b * 1000) + Int64.random(in: 0..<1000, using: &random) - lag - (p == "slow" ? 2500 : 0)
                return (p, t)
            }
        }
    }

    private func results(_ driver: StreamingTestDriver) throws -> [String: [[String]]] {
        var all: [String: [[String]]] = [:]
        for name in ["windows", "late", "partitions"] {
            all[name] = try driver.output(name, of: String.self).batches.map { $0.records.sorted() }
        }
        all["watermarks"] = try driver.output("watermarks", of: Int64.self).batches.map { $0.records.map(String.init) }
        return all
    }

    @Test(arguments: [(crashAfter: 7, every: 3), (crashAfter: 10, every: 1), (crashAfter: 13, every: 2)])
    func aRecoveredProgramEmitsWhatAnUninterruptedRunEmits(crashAfter: Int, every: Int) async throws {
        let batches = 20
        let reference = StreamingTestDriver(checkpointing: true, program: Self.program)
        try await reference.start()
        try reference.input("events", of: (String, Int64).self).push(batches: Self.events(batches: batches))
        try await reference.advance(batches: batches)
        let expected = try results(reference)
        await reference.stop()

        let driver = StreamingTestDriver(checkpointing: true, checkpointEvery: every, program: Self.program)
        try await driver.start()
        try driver.input("events", of: (String, Int64).self).push(batches: Self.events(batches: batches))
        try await driver.advance(batches: crashAfter)
        try await driver.crashAndRecover()
        let resumed = Int((driver.time?.milliseconds ?? 0) / 1000)
        #expect(resumed > 0 && resumed <= crashAfter)
        try await driver.advance(batches: batches - resumed)
        let recovered = try results(driver)
        await driver.stop()

        for name in ["windows", "late", "watermarks", "partitions"] {
            #expect(recovered[name] == expected[name], "output \(name)")
        }
        #expect(expected["windows"]!.joined().count > 20)
        #expect(expected["late"]!.joined().count > 5)
        // The gap partition did go idle (it is missing from some batches' partition watermarks).
        #expect(expected["partitions"]!.joined().contains { !$0.contains("s-gap") })
    }
}
