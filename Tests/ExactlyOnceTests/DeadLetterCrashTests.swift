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

    /// A schema of the checkpointed probe's own: its batch claims (`spate_batches`) are apart from other tests'.
    static let checkpointedPostgres = Pipeline.postgres.replacingOccurrences(
        of: "search_path=\(Pipeline.schema)", with: "search_path=spate_dlq_checkpointed")

    static func sums(_ table: String, _ postgres: String = Pipeline.postgres) async -> [String: Int64] {
        let connection = PostgresConnection(postgres)
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
    /// `checkpointed`: the probe keeps its offsets only in Spate's checkpoint (in a fresh directory).
    static func crash(
        at point: String, checkpointed: Bool = false
    ) async throws -> (letters: [KafkaRecord], expected: Set<String>, topic: String) {
        try await Pipeline.prepareDatabase()
        let postgres = checkpointed ? checkpointedPostgres : Pipeline.postgres
        if checkpointed {
            let connection = PostgresConnection(Pipeline.postgres)
            _ = try? await connection.query("CREATE SCHEMA IF NOT EXISTS spate_dlq_checkpointed")
            await connection.close()
        }
        let topic = Pipeline.unique("letters").replacingOccurrences(of: "_", with: "-")
        try KafkaAdmin.createTopic(topic, partitions: 2, brokers: Pipeline.brokers, timeout: .seconds(5))
        try KafkaAdmin.createTopic("\(topic)-dlq", partitions: 1, brokers: Pipeline.brokers, timeout: .seconds(5))
        let (table, group) = (Pipeline.unique("letter_sums"), Pipeline.unique("letters"))
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent(Pipeline.unique("spate-dlq"))
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let (expectedSums, expectedLetters) = try produce(topic)
        let arguments = [Pipeline.brokers, topic, postgres, table, group]
        let checkpoint = checkpointed ? [logs.appendingPathComponent("checkpoint").path] : []

        let crashing = try Pipeline.launch(arguments + [point] + checkpoint, log: logs.appendingPathComponent("crash.log"),
                                           program: probe)
        let deadline = ContinuousClock.now + .seconds(60)
        while crashing.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if crashing.isRunning { await Pipeline.kill9(crashing) }
        #expect(crashing.terminationReason == .uncaughtSignal && crashing.terminationStatus == SIGKILL,
                "the probe killed itself at \(point): see \(logs.path)/crash.log")

        let again = try Pipeline.launch(arguments + (checkpointed ? ["checkpointed"] + checkpoint : []),
                                        log: logs.appendingPathComponent("again.log"), program: probe)
        let until = ContinuousClock.now + .seconds(60)
        while await sums(table, postgres) != expectedSums, ContinuousClock.now < until {
            try await Task.sleep(for: .milliseconds(200))
        }
        await Pipeline.stop(again)
        #expect(await sums(table, postgres) == expectedSums, "exactly-once sums: logs in \(logs.path)")
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

    /// Offsets only in Spate's checkpoint: the batch's dead letters are acknowledged before the checkpoint that
    /// covers the batch is written, so a kill right after that checkpoint (the batch is not replayed) loses none.
    @Test func aKillAfterTheCheckpointLosesNoDeadLetter() async throws {
        let (letters, expected, _) = try await Self.crash(at: "after-checkpoint", checkpointed: true)
        let keys = letters.compactMap(\.keyString)
        #expect(Set(keys) == expected, "every dead letter, keyed by its origin: \(keys.sorted())")
        #expect(keys.count == expected.count, "none twice: the checkpointed batch is not replayed")
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
