import Foundation
import Spate
import SpateKafka
import SpatePostgres
import Synchronization
import Testing

/// Dead letters under a real `kill -9` at the two points around a batch's PostgreSQL commit (the pipeline is
/// Tests/KafkaDeadLetterProbe, a child process that kills itself there): none is lost, and a batch replayed
/// after the crash writes its dead letters again with the same keys (their origin), so copies are detectable.
@Suite(.serialized) struct DeadLetterCrashTests {
    static let probe = Pipeline.built("KafkaDeadLetterProbe")

    /// 24 records over 2 partitions; every fourth is not a number. Returns the expected sums per partition and
    /// the dead letters' keys (`<topic>/<partition>/<offset>`).
    static func produce(_ topic: String) throws -> (sums: [String: Int64], letters: Set<String>) {
        var sums: [String: Int64] = [:], letters: Set<String> = []
        var messages: [KafkaMessage] = []
        for i in 0..<24 {
            let p = i % 2
            if i % 4 == 3 {
                messages.append(KafkaMessage("bad\(i)", partition: p))
                letters.insert("\(topic)/\(p)/\(i / 2)")
            } else {
                messages.append(KafkaMessage("\(i)", partition: p))
                sums["p\(p)", default: 0] += Int64(i)
            }
        }
        try KafkaProducer(brokers: Pipeline.brokers).send(messages, to: topic)
        return (sums, letters)
    }

    static func sums(_ table: String) async -> [String: Int64] {
        let connection = PostgresConnection(Pipeline.postgres)
        defer { Task { await connection.close() } }
        var result: [String: Int64] = [:]
        for row in (try? await connection.query("SELECT key, value FROM \(table)")) ?? [] { result[row[0]!] = Int64(row[1]!)! }
        return result
    }

    /// Every record of `topic`, read from the start.
    static func readAll(_ topic: String) async throws -> [KafkaRecord] {
        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let seen = Mutex<[KafkaRecord]>([])
        ssc.kafkaStream(brokers: Pipeline.brokers, topics: [topic], groupID: "reader-\(UUID().uuidString)",
                        options: KafkaStreamOptions(startingOffsets: .earliest))
            .foreachBatch { batch, _ in seen.withLock { $0 += batch.collect() } }
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        return seen.withLock { $0 }
    }

    /// Runs the probe crashing at `point`, then again until the table is complete; returns the dead letters.
    static func crash(at point: String) async throws -> (letters: [KafkaRecord], expected: Set<String>, topic: String) {
        try await Pipeline.prepareDatabase()
        let topic = Pipeline.unique("letters").replacingOccurrences(of: "_", with: "-")
        try KafkaAdmin.createTopic(topic, partitions: 2, brokers: Pipeline.brokers, timeout: .seconds(5))
        try KafkaAdmin.createTopic("\(topic)-dlq", partitions: 1, brokers: Pipeline.brokers, timeout: .seconds(5))
        let (table, group) = (Pipeline.unique("letter_sums"), Pipeline.unique("letters"))
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent(Pipeline.unique("spate-dlq"))
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let (expectedSums, expectedLetters) = try produce(topic)
        let arguments = [Pipeline.brokers, topic, Pipeline.postgres, table, group]

        let crashing = try Pipeline.launch(arguments + [point], log: logs.appendingPathComponent("crash.log"), program: probe)
        let deadline = ContinuousClock.now + .seconds(60)
        while crashing.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if crashing.isRunning { await Pipeline.kill9(crashing) }
        #expect(crashing.terminationReason == .uncaughtSignal && crashing.terminationStatus == SIGKILL,
                "the probe killed itself at \(point): see \(logs.path)/crash.log")

        let again = try Pipeline.launch(arguments, log: logs.appendingPathComponent("again.log"), program: probe)
        let until = ContinuousClock.now + .seconds(60)
        while await sums(table) != expectedSums, ContinuousClock.now < until { try await Task.sleep(for: .milliseconds(200)) }
        await Pipeline.stop(again)
        #expect(await sums(table) == expectedSums, "exactly-once sums: logs in \(logs.path)")
        let letters = try await readAll("\(topic)-dlq")
        try? KafkaAdmin.deleteTopic(topic, brokers: Pipeline.brokers)
        try? KafkaAdmin.deleteTopic("\(topic)-dlq", brokers: Pipeline.brokers)
        return (letters, expectedLetters, topic)
    }

    @Test func aKillAfterTheCommitLosesNoDeadLetter() async throws {
        let (letters, expected, _) = try await Self.crash(at: "after-commit")
        let keys = letters.compactMap(\.keyString)
        #expect(Set(keys) == expected, "every dead letter, keyed by its origin: \(keys.sorted())")
        #expect(keys.count == expected.count, "none twice: the committed batch is not replayed")
    }

    @Test func aKillBeforeTheCommitResendsTheDeadLettersWithTheSameKeys() async throws {
        let (letters, expected, topic) = try await Self.crash(at: "before-commit")
        let keys = letters.compactMap(\.keyString)
        #expect(Set(keys) == expected, "every dead letter, keyed by its origin: \(keys.sorted())")
        // The replayed batch's copies carry the same key and the same origin headers.
        for letter in letters {
            let origin = "\(topic)/\(letter.header("spate.partition") ?? "?")/\(letter.header("spate.offset") ?? "?")"
            #expect(letter.keyString == origin)
        }
    }
}
