import Synchronization

/// What Spate reports about one batch, as Spark's `BatchInfo`.
public struct BatchInfo: Sendable, CustomStringConvertible {
    /// The batch's time.
    public let batchTime: BatchTime
    /// Records that entered the batch from every source.
    public let numRecords: Int
    /// Records per input stream, keyed by the input stream's id.
    public let streamIdToNumRecords: [Int: Int]
    /// Wall-clock milliseconds when the batch was submitted (generated).
    public let submissionTime: Int
    /// Wall-clock milliseconds when processing started, once it has.
    public let processingStartTime: Int?
    /// Wall-clock milliseconds when processing ended, once it has.
    public let processingEndTime: Int?
    /// Records that a user function threw on; they were dropped and the batch went on.
    public let failedRecords: Int
    /// The first few messages of those failures.
    public let recordErrors: [String]
    /// Output operations run for this batch, with their durations in milliseconds.
    public let outputOperations: [OutputOperationInfo]
    /// Records that arrived behind their stream's watermark (`withWatermark`): left out of the event-time
    /// operators and handed to the stream's `late` stream instead.
    public internal(set) var lateRecords: Int = 0
    /// The watermark after this batch, W(t+1) in milliseconds of event time, of each event-time stream
    /// (`withWatermark`), keyed by the stream's name: its `named(_:)` name, else `withWatermark#n`, the name
    /// `stateKeys` lists it under. A stream that has seen no record yet is absent. `batchTime` minus it is
    /// how far event time lags behind the batches (meaningful when records carry wall-clock times).
    public internal(set) var watermarks: [String: Int64] = [:]
    /// The state size of each event-time operator after this batch, by operator name (as `stateKeys`): the
    /// open windows of `countByKeyAndWindow`, `reduceByKeyAndWindow` and `combineByKeyAndWindow`, the open
    /// sessions of `reduceByKeyAndSession`, the buffered records (both sides) of `intervalJoin`. It stays
    /// bounded by what the watermark leaves open, however many records went through.
    public internal(set) var eventTimeState: [String: Int] = [:]
    /// Input records a source dropped because they could not be decoded (such as lines that are not valid
    /// UTF-8); the batch went on without them.
    public internal(set) var invalidRecords: Int = 0
    /// The rate bound, in records per second, each rate-limited input stream's batch was cut with, keyed by
    /// the input stream's id (backpressure's estimate capped by `maxRatePerSecond`). Streams without a bound
    /// are absent.
    public internal(set) var streamIdToRateLimit: [Int: Int] = [:]
    /// What each input stream says about its batch (Spark's `StreamInputInfo.metadata`), keyed by input
    /// stream id: a Kafka stream gives each partition's offset range and lag, for example.
    public internal(set) var streamIdToMetadata: [Int: [String: String]] = [:]
    /// Keys held by the stateful operators (updateStateByKey, mapWithState, incremental windows) after
    /// this batch, by operator name.
    public internal(set) var stateKeys: [String: Int] = [:]
    /// Keys the stateful operators removed in this batch because they expired (updateStateByKey's `timeout`,
    /// mapWithState's `StateSpec.timeout`, reduceByKeyAndWindow's `filter`), by operator name; operators that
    /// removed none are absent.
    public internal(set) var expiredStateKeys: [String: Int] = [:]

    /// The total rate bound of the batch's bounded input streams, in records per second; nil when no input
    /// stream was bounded.
    public var rateLimit: Int? {
        streamIdToRateLimit.isEmpty ? nil : streamIdToRateLimit.values.reduce(0) { $0 &+ $1 }
    }
    /// The time of the newest checkpoint written when this batch completed (nil without checkpointing).
    public internal(set) var lastCheckpointTime: BatchTime? = nil
    /// Time this batch spent on its own checkpoint (taking the state snapshot; the file is written in the
    /// background), when the batch was a checkpoint batch.
    public internal(set) var checkpointDuration: Duration? = nil
    /// Why the last checkpoint write failed (a full disk, no permission), naming the file; nil once a later
    /// checkpoint was written. The batches go on and the previous checkpoint stays in use.
    public internal(set) var checkpointFailure: CheckpointError? = nil
    /// Set on the first batch after the context recovered from a checkpoint: the checkpoint's batch time.
    public internal(set) var recoveredFrom: BatchTime? = nil

    /// How late the batch was generated after its time fell due on the system clock (the generator waited for
    /// room in the queue of batches, or for a slow cut); zero on the manual clock. Part of `schedulingDelay`.
    public internal(set) var generationDelay: Duration = .zero
    /// Time from the batch's due time to the start of processing (as Spark's): `generationDelay` plus the wait
    /// from submission to the start.
    public var schedulingDelay: Duration? {
        processingStartTime.map { .milliseconds($0 - submissionTime) + generationDelay }
    }
    /// Time spent running the batch's output operations.
    public var processingDelay: Duration? {
        guard let s = processingStartTime, let e = processingEndTime else { return nil }
        return .milliseconds(e - s)
    }
    /// Scheduling delay plus processing delay.
    public var totalDelay: Duration? {
        processingEndTime.map { .milliseconds($0 - submissionTime) + generationDelay }
    }

    public var description: String {
        let ms = { (d: Duration?) in d.map { "\($0.wholeMilliseconds) ms" } ?? "-" }
        return "batch \(batchTime): \(numRecords) records, scheduling delay \(ms(schedulingDelay)), "
            + "processing \(ms(processingDelay)), total \(ms(totalDelay))"
            + (failedRecords > 0 ? ", \(failedRecords) failed records" : "")
            + (invalidRecords > 0 ? ", \(invalidRecords) invalid input records" : "")
            + (lateRecords > 0 ? ", \(lateRecords) late records" : "")
            + watermarks.sorted { $0.key < $1.key }.map { ", watermark \($0.key) \($0.value) ms" }.joined()
            + (rateLimit.map { ", rate limit \($0) records/s" } ?? "")
    }
}

/// One output operation's run within a batch.
public struct OutputOperationInfo: Sendable {
    /// The output operation's id (its order of definition).
    public let id: Int
    /// Its name, such as `print` or `saveAsTextFiles`.
    public let name: String
    /// How long it ran.
    public let durationMilliseconds: Int
}

/// Receives the progress of a running context. Methods are called on the batch runner; keep them quick.
public protocol StreamingListener: AnyObject, Sendable {
    /// A batch was generated and queued.
    func batchSubmitted(_ info: BatchInfo)
    /// A batch began processing.
    func batchStarted(_ info: BatchInfo)
    /// A batch finished processing.
    func batchCompleted(_ info: BatchInfo)
}

extension StreamingListener {
    public func batchSubmitted(_ info: BatchInfo) {}
    public func batchStarted(_ info: BatchInfo) {}
    public func batchCompleted(_ info: BatchInfo) {}
}

/// The listeners of a context (Spark's StreamingListenerBus): the scheduler reports every batch to them.
/// Listeners may be added before or after `start()`; each report goes to those added by then.
final class StreamingListenerBus: Sendable {
    private let listeners = Mutex<[any StreamingListener]>([])

    func add(_ listener: any StreamingListener) { listeners.withLock { $0.append(listener) } }

    /// The listeners added so far, in order.
    var all: [any StreamingListener] { listeners.withLock { $0 } }

    /// Drops every listener (a listener may refer back to its context: a stopped context is freed).
    func removeAll() { listeners.withLock { $0 = [] } }
}
