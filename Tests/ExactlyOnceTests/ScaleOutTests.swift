import Foundation
import Spate
import SpateKafka
import SpatePostgres
import Testing

/// Scale-out by a Kafka consumer group: three processes of the KafkaCampaignCounts example share a
/// six-partition topic. On the real broker, processes stop (SIGTERM: they leave the group) while records
/// arrive, their partitions move with their keyed state (snapshots in the shared state directory) to the
/// others, and they come back; after every step the table holds exactly the expected counts.
///
/// What noida-db (the broker here) cannot do: it never evicts a member that died without leaving the group
/// (no session timeout: a SIGKILLed member stays in the group, a later rebalance even elects it leader and
/// the group stalls), and a static member (`group.instance.id`) that rejoins can be handed another member's
/// partitions. So the takeover after a SIGKILL, which needs the coordinator's session timeout, is tested
/// against librdkafka's own group coordinator (its mock cluster, hosted by Tests/KafkaMockCluster).
@Suite(.serialized) struct ScaleOutTests {
    /// The partitions each process reported reading after its last batch.
    static func assignments(_ files: [URL]) -> [[String]] {
        files.map { file in
            ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
        }
    }

    /// Waits until the processes behind `files` report `sizes` partitions each, covering all `partitions`.
    static func awaitSplit(_ files: [URL], sizes: [Int], partitions: Int, timeout: Duration) async -> [[String]] {
        let deadline = ContinuousClock.now + timeout
        var last: [[String]] = []
        while ContinuousClock.now < deadline {
            last = assignments(files)
            if last.map(\.count) == sizes, Set(last.joined()).count == partitions { return last }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return last
    }

    /// A group of example processes writing to one table.
    final class Group {
        let topic: String, table: String, group: String, work: URL, brokers: String
        var processes: [Process?] = [nil, nil, nil]
        var runs = 0

        /// The example's mode: `--scale-out <state dir>` (partition state, versioned upserts) by default.
        let mode: [String]?

        init(topic: String, brokers: String, mode: [String]? = nil) throws {
            self.topic = topic
            self.mode = mode
            table = Pipeline.unique("campaign_totals")
            group = Pipeline.unique("scale-out")
            work = FileManager.default.temporaryDirectory.appendingPathComponent(Pipeline.unique("spate-scale"))
            self.brokers = brokers
            try FileManager.default.createDirectory(at: work.appendingPathComponent("state"), withIntermediateDirectories: true)
        }

        func status(_ i: Int) -> URL { work.appendingPathComponent("status-\(i)") }
        var statusFiles: [URL] { (0..<3).map(status) }

        func start(_ i: Int) throws {
            runs += 1
            try? FileManager.default.removeItem(at: status(i))
            var arguments = ["--brokers", brokers, "--topic", topic, "--table", table, "--group", group,
                             "--batch-ms", "300", "--status-file", status(i).path, "--session-timeout-ms", "6000"]
                + (mode ?? ["--scale-out", work.appendingPathComponent("state").path])
            processes[i] = try Pipeline.launch(arguments, log: work.appendingPathComponent("process-\(i)-run-\(runs).log"))
        }

        func kill9(_ i: Int) async {
            if let p = processes[i] { await Pipeline.kill9(p) }
            try? FileManager.default.removeItem(at: status(i))
        }

        func stop(_ i: Int) async {
            if let p = processes[i] { await Pipeline.stop(p) }
            try? FileManager.default.removeItem(at: status(i))
        }

        func stopAll() async { for i in 0..<3 { await stop(i) } }

        /// How many times a process restored a partition's state from a snapshot.
        var restores: Int {
            let logs = (try? FileManager.default.contentsOfDirectory(at: work, includingPropertiesForKeys: nil)) ?? []
            return logs.filter { $0.pathExtension == "log" }.reduce(0) { n, log in
                n + ((try? String(contentsOf: log, encoding: .utf8)) ?? "").components(separatedBy: "partition state restored from its snapshot").count - 1
            }
        }

        var snapshots: [String] {
            (try? FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("state/\(group)").path)) ?? []
        }
    }

