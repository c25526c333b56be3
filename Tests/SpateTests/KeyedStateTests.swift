import Foundation
import Synchronization
import Testing
@testable import Spate

/// The keyed-state building block: source scopes kept apart and moved through their snapshots, and where a
/// state that no checkpoint restored starts.
@Suite struct KeyedStateTests {
    /// An in-memory snapshot store: what each scope's last snapshot holds, and how many saves it got.
    final class Store: Sendable {
        let snapshots = Mutex<[String: [String: Int]]>([:])
        let saves = Mutex<[String: Int]>([:])

        var scopeSnapshots: ScopeSnapshots<String, [String: Int]> {
            ScopeSnapshots(
                load: { [self] scope in snapshots.withLock { $0[scope] } },
                save: { [self] scope, table in
                    snapshots.withLock { $0[scope] = table }
                    saves.withLock { $0[scope, default: 0] += 1 }
                })
        }
    }

    /// Adds `n` to `key` in `scope` at batch time `ms`; returns the key's new value.
    @discardableResult
    private func add(_ state: KeyedState<String, [String: Int]>, _ scope: String, _ key: String, _ n: Int, at ms: Int) throws -> Int {
        try state.withScope(scope, at: BatchTime(milliseconds: ms), empty: { [:] }) { table in
            table[key, default: 0] += n
            return table[key]!
        }
    }

    @Test func sourceScopesKeepTheirKeysApartAndMoveThroughSnapshots() throws {
        let store = Store()
        store.snapshots.withLock { $0["p1"] = ["a": 5] }
        let state = KeyedState<String, [String: Int]>(snapshots: store.scopeSnapshots, intervalMs: 2000)
        // The same key in two scopes: p0 starts empty, p1 from its snapshot.
        #expect(try add(state, "p0", "a", 1, at: 1000) == 1)
        #expect(try add(state, "p1", "a", 1, at: 1000) == 6)
        #expect(try add(state, "p0", "a", 1, at: 2000) == 2)
        #expect(store.saves.withLock { $0 }.isEmpty)  // loaded at 1 s; not yet 2 s since
        // p0 is due at 3 s: saved after the update.
        try add(state, "p0", "b", 1, at: 3000)
        #expect(store.snapshots.withLock { $0["p0"] } == ["a": 2, "b": 1])
        // p1 revoked: saved with its current table and let go; taken again, it starts from that snapshot.
        state.release(keeping: ["p0"])
        #expect(state.scopeCount == 1)
        #expect(store.snapshots.withLock { $0["p1"] } == ["a": 6])
        store.snapshots.withLock { $0["p1"] = ["a": 100] }  // another process moved it on meanwhile
        #expect(try add(state, "p1", "a", 1, at: 4000) == 101)
        #expect(try add(state, "p0", "a", 1, at: 4000) == 3)
    }

    @Test func aStateTheCheckpointDidNotRestoreStartsAtTheRecoveryPoint() async throws {
        let dir = CheckpointTests.tempDir("keyed")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input: [[(String, Int)]] = (1...8).map { [("k", $0)] }
        let first = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = manualContext(parallelism: 2)
            ssc.queueStream(input).checkpoint(interval: .seconds(2)).foreachBatch { _, _ in }
            return ssc
        }
        try await first.start()
        try await first.advance(by: .seconds(5))
        await first.stop(graceful: false)  // checkpoint at 4 s; batch 5 runs again

        var totals: Collector<(String, Int)>?
        let second = try StreamingContext.getOrCreate(checkpoint: dir) {
            let ssc = manualContext(parallelism: 2)
            let source = ssc.queueStream(input).checkpoint(interval: .seconds(2))
            source.foreachBatch { _, _ in }
            // Not in the checkpoint: it starts empty, with the first batch after it (not with batch 1).
            totals = Collector(source.updateStateByKey { (vs: [Int], s: Int?) in (s ?? 0) + vs.reduce(0, +) }.named("added"))
            return ssc
        }
        try await second.start()
        try await second.advance(by: .seconds(2))
        await second.stop()
        let out = try #require(totals)
        #expect(out.times == [5000, 6000])
        #expect(out.results.map { dictionary($0) } == [["k": 5], ["k": 11]])
    }
}
