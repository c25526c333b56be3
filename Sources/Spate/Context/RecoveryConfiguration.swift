import Synchronization

/// What the context does when a batch recovered from a checkpoint (a pending one, or history a window reads)
/// cannot be rebuilt by its source: a write-ahead log segment is gone, a Kafka range is past retention, the
/// broker is still down at restart.
///
/// By default a lost batch never passes silently: the rebuild is retried with backoff while the cause may be
/// transient (each attempt is logged), then the batch fails and the context stops with
/// `SpateError.recoveredBatchLost`, which names the batch time, the source and the fix; the checkpoint stays,
/// so the next start tries again. Causes that time cannot change (the log lacks the records, a queue lacks
/// the batch) are not retried. With `acceptLostBatches`, the batch runs without the source's records instead,
/// reported in `BatchInfo.lostInputStreams` and counted in the `spate_lost_batches_total` metric.
/// ```swift
/// ssc.recovery(RecoveryConfiguration(replayAttempts: 20, acceptLostBatches: false))
/// ```
public struct RecoveryConfiguration: Sendable, Equatable {
    /// Attempts to rebuild a batch before it counts as lost (1: no retry). Default 8 (about 35 s in all).
    public var replayAttempts: Int
    /// The delay after the first failed attempt; it doubles after each one, up to `maximumReplayDelay`.
    public var firstReplayDelay: Duration
    /// The longest delay between two attempts.
    public var maximumReplayDelay: Duration
    /// Run a batch that cannot be rebuilt without its records (counted and reported) instead of stopping.
    public var acceptLostBatches: Bool

    /// The settings; the defaults retry for about 35 s and then stop the context.
    public init(
        replayAttempts: Int = 8, firstReplayDelay: Duration = .milliseconds(500),
        maximumReplayDelay: Duration = .seconds(10), acceptLostBatches: Bool = false
    ) {
        self.replayAttempts = Swift.max(1, replayAttempts)
        self.firstReplayDelay = Swift.max(.zero, firstReplayDelay)
        self.maximumReplayDelay = Swift.max(self.firstReplayDelay, maximumReplayDelay)
        self.acceptLostBatches = acceptLostBatches
    }

    /// Whether `error` says the records are gone for good, so retrying cannot help.
    static func isPermanent(_ error: any Error) -> Bool {
        if let final = error as? any FinalReplayError, final.isFinal { return true }
        switch error as? SpateError {
        case .writeAheadLogRecordsMissing?, .queueBatchesMissing?: return true
        default: return false
        }
    }
}

extension StreamingContext {
    /// Sets what happens when a recovered batch cannot be rebuilt (see `RecoveryConfiguration`). Call it
    /// before `start()`, in `getOrCreate`'s `create` closure or after it; a call after `start()` has no effect
    /// and is reported by `awaitTermination()`.
    public func recovery(_ configuration: RecoveryConfiguration) {
        state.withLock { s in
            guard s.phase == .initialized else {
                graph.recordDefinitionError(.configuredAfterStart("recovery(_:)"))
                return
            }
            recoverySettings.withLock { $0 = configuration }
        }
    }
}

extension BatchInfo {
    /// The input streams (by id) whose recovered batch could not be rebuilt and ran empty, with
    /// `RecoveryConfiguration.acceptLostBatches`; `streamIdToMetadata[id]?[lostBatchKey]` says why.
    public var lostInputStreams: [Int] {
        streamIdToMetadata.filter { $0.value[Self.lostBatchKey] != nil }.keys.sorted()
    }

    /// The metadata key under which a source's lost batch is reported, with the error.
    public static let lostBatchKey = "spate.lostBatch"
}

/// An error a `StreamSource`'s `replay` throws after retrying on its own (SpateKafka's replay waits for the
/// broker for `replayTimeout`): when `isFinal`, the engine does not retry the batch again (the waits would
/// multiply) but fails it at once with `SpateError.recoveredBatchLost`, or runs it empty with
/// `acceptLostBatches`.
public protocol FinalReplayError: Error {
    /// Whether retrying the replay cannot help: the source already waited, or the data is gone.
    var isFinal: Bool { get }
}
