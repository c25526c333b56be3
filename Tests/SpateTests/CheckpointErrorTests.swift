import Foundation
import Testing
@testable import Spate

/// `start()` reports a program that does not fit its checkpoint with a typed `CheckpointError`.
@Suite struct CheckpointErrorTests {
    static func tempDir(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("spate-ckpt-error-\(name)-\(UUID().uuidString)")
    }

    static func program(_ interval: Duration, _ dir: URL) throws -> StreamingContext {
        try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = StreamingContext(batchInterval: interval, parallelism: 1, clock: .manual)
            ssc.queueStream([[("a", 1)]]).updateStateByKey { (v: [Int], s: Int?) in (s ?? 0) + v.count }
                .named("counts").checkpoint(interval: interval).print()
            return ssc
        }
    }

    @Test func anotherBatchIntervalIsNamedWithBothIntervals() async throws {
        let dir = Self.tempDir("interval")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Self.program(.seconds(1), dir)
        try await first.start()
        try await first.advance(by: .seconds(1))
        await first.stop()

        let second = try Self.program(.seconds(2), dir)
        await #expect(throws: CheckpointError.batchIntervalChanged(checkpointMilliseconds: 1000, programMilliseconds: 2000)) {
            try await second.start()
        }
        #expect(!second.isActive)
        #expect(CheckpointError.batchIntervalChanged(checkpointMilliseconds: 1000, programMilliseconds: 2000)
            .description.contains("use the same batch interval"))
    }

    @Test func twoOperatorsOfOneNameCannotBeCheckpointed() async throws {
        let ssc = manualContext()
        ssc.checkpoint(directory: Self.tempDir("duplicate"))
        let pairs = ssc.queueStream([[("a", 1)]])
        pairs.updateStateByKey { (v: [Int], s: Int?) in (s ?? 0) + v.count }.named("same").print()
        pairs.updateStateByKey { (v: [Int], s: Int?) in (s ?? 0) + v.count }.named("same").print()
        await #expect(throws: CheckpointError.duplicateOperatorName("same")) { try await ssc.start() }
    }

    @Test func stateOfOtherTypesIsUnreadableAndSaysWhy() throws {
        let data = try DynamicCodable.encode(["not", "numbers"], operatorName: "x")
        #expect {
            try DynamicCodable.decode([Int].self, from: data, operatorName: "x")
        } throws: { error in
            guard case let CheckpointError.unreadableState(name, reason)? = error as? CheckpointError else { return false }
            return name == "x" && reason.contains("Array<Int>") && "\(error)".contains(".named(_:)")
        }
    }
}
