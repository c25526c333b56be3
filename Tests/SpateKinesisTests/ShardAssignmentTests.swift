import Testing

@testable import SpateKinesis

/// The resharding rule and the lease balance, on in-memory shard lists and lease tables.
@Suite struct ShardAssignmentTests {
    func shard(_ id: String, parent: String? = nil, adjacent: String? = nil) -> KinesisAPI.Shard {
        KinesisAPI.Shard(
            ShardId: id, ParentShardId: parent, AdjacentParentShardId: adjacent,
            HashKeyRange: .init(StartingHashKey: "0", EndingHashKey: "1"),
            SequenceNumberRange: .init(StartingSequenceNumber: "1", EndingSequenceNumber: nil))
    }

    @Test func childrenWaitUntilTheirParentsWereReadToTheEnd() {
        let shards = [shard("s0"), shard("s1"), shard("s2", parent: "s0"), shard("s3", parent: "s0"),
                      shard("s4", parent: "s1", adjacent: "s0")]
        #expect(ShardLineage.readable(shards, ended: []).map(\.ShardId) == ["s0", "s1"])
        #expect(ShardLineage.readable(shards, ended: ["s0"]).map(\.ShardId) == ["s1", "s2", "s3"])
        #expect(ShardLineage.readable(shards, ended: ["s0", "s1"]).map(\.ShardId) == ["s2", "s3", "s4"])
        // A parent expired from the stream (no longer listed) holds nothing back.
        #expect(ShardLineage.readable([shard("s2", parent: "s0")], ended: []).map(\.ShardId) == ["s2"])
    }

    func lease(_ key: String, _ owner: String?) -> LeaseTable.Lease {
        LeaseTable.Lease(key: key, owner: owner, counter: 1, checkpoint: "0")
    }

    @Test func aNewWorkerTakesFreeLeasesUpToAnEvenShare() {
        let leases = [lease("a", nil), lease("b", nil), lease("c", nil), lease("d", nil)]
        let taken = LeaseBalance.toTake(leases, eligible: ["a", "b", "c", "d"], me: "w1") { $0.owner == nil }
        #expect(taken.map(\.key) == ["a", "b", "c", "d"])
    }

    @Test func aWorkerStealsOneLeaseFromABusierLiveWorker() {
        let leases = [lease("a", "w1"), lease("b", "w1"), lease("c", "w1"), lease("d", "w1")]
        let taken = LeaseBalance.toTake(leases, eligible: ["a", "b", "c", "d"], me: "w2") { _ in false }
        #expect(taken.map(\.key) == ["a"])
        let balanced = [lease("a", "w2"), lease("b", "w2"), lease("c", "w1"), lease("d", "w1")]
        #expect(LeaseBalance.toTake(balanced, eligible: ["a", "b", "c", "d"], me: "w2") { _ in false }.isEmpty)
    }

    @Test func aDeadWorkersLeasesAreTakenOnceExpired() {
        let leases = [lease("a", "w2"), lease("b", "w2"), lease("c", "dead"), lease("d", "dead")]
        let taken = LeaseBalance.toTake(leases, eligible: ["a", "b", "c", "d"], me: "w2") { $0.owner == "dead" }
        #expect(taken.map(\.key) == ["c", "d"])
        // Ended shards' leases and children not yet eligible are left alone.
        #expect(LeaseBalance.toTake(leases, eligible: ["a", "b"], me: "w2") { $0.owner == "dead" }.isEmpty)
    }

    @Test func putRecordsRequestsKeepToFiveHundredRecordsAndFiveMiB() throws {
        let writer = KinesisWriter(stream: "s", options: KinesisSinkOptions(), logger: .init(label: "test"))
        let small = try (0..<1201).map { try writer.entry(key: "k\($0)", data: [1]) }
        #expect(KinesisWriter.requests(small).map(\.count) == [500, 500, 201])
        let big = try (0..<12).map { _ in try writer.entry(key: "k", data: [UInt8](repeating: 0, count: 1 << 19)) }
        #expect(KinesisWriter.requests(big).map(\.count) == [9, 3])
        #expect(throws: KinesisError.self) { try writer.entry(key: "k", data: [UInt8](repeating: 0, count: 1 << 20)) }
        #expect(throws: KinesisError.self) { try writer.entry(key: "", data: [1]) }
    }

    @Test func theBoundPerShardFollowsRateRecordsAndBackpressure() {
        let options = KinesisStreamOptions(maxRatePerShard: 100, maxRecordsPerShard: 1000)
        #expect(options.perShard(intervalMs: 2000, allowance: nil, shards: 4) == 200)
        #expect(options.perShard(intervalMs: 2000, allowance: 40, shards: 4) == 10)
        #expect(KinesisStreamOptions().perShard(intervalMs: 1000, allowance: nil, shards: 2) == 10_000)
    }
}
