import Synchronization

/// The state of one stateful operator, split in scopes: the building block of updateStateByKey, mapWithState,
/// the incremental windows and SpateKafka's partition state (and of event-time windows, sessions and join
/// buffers: a scope's `Table` is whatever the operator keeps, and its per-batch step decides what a batch does
/// to it).
///
/// Each scope's table sits behind its own lock, so the scopes of a batch update in parallel and in place
/// (a table is never copied per batch). Two layouts:
/// - **hash scopes** (`init(partitions:empty:)`, `Scope == Int`): scope `j` holds the keys a `HashPartitioner`
///   sends to partition `j`; the tables exist from the start, and the state goes into checkpoints
///   (`checkpointed(...)`) as `(key, entry)` pairs, so the partition count may change between runs;
/// - **source scopes** (`init(snapshots:intervalMs:)`): one scope per partition of a source (a Kafka
///   topic-partition), so the keys of one source partition stay apart. A scope is loaded from its snapshot
///   when a batch first brings it, saved every `intervalMs` of batch time and when it is released, and so
///   moves between processes with its source partition.
///
/// `progress` says which batch time the state was brought to; `stream(...)` (KeyedStateStream.swift) applies
/// every parent batch exactly once and in order through it, whoever asks.
@usableFromInline
package final class KeyedState<Scope: Hashable & Sendable, Table: Sendable>: Sendable {
    /// One scope's table and when it was last saved.
    private struct Entry: Sendable {
        var table: Table
        var savedMs: Int
    }

    private final class Slot: Sendable {
        let entry: Mutex<Entry>
        init(_ entry: Entry) { self.entry = Mutex(entry) }
    }

    private let slots: Mutex<[Scope: Slot]>
    private let snapshots: ScopeSnapshots<Scope, Table>?
    private let intervalMs: Int
    /// The last batch time applied to the state.
    let progress = CatchUp()
    /// Keys removed because their time to live ran out, since `BatchInfo` last reported them.
    private let expiredKeys = Atomic<Int>(0)

    /// Hash scopes `0..<partitions`, each starting as `empty`.
    init(partitions: Int, empty: Table) where Scope == Int {
        var slots: [Int: Slot] = [:]
        for j in 0..<partitions { slots[j] = Slot(Entry(table: empty, savedMs: 0)) }
        self.slots = Mutex(slots)
        self.snapshots = nil
        self.intervalMs = 0
    }

    /// Source scopes, created on first use from `snapshots` and saved to them every `intervalMs` of batch
    /// time and on `release(keeping:)`.
    package init(snapshots: ScopeSnapshots<Scope, Table>, intervalMs: Int) {
        self.slots = Mutex([:])
        self.snapshots = snapshots
        self.intervalMs = intervalMs
    }

    /// Counts `count` keys removed because they expired (a TTL, a timeout, a window filter).
    @usableFromInline
    package func recordExpired(_ count: Int) {
        if count > 0 { expiredKeys.add(count, ordering: .relaxed) }
    }

    /// The keys expired since the last call (what the batch just completed reports).
    func takeExpired() -> Int { expiredKeys.exchange(0, ordering: .relaxed) }

    /// The number of scopes held now.
    var scopeCount: Int { slots.withLock { $0.count } }

    /// Runs `body` with exclusive access to hash partition `j`'s table, in place.
    @usableFromInline
    func withPartition<R>(_ j: Int, _ body: (inout Table) throws -> R) rethrows -> R where Scope == Int {
        let slot = slots.withLock { $0[j] }!
        return try slot.entry.withLock { try body(&$0.table) }
    }

    /// Runs `body` with exclusive access to `scope`'s table, in place. A scope not held yet is loaded from its
    /// snapshot, or starts as `empty()` when it has none; after `body` the table is saved when its last save
    /// is `intervalMs` or more before `time`.
    package func withScope<R>(
        _ scope: Scope, at time: BatchTime, empty: () -> Table, _ body: (inout Table) throws -> R
    ) throws -> R {
        let ms = time.milliseconds
        let held = slots.withLock { $0[scope] }
        let slot: Slot
        if let held {
            slot = held
        } else {
            let table = try snapshots?.load(scope) ?? empty()
            slot = Slot(Entry(table: table, savedMs: ms))
            slots.withLock { $0[scope] = slot }
        }
        return try slot.entry.withLock { entry in
            let result = try body(&entry.table)
            if let snapshots, ms - entry.savedMs >= intervalMs {
                snapshots.save(scope, entry.table)
                entry.savedMs = ms
            }
            return result
        }
    }

    /// Saves every scope not in `kept` to its snapshot and lets it go (a source partition revoked from this
    /// process: its next owner starts from the snapshot).
    package func release(keeping kept: Set<Scope>) {
        let released = slots.withLock { slots in
            let gone = slots.filter { !kept.contains($0.key) }
            for scope in gone.keys { slots[scope] = nil }
            return gone
        }
        for (scope, slot) in released {
            let table = slot.entry.withLock { $0.table }
            snapshots?.save(scope, table)
        }
    }

    /// Every hash partition's table, in partition order (copy-on-write: cheap until the next batch changes them).
    func tables() -> [Table] where Scope == Int {
        let held = slots.withLock { $0 }
        return (0..<held.count).map { j in held[j]!.entry.withLock { $0.table } }
    }

    /// Replaces hash partition `j`'s table.
    func replace(_ j: Int, with table: Table) where Scope == Int {
        withPartition(j) { $0 = table }
    }
}

