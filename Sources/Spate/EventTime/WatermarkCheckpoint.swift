/// The checkpoint participant of a `withWatermark` node: its `WatermarkClock` (the watermark in force and
/// every source partition's clock) and the last batch time applied.
///
/// Written as kind `withWatermark<partitions>`: keys the partitions, values their clocks, extra the
/// watermark. A checkpoint of the earlier single-watermark node (kind `withWatermark<Int64>`: one entry, the
/// largest event time seen) is read too: its watermark (that time - delay) is kept, and the partitions
/// start their clocks afresh, so the watermark neither moves back nor skips ahead.
final class WatermarkCheckpoint: CheckpointedOperator {
    /// The kind written.
    static let kind = "withWatermark<partitions>"
    /// The kind of the single-watermark node's checkpoints, before per-partition watermarks.
    static let legacyKind = "withWatermark<Int64>"

    private let defaultName: String
    private let node: NodeName
    private let state: KeyedState<Int, WatermarkClock>
    private let delayMs: Int64

    init(defaultName: String, node: NodeName, state: KeyedState<Int, WatermarkClock>, delayMs: Int64) {
        self.defaultName = defaultName
        self.node = node
        self.state = state
        self.delayMs = delayMs
    }

    var kind: String { Self.kind }
    var checkpointName: String { node.name ?? defaultName }
    var isCodable: Bool { true }
    var keyCount: Int { state.withPartition(0) { $0.partitions.count } }
    /// The watermark in force for the next batch (also right after a recovery, from the checkpoint).
    var watermark: Int64? { state.withPartition(0) { $0.watermark } }

    func snapshot() -> @Sendable () throws -> OperatorCheckpoint {
        let clock = state.withPartition(0) { $0 }
        let lastMs = state.progress.lastAppliedMs, name = checkpointName
        return {
            let ordered = clock.partitions.sorted { $0.key < $1.key }
            return OperatorCheckpoint(
                kind: Self.kind, lastMs: lastMs,
                keys: try DynamicCodable.encode(ordered.map(\.key), operatorName: name),
                values: try DynamicCodable.encode(ordered.map(\.value), operatorName: name),
                extra: try DynamicCodable.encode([clock.watermark], operatorName: name))
        }
    }

    func restore(_ checkpoint: OperatorCheckpoint) throws {
        let name = checkpointName
        var clock = WatermarkClock()
        switch checkpoint.kind {
        case Self.kind:
            let keys = try DynamicCodable.decode([SourcePartition].self, from: checkpoint.keys, operatorName: name)
            let values = try DynamicCodable.decode(
                [WatermarkClock.Partition].self, from: checkpoint.values, operatorName: name)
            guard keys.count == values.count, let extra = checkpoint.extra else {
                throw CheckpointError.unreadableState(
                    operatorName: name, reason: "\(keys.count) partitions but \(values.count) clocks, or no watermark")
            }
            let watermark = try DynamicCodable.decode([Int64?].self, from: extra, operatorName: name)
            guard watermark.count == 1 else {
                throw CheckpointError.unreadableState(
                    operatorName: name, reason: "\(watermark.count) watermarks, not 1")
            }
            clock.watermark = watermark[0]
            clock.partitions = Dictionary(zip(keys, values)) { a, _ in a }
        case Self.legacyKind:
            let newest = try DynamicCodable.decode([Int64].self, from: checkpoint.values, operatorName: name)
            clock.watermark = newest.max().map { EventTimeMath.subtract($0, delayMs) }
        default:
            throw CheckpointError.operatorKindChanged(
                name: name, programKind: Self.kind, checkpointKind: checkpoint.kind)
        }
        state.withPartition(0) { $0 = clock }
        state.progress.restore(lastMs: checkpoint.lastMs)
    }
}
