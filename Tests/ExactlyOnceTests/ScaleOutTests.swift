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
            let arguments = ["--brokers", brokers, "--topic", topic, "--table", table, "--group", group,
                             "--batch-ms", "300", "--status-file", status(i).path, "--session-timeout-ms", "6000",
                             "--postgres", Pipeline.postgres]
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

        /// What the table must hold so far.
        var expected: [String: Int64] = [:]
        var logsHint: String { "logs in \(work.path)" }

        /// Waits until the processes `members` read `sizes` partitions each, covering all six.
        func expectSplit(_ members: [Int], _ sizes: [Int], _ when: String) async {
            let split = await ScaleOutTests.awaitSplit(members.map(status), sizes: sizes, partitions: 6, timeout: .seconds(60))
            #expect(split.map(\.count) == sizes, "\(when): \(split); \(logsHint)")
        }

        /// Waits until the table holds exactly the expected counts.
        @discardableResult
        func expectTable(_ when: String) async -> [String: Int64] {
            let seen = await Pipeline.awaitTable(table, equals: expected, timeout: .seconds(60))
            #expect(seen == expected, "\(when); \(logsHint)")
            return seen
        }

        /// Sends `part` at once and checks the table.
        func send(_ part: (messages: [KafkaMessage], counts: [String: Int64]), _ when: String) async throws {
            try KafkaProducer(brokers: brokers).send(part.messages, to: topic)
            Pipeline.merge(&expected, part.counts)
            await expectTable(when)
        }

        /// Sends `part` over about a second, runs `disrupt` (a stop or a kill) while it arrives, then waits
        /// until the processes `survivors` read three partitions each and checks the table.
        func send(
            _ part: (messages: [KafkaMessage], counts: [String: Int64]), while disrupt: () async -> Void,
            survivors: [Int], _ when: String
        ) async throws {
            let producing = ScaleOutTests.produceSlowly(part.messages, topic: topic, brokers: brokers)
            try await Task.sleep(for: .milliseconds(300))
            await disrupt()
            try await producing.value
            Pipeline.merge(&expected, part.counts)
            await expectSplit(survivors, [3, 3], when)
            await expectTable(when)
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
        try await Pipeline.prepareDatabase()
        let topic = Pipeline.unique("campaign-group").replacingOccurrences(of: "_", with: "-")
        try KafkaAdmin.createTopic(topic, partitions: 6, brokers: Pipeline.brokers, timeout: .seconds(5))
        let g = try Group(topic: topic, brokers: Pipeline.brokers)
        var random = SeededRandom(seed: 63)
        let parts = (0..<5).map { _ in Pipeline.events(3000, campaigns: 30, random: &random, malformedEvery: 60) }

        for i in 0..<3 { try g.start(i) }
        await g.expectSplit([0, 1, 2], [2, 2, 2], "initial split")
        try await g.send(parts[0], "first part")
        for (step, leaving) in [1, 2].enumerated() {
            // A process stops while records arrive: the other two take its partitions and their state.
            let restoresBefore = g.restores
            try await g.send(parts[1 + 2 * step], while: { await g.stop(leaving) },
                             survivors: (0..<3).filter { $0 != leaving }, "after process \(leaving) stopped")
            #expect(g.restores >= restoresBefore + 2, "the moved partitions' state came from their snapshots; \(g.logsHint)")
            // It comes back: two partitions each again, and the next part counted exactly.
            try g.start(leaving)
            await g.expectSplit([0, 1, 2], [2, 2, 2], "after process \(leaving) came back")
            try await g.send(parts[2 + 2 * step], "after process \(leaving) came back")
        }
        #expect(Pipeline.sum(g.expected) == 5 * (3000 - 50), "every well-formed event counted once, the malformed ones not")

        await g.stopAll()
        #expect(g.snapshots.count == 6, "one state snapshot per partition: \(g.snapshots)")
        try? KafkaAdmin.deleteTopic(topic, brokers: Pipeline.brokers)
    }

    /// The default mode in a consumer group: no state in Spate, each batch's counts added to the table in one
    /// transaction with its offsets. A process stops while records arrive; the others take its partitions from
    /// the offsets stored in PostgreSQL (a batch that overlaps what the old owner wrote is refused and the
    /// stream rewound), and it comes back. Exact table.
    @Test func offsetsInPostgresKeepAGroupExactAcrossAStop() async throws {
        try await Pipeline.prepareDatabase()
        let topic = Pipeline.unique("campaign-offsets").replacingOccurrences(of: "_", with: "-")
        try KafkaAdmin.createTopic(topic, partitions: 6, brokers: Pipeline.brokers, timeout: .seconds(5))
        let g = try Group(topic: topic, brokers: Pipeline.brokers, mode: ["--consumer-group"])
        var random = SeededRandom(seed: 65)
        let parts = (0..<3).map { _ in Pipeline.events(3000, campaigns: 30, random: &random, malformedEvery: 75) }

        for i in 0..<3 { try g.start(i) }
        await g.expectSplit([0, 1, 2], [2, 2, 2], "initial split")
        try await g.send(parts[0], "first part")
        try await g.send(parts[1], while: { await g.stop(0) }, survivors: [1, 2], "after the stop")
        try g.start(0)
        await g.expectSplit([0, 1, 2], [2, 2, 2], "after the restart")
        try await g.send(parts[2], "in the end")
        #expect(Pipeline.sum(g.expected) == 3 * (3000 - 40))

        await g.stopAll()
        let stored = try PostgresOffsetStore(connection: Pipeline.postgres, table: g.table).offsets(group: g.group)
        #expect(stored.values.compactMap(\.int64Value).reduce(0, +) == 9000, "every record is behind the stored offsets")
        try? KafkaAdmin.deleteTopic(topic, brokers: Pipeline.brokers)
    }

    /// The takeover after a SIGKILL, which needs the coordinator to evict the dead member after its session
    /// timeout: against librdkafka's mock cluster (hosted by Tests/KafkaMockCluster), since noida-db never
    /// evicts. Three dynamic members; one is killed while records arrive; the other two take its partitions
    /// with their state after the 6 s session timeout; it restarts and gets two back. Exact table throughout.
    @Test func theOthersTakeAKilledProcessPartitionsAfterItsSessionTimeout() async throws {
        try await Pipeline.prepareDatabase()
        try await killTakeoverOnTheMockCoordinator(mode: nil, seed: 64)
    }

    /// The same with the stateless mode: the others resume the dead process's partitions from the offsets
    /// stored in PostgreSQL with its last committed batch.
    @Test func theOthersResumeAKilledProcessPartitionsFromTheStoredOffsets() async throws {
        try await Pipeline.prepareDatabase()
        try await killTakeoverOnTheMockCoordinator(mode: ["--consumer-group"], seed: 66)
    }

    func killTakeoverOnTheMockCoordinator(mode: [String]?, seed: UInt64) async throws {
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

        let g = try Group(topic: topic, brokers: brokers, mode: mode)
        var random = SeededRandom(seed: seed)
        let parts = (0..<3).map { _ in Pipeline.events(3000, campaigns: 30, random: &random) }

        for i in 0..<3 { try g.start(i) }
        await g.expectSplit([0, 1, 2], [2, 2, 2], "initial split")
        try await g.send(parts[0], "first part")
        let restoresBefore = g.restores
        try await g.send(parts[1], while: { await g.kill9(0) }, survivors: [1, 2], "after the kill")
        if mode == nil {
            #expect(g.restores >= restoresBefore + 2, "the moved partitions' state came from their snapshots; \(g.logsHint)")
        }
        try g.start(0)
        await g.expectSplit([0, 1, 2], [2, 2, 2], "after the restart")
        try await g.send(parts[2], "in the end")
        #expect(Pipeline.sum(g.expected) == 9000)
        await g.stopAll()
    }
}