    /// Sends `messages` in slices over about a second, so processes die and move while records arrive.
    static func produceSlowly(_ messages: [KafkaMessage], topic: String, brokers: String) -> Task<Void, any Error> {
        Task.detached {
            let kafka = try KafkaProducer(brokers: brokers)
            for slice in stride(from: 0, to: messages.count, by: 250) {
                try kafka.send(Array(messages[slice..<min(slice + 250, messages.count)]), to: topic)
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    @Test func threeProcessesShareSixPartitionsThroughStopsAndRestarts() async throws {
        let topic = Pipeline.unique("campaign-group").replacingOccurrences(of: "_", with: "-")
        try KafkaAdmin.createTopic(topic, partitions: 6, brokers: Pipeline.brokers, timeout: .seconds(5))
        let g = try Group(topic: topic, brokers: Pipeline.brokers)
        var random = SeededRandom(seed: 63)
        let parts = (0..<5).map { _ in Pipeline.events(3000, campaigns: 30, random: &random, malformedEvery: 60) }
        var expected: [String: Int64] = [:]
        let where_ = "logs in \(g.work.path)"

        for i in 0..<3 { try g.start(i) }
        var split = await Self.awaitSplit(g.statusFiles, sizes: [2, 2, 2], partitions: 6, timeout: .seconds(60))
        #expect(split.map(\.count) == [2, 2, 2], "initial split \(split); \(where_)")
        try KafkaProducer(brokers: Pipeline.brokers).send(parts[0].messages, to: topic)
        Pipeline.merge(&expected, parts[0].counts)
        var seen = await Pipeline.awaitTable(g.table, equals: expected, timeout: .seconds(60))
        #expect(seen == expected, "first part; \(where_)")

        for (step, leaving) in [1, 2].enumerated() {
            // A process stops while records arrive: the other two take its partitions and their state.
            let restoresBefore = g.restores
            let producing = Self.produceSlowly(parts[1 + 2 * step].messages, topic: topic, brokers: Pipeline.brokers)
            try await Task.sleep(for: .milliseconds(300))
            await g.stop(leaving)
            try await producing.value
            Pipeline.merge(&expected, parts[1 + 2 * step].counts)
            let others = (0..<3).filter { $0 != leaving }.map(g.status)
            let moved = await Self.awaitSplit(others, sizes: [3, 3], partitions: 6, timeout: .seconds(60))
            #expect(moved.map(\.count) == [3, 3], "after process \(leaving) stopped: \(moved); \(where_)")
            seen = await Pipeline.awaitTable(g.table, equals: expected, timeout: .seconds(60))
            #expect(seen == expected, "after process \(leaving) stopped; \(where_)")
            #expect(g.restores >= restoresBefore + 2, "the moved partitions' state came from their snapshots; \(where_)")

            // It comes back: two partitions each again, and the next part counted exactly.
            try g.start(leaving)
            split = await Self.awaitSplit(g.statusFiles, sizes: [2, 2, 2], partitions: 6, timeout: .seconds(60))
            #expect(split.map(\.count) == [2, 2, 2], "after process \(leaving) came back: \(split); \(where_)")
            try KafkaProducer(brokers: Pipeline.brokers).send(parts[2 + 2 * step].messages, to: topic)
            Pipeline.merge(&expected, parts[2 + 2 * step].counts)
            seen = await Pipeline.awaitTable(g.table, equals: expected, timeout: .seconds(60))
            #expect(seen == expected, "after process \(leaving) came back; \(where_)")
        }
        #expect(Pipeline.sum(seen) == 5 * (3000 - 50), "every well-formed event counted once, the malformed ones not")

        await g.stopAll()
        #expect(g.snapshots.count == 6, "one state snapshot per partition: \(g.snapshots)")
        try? KafkaAdmin.deleteTopic(topic, brokers: Pipeline.brokers)
    }

    /// The default mode in a consumer group: no state in Spate, each batch's counts added to the table in one
    /// transaction with its offsets. A process stops while records arrive; the others take its partitions from
    /// the offsets stored in PostgreSQL (a batch that overlaps what the old owner wrote is refused and the
    /// stream rewound), and it comes back. Exact table.
    @Test func offsetsInPostgresKeepAGroupExactAcrossAStop() async throws {
        let topic = Pipeline.unique("campaign-offsets").replacingOccurrences(of: "_", with: "-")
        try KafkaAdmin.createTopic(topic, partitions: 6, brokers: Pipeline.brokers, timeout: .seconds(5))
        let g = try Group(topic: topic, brokers: Pipeline.brokers, mode: ["--consumer-group"])
        var random = SeededRandom(seed: 65)
        let parts = (0..<3).map { _ in Pipeline.events(3000, campaigns: 30, random: &random, malformedEvery: 75) }
        var expected: [String: Int64] = [:]
        let where_ = "logs in \(g.work.path)"

        for i in 0..<3 { try g.start(i) }
        var split = await Self.awaitSplit(g.statusFiles, sizes: [2, 2, 2], partitions: 6, timeout: .seconds(60))
        #expect(split.map(\.count) == [2, 2, 2], "initial split \(split); \(where_)")
        try KafkaProducer(brokers: Pipeline.brokers).send(parts[0].messages, to: topic)
        Pipeline.merge(&expected, parts[0].counts)
        var seen = await Pipeline.awaitTable(g.table, equals: expected, timeout: .seconds(60))
        #expect(seen == expected, "first part; \(where_)")

        let producing = Self.produceSlowly(parts[1].messages, topic: topic, brokers: Pipeline.brokers)
        try await Task.sleep(for: .milliseconds(300))
        await g.stop(0)
        try await producing.value
        Pipeline.merge(&expected, parts[1].counts)
        let moved = await Self.awaitSplit([g.status(1), g.status(2)], sizes: [3, 3], partitions: 6, timeout: .seconds(60))
        #expect(moved.map(\.count) == [3, 3], "after the stop \(moved); \(where_)")
        seen = await Pipeline.awaitTable(g.table, equals: expected, timeout: .seconds(60))
        #expect(seen == expected, "after the stop; \(where_)")

        try g.start(0)
        split = await Self.awaitSplit(g.statusFiles, sizes: [2, 2, 2], partitions: 6, timeout: .seconds(60))
        #expect(split.map(\.count) == [2, 2, 2], "after the restart \(split); \(where_)")
        try KafkaProducer(brokers: Pipeline.brokers).send(parts[2].messages, to: topic)
        Pipeline.merge(&expected, parts[2].counts)
        seen = await Pipeline.awaitTable(g.table, equals: expected, timeout: .seconds(60))
        #expect(Pipeline.sum(seen) == 3 * (3000 - 40))
        #expect(seen == expected, "in the end; \(where_)")
        await g.stopAll()
        let stored = try PostgresOffsetStore(connection: Pipeline.postgres, table: g.table).offsets(group: g.group)
        #expect(stored.values.reduce(0, +) == 9000, "every record is behind the stored offsets")
        try? KafkaAdmin.deleteTopic(topic, brokers: Pipeline.brokers)
    }

    /// The takeover after a SIGKILL, which needs the coordinator to evict the dead member after its session
    /// timeout: against librdkafka's mock cluster (hosted by Tests/KafkaMockCluster), since noida-db never
    /// evicts. Three dynamic members; one is killed while records arrive; the other two take its partitions
    /// with their state after the 6 s session timeout; it restarts and gets two back. Exact table throughout.
    @Test func theOthersTakeAKilledProcessPartitionsAfterItsSessionTimeout() async throws {
        let topic = Pipeline.unique("campaign-mock").replacingOccurrences(of: "_", with: "-")
        let host = Process()
        let here = URL(fileURLWithPath: Pipeline.executable.path).deletingLastPathComponent()
        host.executableURL = here.appendingPathComponent("KafkaMockCluster")
        host.arguments = [topic, "6"]
        let stdin = Pipe(), stdout = Pipe()
        host.standardInput = stdin
        host.standardOutput = stdout
        try host.run()
        defer { try? stdin.fileHandleForWriting.close(); host.waitUntilExit() }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let brokers = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(brokers.hasPrefix("127.0.0.1:"), "the mock cluster host printed \(brokers)")

        let g = try Group(topic: topic, brokers: brokers)
        var random = SeededRandom(seed: 64)
        let parts = (0..<3).map { _ in Pipeline.events(3000, campaigns: 30, random: &random) }
        var expected: [String: Int64] = [:]
        let where_ = "logs in \(g.work.path)"

        for i in 0..<3 { try g.start(i) }
        var split = await Self.awaitSplit(g.statusFiles, sizes: [2, 2, 2], partitions: 6, timeout: .seconds(60))
        #expect(split.map(\.count) == [2, 2, 2], "initial split \(split); \(where_)")
        try KafkaProducer(brokers: brokers).send(parts[0].messages, to: topic)
        Pipeline.merge(&expected, parts[0].counts)
        var seen = await Pipeline.awaitTable(g.table, equals: expected, timeout: .seconds(60))
        #expect(seen == expected, "first part; \(where_)")

        let restoresBefore = g.restores
        let producing = Self.produceSlowly(parts[1].messages, topic: topic, brokers: brokers)
        try await Task.sleep(for: .milliseconds(500))
        await g.kill9(0)
        try await producing.value
        Pipeline.merge(&expected, parts[1].counts)
        let moved = await Self.awaitSplit([g.status(1), g.status(2)], sizes: [3, 3], partitions: 6, timeout: .seconds(60))
        #expect(moved.map(\.count) == [3, 3], "after the kill \(moved); \(where_)")
        seen = await Pipeline.awaitTable(g.table, equals: expected, timeout: .seconds(60))
        #expect(seen == expected, "after the kill; \(where_)")
        #expect(g.restores >= restoresBefore + 2, "the moved partitions' state came from their snapshots; \(where_)")

        try g.start(0)
        split = await Self.awaitSplit(g.statusFiles, sizes: [2, 2, 2], partitions: 6, timeout: .seconds(60))
        #expect(split.map(\.count) == [2, 2, 2], "after the restart \(split); \(where_)")
        try KafkaProducer(brokers: brokers).send(parts[2].messages, to: topic)
        Pipeline.merge(&expected, parts[2].counts)
        seen = await Pipeline.awaitTable(g.table, equals: expected, timeout: .seconds(60))
        #expect(Pipeline.sum(seen) == 9000)
        #expect(seen == expected, "in the end; \(where_)")
        await g.stopAll()
    }
}
