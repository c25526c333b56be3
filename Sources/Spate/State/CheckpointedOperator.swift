import Foundation
import Synchronization

/// A stateful operator whose state goes into checkpoints.
protocol CheckpointedOperator: AnyObject, Sendable {
    /// The name the state is stored under: the stream's `named(_:)` name, or `<operator>#<n>`.
    var checkpointName: String { get }
    /// The operator and its types; a checkpoint of another kind under the same name cannot be restored.
    var kind: String { get }
    /// Whether the key and state types are Codable (checked when checkpointing is enabled).
    var isCodable: Bool { get }
    /// Copies the state on the batch loop (cheap: copy-on-write); the returned closure encodes it later.
    func snapshot() -> @Sendable () throws -> OperatorCheckpoint
    /// Replaces the state with a checkpointed one.
    func restore(_ checkpoint: OperatorCheckpoint) throws
    /// How many keys the state holds now.
    var keyCount: Int { get }
    /// How many keys expired (a timeout, a time to live, a window's filter) since the last call.
    func takeExpiredKeys() -> Int
    /// The watermark after the last batch, for a `withWatermark` node (nil for other operators, and before
    /// the stream's first record).
    var watermark: Int64? { get }
    /// The open windows, open sessions or buffered records an event-time operator holds now (nil for other
    /// operators).
    var openEventTimeEntries: Int? { get }
}

extension CheckpointedOperator {
    /// No keys expire by default.
    func takeExpiredKeys() -> Int { 0 }
    /// No watermark by default.
    var watermark: Int64? { nil }
    /// Not an event-time operator by default.
    var openEventTimeEntries: Int? { nil }
}

/// The checkpoint participant of a hash-scoped `KeyedState` of `[K: E]` tables: its state is a set of
/// `(key, entry)` pairs (spread over hash partitions at run time, so the partition count may change between
/// runs) and the time of the last batch applied.
final class KeyedStateCheckpoint<K: Hashable & Sendable, E: Sendable>: CheckpointedOperator {
    let kind: String
    private let defaultName: String
    private let node: NodeName
    private let state: KeyedState<Int, [K: E]>
    private let partitioner: HashPartitioner
    private let openEntries: (@Sendable ([K: E]) -> Int)?

    init(
        kind: String, defaultName: String, node: NodeName, state: KeyedState<Int, [K: E]>, partitioner: HashPartitioner,
        openEntries: (@Sendable ([K: E]) -> Int)? = nil
    ) {
        self.kind = kind
        self.defaultName = defaultName
        self.node = node
        self.state = state
        self.partitioner = partitioner
        self.openEntries = openEntries
    }

    private func capture() -> (lastMs: Int?, entries: [[K: E]]) { (state.progress.lastAppliedMs, state.tables()) }

    private func apply(_ lastMs: Int?, _ entries: [(K, E)]) {
        state.replaceAll(entries, by: partitioner)
        state.progress.restore(lastMs: lastMs)
    }

    var checkpointName: String { node.name ?? defaultName }

    var isCodable: Bool { DynamicCodable.isCodable(K.self) && DynamicCodable.isCodable(E.self) }

    var keyCount: Int { capture().entries.reduce(0) { $0 + $1.count } }

    func takeExpiredKeys() -> Int { state.takeExpired() }

    var openEventTimeEntries: Int? { openEntries.map { size in state.tables().reduce(0) { $0 + size($1) } } }

    func snapshot() -> @Sendable () throws -> OperatorCheckpoint {
        let (lastMs, parts) = capture()
        let name = checkpointName, kind = self.kind
        return {
            var keys: [K] = [], values: [E] = []
            let total = parts.reduce(0) { $0 + $1.count }
            keys.reserveCapacity(total)
            values.reserveCapacity(total)
            for part in parts {
                for (k, e) in part { keys.append(k); values.append(e) }
            }
            return OperatorCheckpoint(
                kind: kind, lastMs: lastMs,
                keys: try DynamicCodable.encode(keys, operatorName: name),
                values: try DynamicCodable.encode(values, operatorName: name), extra: nil)
        }
    }

    func restore(_ checkpoint: OperatorCheckpoint) throws {
        let name = checkpointName
        guard checkpoint.kind == kind else {
            throw CheckpointError.operatorKindChanged(name: name, programKind: kind, checkpointKind: checkpoint.kind)
        }
        let keys = try DynamicCodable.decode([K].self, from: checkpoint.keys, operatorName: name)
        let values = try DynamicCodable.decode([E].self, from: checkpoint.values, operatorName: name)
        guard keys.count == values.count else {
            throw CheckpointError.unreadableState(operatorName: name, reason: "\(keys.count) keys but \(values.count) values")
        }
        apply(checkpoint.lastMs, Array(zip(keys, values)))
    }
}

/// The user-given name of a stream, read when checkpoints are written (`DStream.named(_:)` may come after
/// the operator was defined).
final class NodeName: Sendable {
    private let value = Mutex<String?>(nil)
    var name: String? { value.withLock { $0 } }
    func set(_ name: String) { value.withLock { $0 = name } }
}

extension StreamingContext {
    /// Registers a stateful operator for checkpoints; returns its default name (`<operator>#<n>`).
    func addCheckpointed(operatorName: String, _ make: (String) -> any CheckpointedOperator) {
        graph.addCheckpointed(operatorName: operatorName, make)
    }
}
