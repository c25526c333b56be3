import Foundation
import Spate
import SpateKafka
import Synchronization
import Testing

/// Kafka -> Kafka exactly once (`saveToKafka(..., delivery: .exactlyOnce)`) under a real `kill -9` at seeded
/// points of a batch (the pipeline is Tests/KafkaExactlyOnceProbe, a child process that kills itself there),
/// against the real broker: a `read_committed` consumer of the output sees every input's result exactly once,
/// while a `read_uncommitted` one sees the aborted copies too; a second instance with the same
/// transactional.id fences the first.
@Suite(.serialized) struct KafkaToKafkaTests {
    static let probe = Pipeline.built("KafkaExactlyOnceProbe")
    static let partitions = 3, perPartition = 24

    /// A fresh input topic holding `perPartition` records per partition (values `p<partition>-<i>`), a fresh
    /// output topic, and the results each input must give once.
    static func topics() throws -> (input: String, output: String, expected: [String]) {
        let base = Pipeline.unique("eos").replacingOccurrences(of: "_", with: "-")
        let (input, output) = ("\(base)-in", "\(base)-out")
        try KafkaAdmin.createTopic(input, partitions: partitions, brokers: Pipeline.brokers, timeout: .seconds(5))
        try KafkaAdmin.createTopic(output, partitions: 2, brokers: Pipeline.brokers, timeout: .seconds(5))
        var messages: [KafkaMessage] = [], expected: [String] = []
        for i in 0..<perPartition {
            for p in 0..<partitions {
                messages.append(KafkaMessage("p\(p)-\(i)", key: "k\(p)", partition: p))
                expected.append("out-p\(p)-\(i)")
            }
        }
        try KafkaProducer(brokers: Pipeline.brokers).send(messages, to: input)
        return (input, output, expected.sorted())
    }

    /// The values of every record of `topic`, read from the start at `isolation`.
    static func values(_ topic: String, isolation: String = "read_committed") async throws -> [String] {
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let seen = Mutex<[String]>([])
        ssc.kafkaStream(brokers: Pipeline.brokers, topics: [topic], groupID: "reader-\(UUID().uuidString)",
                        options: KafkaStreamOptions(startingOffsets: .earliest, settings: ["isolation.level": isolation]))
            .foreachBatch { batch, _ in seen.withLock { $0 += batch.collect().compactMap(\.valueString) } }
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        return seen.withLock { $0 }.sorted()
    }

