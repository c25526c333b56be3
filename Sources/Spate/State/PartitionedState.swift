import Synchronization

/// The state of a keyed stateful operator, split by key hash (`HashPartitioner`): one dictionary per
/// partition, each behind its own lock, so the partitions of a batch update in parallel without contention.
///
/// `@usableFromInline` so that the stateful operators' per-batch step, built in `@inlinable` code for the
/// caller's types, can update the partitions in place.
@usableFromInline
final class PartitionedState<K: Hashable & Sendable, E: Sendable>: Sendable {
    @usableFromInline let partitioner: HashPartitioner
    private let slots: [Slot]

    private final class Slot: Sendable {
        let entries = Mutex<[K: E]>([:])
    }

    init(partitioner: HashPartitioner) {
        self.partitioner = partitioner
        self.slots = (0..<partitioner.partitions).map { _ in Slot() }
    }

    /// Number of partitions.
    @usableFromInline var count: Int { slots.count }

    /// Puts `entries` in their partitions (later duplicates of a key win).
    func seed(_ entries: [(K, E)]) {
        for (key, entry) in entries {
            slots[partitioner.partition(key)].entries.withLock { $0[key] = entry }
        }
    }

    /// Runs `body` with exclusive access to partition `j`'s entries.
    @usableFromInline func withPartition<R: Sendable>(_ j: Int, _ body: (inout [K: E]) -> R) -> R {
        slots[j].entries.withLock { body(&$0) }
    }

    /// Every key and entry, by partition.
    func snapshot() -> [[(K, E)]] {
        slots.map { slot in slot.entries.withLock { $0.map { ($0.key, $0.value) } } }
    }

    /// A copy of every partition's entries (copy-on-write: cheap until the next batch changes them).
    func capture() -> [[K: E]] {
        slots.map { slot in slot.entries.withLock { $0 } }
    }

    /// Replaces every entry (on recovery); keys are spread by this run's partitioner.
    func replaceAll(_ entries: [(K, E)]) {
        for slot in slots { slot.entries.withLock { $0.removeAll() } }
        seed(entries)
    }
}
