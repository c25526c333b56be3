import Foundation
import Synchronization
import Testing
import Spate

/// An append-only log that outlives the programs reading it, as a broker's partition does.
final class EventLog: Sendable {
    private let events: [Int]
    init(_ events: [Int]) { self.events = events }

    /// The events at `range` (clamped to the log).
    func read(_ range: Range<Int>) -> [Int] {
        Array(events[Swift.min(range.lowerBound, events.count)..<Swift.min(range.upperBound, events.count)])
    }
    var count: Int { events.count }
}

/// A third-party replayable source written against the public API only: each batch takes the next
/// `batchSize` events of the log; a batch is described by its offsets, the position is the next offset.
final class EventLogSource: StreamSource {
    /// Offsets `from ..< until` of the log: how a batch is read again after a crash.
    struct Offsets: Codable, Sendable, Equatable {
        var from: Int
        var until: Int
    }

    let log: EventLog
    let batchSize: Int
    private let next = Mutex(0)
    /// Batches read again from their descriptors (after a recovery).
    let replays = Atomic(0)

    init(log: EventLog, batchSize: Int) {
        self.log = log
        self.batchSize = batchSize
    }

    var name: String { "eventLog" }

    func cut(at time: BatchTime, limit: Int?) async -> SourceBatch<Int, Offsets> {
        let offsets = next.withLock { n -> Offsets in
            let until = Swift.min(log.count, n + Swift.min(batchSize, limit ?? .max))
            defer { n = until }
            return Offsets(from: n, until: until)
        }
        return SourceBatch(partitions: [log.read(offsets.from..<offsets.until)], descriptor: offsets,
                           metadata: ["offsets": "\(offsets.from)..<\(offsets.until)"])
    }

    func replay(_ offsets: Offsets, at time: BatchTime) async throws -> [[Int]] {
        replays.add(1, ordering: .relaxed)
        return [log.read(offsets.from..<offsets.until)]
    }

    var position: Int { next.withLock { $0 } }

    func restore(position: Int) async throws { next.withLock { $0 = position } }

    var hasPendingData: Bool { next.withLock { $0 } < log.count }
}

/// Records each batch's outputs.
final class Outputs: Sendable {
    let windowSums = Mutex<[Int: Int]>([:])
    let totals = Mutex<[Int: [Int: Int]]>([:])
}

@Suite(.serialized) struct ReplayableSourceTests {
    static let log = EventLog(Array(1...60))

    /// A program over the source: a two-batch window's sum per batch and a running total per key (event mod 3).
    static func program(_ outputs: Outputs, checkpoint: URL?) throws -> (StreamingContext, EventLogSource) {
        let source = EventLogSource(log: log, batchSize: 5)
        let build = { () throws -> StreamingContext in
            let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
            let events = ssc.inputStream(source)
            try events.window(length: .seconds(2)).foreachBatch { batch, time in
                let sum = batch.collect().reduce(0, +)
                outputs.windowSums.withLock { $0[time.milliseconds] = sum }
            }
            events.map { ($0 % 3, $0) }
                .updateStateByKey { (values: [Int], total: Int?) in (total ?? 0) + values.reduce(0, +) }
                .named("totals")
                .checkpoint(interval: .seconds(2))
                .foreachBatch { batch, time in
                    outputs.totals.withLock { $0[time.milliseconds] = Dictionary(uniqueKeysWithValues: batch.collect()) }
                }
            return ssc
        }
        let ssc = try checkpoint.map { try StreamingContext.getOrCreate(checkpoint: $0, create: build) } ?? build()
        return (ssc, source)
    }

    @Test func aRecoveredProgramComputesWhatAnUninterruptedOneDoes() async throws {
        let reference = Outputs()
        let (uninterrupted, _) = try Self.program(reference, checkpoint: nil)
        try await uninterrupted.start()
        try await uninterrupted.advance(by: .seconds(8))
        await uninterrupted.stop()

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-source-api-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let before = Outputs()
        let (first, _) = try Self.program(before, checkpoint: dir)
        try await first.start()
        try await first.advance(by: .seconds(3))
        // A crash after batch 3000: no final checkpoint, the newest one is batch 2000's (written in the
        // background, so `stop` waits for it).
        await first.stop(graceful: false)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(files.contains { $0.contains("2000") }, "checkpoint files: \(files)")

        let after = Outputs()
        let (second, source) = try Self.program(after, checkpoint: dir)
        try await second.start()
        try await second.advance(by: .seconds(6))
        await second.stop()

        // Batch 3000's window needs batch 2000's events: the recovery read them again from their descriptor.
        #expect(source.replays.load(ordering: .relaxed) >= 1)
        let recoveredTimes = Array(stride(from: 3000, through: 8000, by: 1000))
        #expect(after.windowSums.withLock { $0.keys.sorted() } == recoveredTimes)
        for t in recoveredTimes {
            #expect(after.windowSums.withLock { $0[t] } == reference.windowSums.withLock { $0[t] }, "window at \(t)")
        }
        #expect(after.totals.withLock { $0[8000] } == reference.totals.withLock { $0[8000] })
        #expect(reference.totals.withLock { $0[8000] }?.values.reduce(0, +) == (1...40).reduce(0, +))
    }
}