/// Where a source-scoped `KeyedState` keeps its scopes between processes: one snapshot per scope.
package struct ScopeSnapshots<Scope: Sendable, Table: Sendable>: Sendable {
    /// The scope's last snapshot; nil when it has none. Throws when one exists but cannot be read.
    let load: @Sendable (Scope) throws -> Table?
    /// Writes the scope's snapshot. A failure is reported by the store and leaves the previous snapshot,
    /// which is consistent: a later owner replays more from it.
    let save: @Sendable (Scope, Table) -> Void

    package init(load: @escaping @Sendable (Scope) throws -> Table?, save: @escaping @Sendable (Scope, Table) -> Void) {
        self.load = load
        self.save = save
    }
}

extension KeyedState where Scope == Int {
    /// Puts `entries` into their hash partitions (later duplicates of a key win).
    func seed<K: Hashable, E>(_ entries: [(K, E)], by partitioner: HashPartitioner) where Table == [K: E] {
        for (key, entry) in entries {
            withPartition(partitioner.partition(key)) { $0[key] = entry }
        }
    }

    /// Replaces every entry (on recovery); keys are spread by this run's partitioner.
    func replaceAll<K: Hashable, E>(_ entries: [(K, E)], by partitioner: HashPartitioner) where Table == [K: E] {
        for j in 0..<scopeCount { replace(j, with: [:]) }
        seed(entries, by: partitioner)
    }
}

/// A key's entry in a keyed state whose keys expire: its value and the batch time of its last write, the
/// clock of its time to live (Flink's `StateTtlConfig` with `OnCreateAndWrite`, in batch time as Spark's
/// `StateSpec.timeout`). Checkpoints keep the clock with the value, so a recovered key expires when it would
/// have in an uninterrupted run.
@usableFromInline
struct TimedEntry<S: Sendable>: Sendable {
    /// The key's state.
    @usableFromInline var state: S
    /// The batch time of the key's last write, in milliseconds.
    @usableFromInline var updatedMs: Int

    @inlinable init(state: S, updatedMs: Int) { (self.state, self.updatedMs) = (state, updatedMs) }
}

extension TimedEntry: Codable where S: Codable {}

/// How long, in batch time, a key of a keyed state lives without a write: the eviction every keyed operator
/// shares (updateStateByKey's and mapWithState's `timeout`, and next event-time windows and sessions).
@usableFromInline
struct StateTTL: Sendable {
    /// The time to live in milliseconds (positive).
    @usableFromInline let milliseconds: Int

    /// Whether an entry last written at `updatedMs` has expired at batch time `timeMs`: it went at least the
    /// time to live without a write.
    @inlinable func isExpired(_ updatedMs: Int, at timeMs: Int) -> Bool { updatedMs <= timeMs - milliseconds }

    /// The time to live `duration` of `operation`; nil without one. A duration below 1 ms is a definition error
    /// of `context` (thrown by `start()`), and then no time to live.
    @usableFromInline
    static func of(_ duration: Duration?, operation: String, in context: StreamingContext) -> StateTTL? {
        guard let duration else { return nil }
        let ms = duration.wholeMilliseconds
        guard ms > 0 else {
            context.recordDefinitionError(.invalidTimeout(operation: operation, timeout: duration))
            return nil
        }
        return StateTTL(milliseconds: ms)
    }
}
