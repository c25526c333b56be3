import Testing
import Spate
import SpateTesting

/// A record whose type is Codable.
private struct Reading: Codable, Sendable {
    let key: String
    let time: Int64
}

/// Event-time state through checkpoints: a program crashed and recovered with `getOrCreate` emits exactly
/// what an uninterrupted run emits (watermark, open windows, sessions and join buffers restored).
@Suite struct EventTimeRecoveryTests {
    /// Windows (append and update), sessions, an interval join, late records and watermarks.
    private static let program: StreamingTestDriver.Program = { t in
        let events = try t.input("events", of: (String, Int64).self)
            .withWatermark(eventTime: { $0.1 }, delay: .milliseconds(1500))
        let others = try t.input("others", of: (String, Int64).self)
            .withWatermark(eventTime: { $0.1 }, delay: .milliseconds(800))
        let show = { @Sendable (batch: (Windowed<String>, Int)) in "\(batch.0)=\(batch.1)" }
        try t.output("tumbling", events.countByKeyAndWindow(key: { $0.0 }, length: .seconds(2)).named("tumbling").map(show))
        try t.output("sliding", events.countByKeyAndWindow(
            key: { $0.0 }, length: .seconds(3), slide: .seconds(1), emit: .update).named("sliding").map(show))
        try t.output("sessions", events.reduceByKeyAndSession(
            key: { $0.0 }, value: { _ in 1 }, +, gap: .milliseconds(300)).named("sessions").map(show))
        // Join buffers hold the records: Codable ones, so that they can be checkpointed.
        let a = events.map { Reading(key: $0.0, time: $0.1) }, b = others.map { Reading(key: $0.0, time: $0.1) }
        try t.output("joined", a.intervalJoin(
            b, key: { $0.key }, otherKey: { $0.key }, lower: .milliseconds(-700), upper: .milliseconds(700))
            .named("joined").map { "\($0.0):\($0.1.0.time)-\($0.1.1.time)" })
        try t.output("late", events.late.map { "\($0.0)@\($0.1)" })
        try t.output("watermarks", events.watermarks)
    }

    private static let outputs = ["tumbling", "sliding", "sessions", "joined", "late"]

    /// Every batch's records of each output, sorted, by output name, plus the watermarks.
    private func results(_ driver: StreamingTestDriver) throws -> [String: [[String]]] {
        var all: [String: [[String]]] = [:]
        for name in Self.outputs { all[name] = try driver.output(name, of: String.self).batches.map { $0.records.sorted() } }
        all["watermarks"] = try driver.output("watermarks", of: Int64.self).batches.map { $0.records.map(String.init) }
        return all
    }

    private func push(_ driver: StreamingTestDriver, batches: Int) throws {
        let events = outOfOrderEvents(seed: 31, batches: batches, perBatch: 60, keys: 4, stepMs: 1000, lagMs: 2500, outOfOrder: 0.15)
        let others = outOfOrderEvents(seed: 32, batches: batches, perBatch: 20, keys: 4, stepMs: 1000, lagMs: 1500, outOfOrder: 0.15)
        try driver.input("events", of: (String, Int64).self).push(batches: events)
        try driver.input("others", of: (String, Int64).self).push(batches: others)
    }

    /// What an uninterrupted run of `batches` batches emits.
    private func uninterrupted(batches: Int) async throws -> [String: [[String]]] {
        let reference = StreamingTestDriver(checkpointing: true, program: Self.program)
        try await reference.start()
        try push(reference, batches: batches)
        try await reference.advance(batches: batches)
        let expected = try results(reference)
        await reference.stop()
        return expected
    }

    /// One run crashed at every batch boundary (a checkpoint after every batch), recovered each time.
    @Test func crashedAfterEveryBatchItEmitsWhatAnUninterruptedRunEmits() async throws {
        let batches = 14
        let expected = try await uninterrupted(batches: batches)
        let driver = StreamingTestDriver(checkpointing: true, checkpointEvery: 1, program: Self.program)
        try await driver.start()
        try push(driver, batches: batches)
        var crashes = 0
        while (driver.time?.milliseconds ?? 0) < Int64(batches) * 1000, crashes < 2 * batches {
            try await driver.advance(batches: 1)
            try await driver.crashAndRecover()
            crashes += 1
        }
        let recovered = try results(driver)
        await driver.stop()
        #expect(crashes == batches)
        for name in Self.outputs + ["watermarks"] {
            #expect(recovered[name] == expected[name], "output \(name)")
        }
    }

    /// A crash at each batch boundary in turn, with a checkpoint every other batch (so one batch runs again or
    /// none): every crash point recovers to what an uninterrupted run emits.
    @Test(arguments: 1..<12)
    func aCrashAtAnyBatchBoundaryRecoversExactly(crashAfter: Int) async throws {
        let batches = 12
        let expected = try await uninterrupted(batches: batches)
        let driver = StreamingTestDriver(checkpointing: true, checkpointEvery: 2, program: Self.program)
        try await driver.start()
        try push(driver, batches: batches)
        try await driver.advance(batches: crashAfter)
        try await driver.crashAndRecover()
        let resumed = Int((driver.time?.milliseconds ?? 0) / 1000)
        #expect(resumed == crashAfter - crashAfter % 2)
        try await driver.advance(batches: batches - resumed)
        let recovered = try results(driver)
        await driver.stop()
        for name in Self.outputs + ["watermarks"] {
            #expect(recovered[name] == expected[name], "output \(name) after a crash after batch \(crashAfter)")
        }
    }

    @Test(arguments: [(crashAfter: 7, every: 3), (crashAfter: 12, every: 1), (crashAfter: 5, every: 2)])
    func aRecoveredProgramEmitsWhatAnUninterruptedRunEmits(crashAfter: Int, every: Int) async throws {
        let batches = 20
        let expected = try await uninterrupted(batches: batches)
        let driver = StreamingTestDriver(checkpointing: true, checkpointEvery: every, program: Self.program)
        try await driver.start()
        try push(driver, batches: batches)
        try await driver.advance(batches: crashAfter)
        try await driver.crashAndRecover()
        let resumed = Int((driver.time?.milliseconds ?? 0) / 1000)
        #expect(resumed > 0 && resumed <= crashAfter)  // the batches after the checkpoint run again
        try await driver.advance(batches: batches - resumed)
        let recovered = try results(driver)
        await driver.stop()

        for name in Self.outputs + ["watermarks"] {
            #expect(recovered[name] == expected[name], "output \(name)")
        }
        #expect(expected["tumbling"]!.joined().count > 20)
        #expect(expected["joined"]!.joined().count > 20)
        #expect(expected["late"]!.joined().count > 5)
    }
}
