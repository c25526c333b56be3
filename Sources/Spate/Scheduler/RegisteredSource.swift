/// How the scheduler drives one input source.
struct SourceHooks: Sendable {
    /// Starts receiving (bind, connect, open); throws a clear error when the source cannot start.
    var start: @Sendable () async throws -> Void = {}
    /// Stops receiving. `graceful`: keep what was received so the final batches still process it.
    var stop: @Sendable (_ graceful: Bool) async -> Void = { _ in }
    /// Whether received data waits for a batch.
    var hasPendingData: @Sendable () -> Bool = { false }
    /// Input records dropped as undecodable (invalid UTF-8, ...) in the batch just cut; called right after
    /// the source's `cut` and summed into `BatchInfo.invalidRecords`. Returns the count and resets it.
    var takeInvalidCount: @Sendable () -> Int = { 0 }
    /// What the source reports about the batch it just cut (BatchInfo.streamIdToMetadata).
    var takeMetadata: @Sendable () -> [String: String] = { [:] }
}

/// An input source on the graph: `prepare` cuts the source's batch for a time and stores it in its DStream.
struct RegisteredSource: Sendable {
    let id: Int
    let name: String
    let hooks: SourceHooks
    /// Cuts and stores the batch for `time`; returns its record count.
    let prepare: @Sendable (BatchTime) async -> Int
}

/// The checkpoint side of an input source on the graph (see `SourceRecorder`).
struct RecoverableSourceHandle: Sendable {
    let name: String
    /// Takes the source's position and the descriptors of batches at or after `keepFromMs` at once; the
    /// closure it returns encodes them for the checkpoint file (run by the checkpoint writer).
    let checkpoint: @Sendable (_ keepFromMs: Int) -> @Sendable () throws -> SourceCheckpoint
    /// Restores the position, rebuilds completed batches (history for windows) at once, and schedules the
    /// pending ones to be rebuilt when their time is generated again.
    let restore: @Sendable (_ checkpoint: SourceCheckpoint, _ completedMs: Int) async throws -> Void
    /// Called after a checkpoint with this source's part was written.
    let written: @Sendable (_ checkpoint: SourceCheckpoint) -> Void
}