    /// Runs the probe until it killed itself at `point` in its `batch`-th batch with records.
    static func crash(_ arguments: [String], at point: String, batch: Int, log: URL) async throws {
        let p = try Pipeline.launch(arguments + [point, "\(batch)"], log: log, program: probe)
        let deadline = ContinuousClock.now + .seconds(60)
        while p.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if p.isRunning { await Pipeline.kill9(p) }
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL,
                "the probe killed itself at \(point) in batch \(batch): see \(log.path)")
    }

    /// Runs the probe without a crash until the output holds `count` committed records (or a minute passed),
    /// then stops it gracefully.
    static func finish(_ arguments: [String], output: String, count: Int, log: URL) async throws {
        let p = try Pipeline.launch(arguments, log: log, program: probe)
        let deadline = ContinuousClock.now + .seconds(60)
        while (try? await values(output))?.count ?? 0 < count, p.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
        }
        // A little longer: a duplicate written late would show.
        try await Task.sleep(for: .seconds(1))
        await Pipeline.stop(p)
    }

    /// Kills the pipeline at the three points, in an order and at batches drawn from `seed`, restarting it each
    /// time, then lets it finish; checks the output.
    func killedAtSeededPoints(seed: UInt64, checkpoint: Bool) async throws {
        var random = SeededRandom(seed: seed)
        let (input, output, expected) = try Self.topics()
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent(Pipeline.unique("spate-eos"))
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let arguments = [Pipeline.brokers, input, output, Pipeline.unique("eos-group"), Pipeline.unique("eos-tx"),
                         checkpoint ? logs.appendingPathComponent("checkpoint").path : "-"]
        let points = ["before-produce", "mid-transaction", "after-commit"].shuffled(using: &random)
        for (i, point) in points.enumerated() {
            let batch = Int.random(in: 1...3, using: &random)
            try await Self.crash(arguments, at: point, batch: batch, log: logs.appendingPathComponent("\(i)-\(point).log"))
        }
        try await Self.finish(arguments, output: output, count: expected.count, log: logs.appendingPathComponent("finish.log"))

        let committed = try await Self.values(output)
        #expect(committed == expected, "read_committed: every result exactly once (seed \(seed), logs in \(logs.path))")
        #expect(Set(committed).count == committed.count, "no result twice (seed \(seed))")
        // The batch killed mid-transaction was written and aborted: a read_uncommitted consumer sees its records
        // twice, so a sink that committed them (or a reader that did not hide aborted records) would fail above.
        let uncommitted = try await Self.values(output, isolation: "read_uncommitted")
        #expect(uncommitted.count > expected.count, "the aborted transaction's records are in the log (seed \(seed))")
        #expect(Set(uncommitted) == Set(expected))
        try? KafkaAdmin.deleteTopic(input, brokers: Pipeline.brokers)
        try? KafkaAdmin.deleteTopic(output, brokers: Pipeline.brokers)
    }

    @Test(arguments: [UInt64(14), 1405])
    func killedAtSeededPointsTheOutputHoldsEachResultOnce(seed: UInt64) async throws {
        try await killedAtSeededPoints(seed: seed, checkpoint: false)
    }

    @Test func killedWithACheckpointTheReplayedBatchesAreNotWrittenAgain() async throws {
        try await killedAtSeededPoints(seed: 7, checkpoint: true)
    }

    @Test func aSecondInstanceWithTheSameTransactionalIDFencesTheFirst() async throws {
        let (input, output, expected) = try Self.topics()
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent(Pipeline.unique("spate-fence"))
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let arguments = [Pipeline.brokers, input, output, Pipeline.unique("fence-group"), Pipeline.unique("fence-tx"), "-"]
        let first = try Pipeline.launch(arguments, log: logs.appendingPathComponent("first.log"), program: Self.probe)
        // The first instance commits a few batches (4 records per partition each), then the second one starts.
        let started = ContinuousClock.now + .seconds(30)
        while (try? await Self.values(output))?.count ?? 0 < 2 * Self.partitions, ContinuousClock.now < started {
            try await Task.sleep(for: .milliseconds(100))
        }
        let secondLog = logs.appendingPathComponent("second.log")
        let second = try Pipeline.launch(arguments, log: secondLog, program: Self.probe)
        // Its producer's init_transactions has fenced the first one's once its sink says it is ready.
        let ready = ContinuousClock.now + .seconds(30)
        while !((try? String(contentsOf: secondLog, encoding: .utf8))?.contains("exactly-once Kafka sink ready") ?? false),
              ContinuousClock.now < ready {
            try await Task.sleep(for: .milliseconds(100))
        }
        // More input, so the first instance tries another transaction and finds itself fenced.
        let more = (0..<Self.partitions).map { p in KafkaMessage("p\(p)-late", key: "k\(p)", partition: p) }
        try KafkaProducer(brokers: Pipeline.brokers).send(more, to: input)
        let all = (expected + (0..<Self.partitions).map { "out-p\($0)-late" }).sorted()
        let deadline = ContinuousClock.now + .seconds(60)
        while (try? await Self.values(output))?.count ?? 0 < all.count || first.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
        }
        if first.isRunning { await Pipeline.kill9(first) }
        await Pipeline.stop(second)

        let log = (try? String(contentsOf: logs.appendingPathComponent("first.log"), encoding: .utf8)) ?? ""
        #expect(first.terminationReason == .exit && first.terminationStatus == 3, "the first instance stopped with an error")
        #expect(log.contains("took over and fenced this producer"), "it says it was fenced: see \(logs.path)/first.log")
        #expect(try await Self.values(output) == all, "every result exactly once across both instances")
        try? KafkaAdmin.deleteTopic(input, brokers: Pipeline.brokers)
        try? KafkaAdmin.deleteTopic(output, brokers: Pipeline.brokers)
    }
}
