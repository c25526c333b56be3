import Foundation
import Spate
import Testing

/// Exactly-once into PostgreSQL across `kill -9`: the probe (Tests/KinesisProbe) counts records per partition
/// key with the shards' sequence numbers stored in each batch's transaction, while boto3 produces and reshards
/// the stream 2 -> 4. Against moto, which keeps routing new records to the closed parents after a resharding
/// (AWS routes them to the children): the children's leases and ranges appear, the parents go on being read.
@Suite(.serialized) struct KinesisCrashTests {
    init() async throws { try await LocalKinesis.prepareDatabase() }

    func logFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent(LocalKinesis.unique(name) + ".log")
    }

    @Test(arguments: [11, 29])
    func killedAtSeededPointsWhileReshardingTheCountsStayExact(seed: Int) async throws {
        let stream = LocalKinesis.unique("crash"), table = "kinesis_crash_\(seed)_\(UUID().uuidString.prefix(6).lowercased())"
        try LocalKinesis.createStream(stream, shards: 2)
        let producer = try LocalKinesis.startProducer(stream, total: 3_000, seed: seed, seconds: 8, reshardTo: 4)
        let log = logFile("probe")
        let arguments = [LocalKinesis.endpoint, stream, LocalKinesis.postgres, table, "crash-\(seed)"]
        var random = SeededRandom(seed: UInt64(seed))
        var probe = try LocalKinesis.launchProbe(arguments, log: log)
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(Int64.random(in: 800...2_500, using: &random)))
            LocalKinesis.kill9(probe)
            probe = try LocalKinesis.launchProbe(arguments, log: log)
        }
        let expected = try LocalKinesis.finish(producer)
        let counts = await LocalKinesis.awaitTable(table, equals: expected, timeout: .seconds(60))
        // A little longer: nothing is counted twice afterwards either.
        try await Task.sleep(for: .seconds(1))
        let settled = try await LocalKinesis.table(table)
        await LocalKinesis.stop(probe)
        #expect(expected.values.reduce(0, +) == 3_000)
        #expect(counts == expected)
        #expect(settled == expected)
        #expect(try LocalKinesis.shardCount(stream) == 6)
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(text.contains("kinesisStream started"), "probe log: \(log.path)")
    }

    @Test func twoProcessesShareTheShardsAndTheSurvivorTakesOverTheDeadOnes() async throws {
        let stream = LocalKinesis.unique("share"), table = "kinesis_share_\(UUID().uuidString.prefix(6).lowercased())"
        try LocalKinesis.createStream(stream, shards: 4)
        let application = LocalKinesis.unique("share-app")
        let arguments = [LocalKinesis.endpoint, stream, LocalKinesis.postgres, table, application, "leases"]
        let (logA, logB) = (logFile("lease-a"), logFile("lease-b"))
        let a = try LocalKinesis.launchProbe(arguments, log: logA)
        try await Task.sleep(for: .milliseconds(500))
        let b = try LocalKinesis.launchProbe(arguments, log: logB)
        let producer = try LocalKinesis.startProducer(stream, total: 3_000, seed: 5, seconds: 10, reshardTo: nil)
        // Both hold leases before one dies.
        let deadline = ContinuousClock.now + .seconds(20)
        func taken(_ log: URL) -> Int {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").components(separatedBy: "Kinesis lease taken").count - 1
        }
        while ContinuousClock.now < deadline, taken(logA) == 0 || taken(logB) == 0 {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(taken(logA) > 0 && taken(logB) > 0, "logs: \(logA.path) \(logB.path)")
        try await Task.sleep(for: .seconds(2))
        let before = taken(logA)
        LocalKinesis.kill9(b)
        let expected = try LocalKinesis.finish(producer)
        let counts = await LocalKinesis.awaitTable(table, equals: expected, timeout: .seconds(60))
        try await Task.sleep(for: .seconds(1))
        let settled = try await LocalKinesis.table(table)
        await LocalKinesis.stop(a)
        #expect(counts == expected)
        #expect(settled == expected)
        // The survivor took the dead process's leases after they expired.
        #expect(taken(logA) > before, "log: \(logA.path)")
    }
}
