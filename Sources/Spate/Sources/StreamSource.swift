/// An input source: what every stream of a context starts from (queues, rate generators, sockets, text files,
/// receivers, Kafka, or a source of your own), and how a checkpoint rebuilds its batches after a crash.
///
/// At each batch time the context asks the source to `cut` the batch: the records that make it, split into
/// partitions, and a `Descriptor` that says how to read exactly those records again (an offset range, a list
/// of files, a range of sequence numbers). The source's `position` says where the next cut starts. A
/// checkpoint stores the position and the descriptors of the batches that are still needed (pending ones,
/// and the history that windows read); after `StreamingContext.getOrCreate` the context calls
/// `restore(position:)` and rebuilds those batches with `replay(_:at:)`, so a recovered program computes
/// what an uninterrupted one does. Descriptors and positions are `Codable`: the checkpoint keeps them as
/// encoded bytes, so keep their encoding stable across versions of your program.
///
/// This is the shape of Spark's `Source` (`getOffset`, `getBatch(start, end)`) and of Flink's `Source`
/// (splits and enumerator state): the source, not a receiver task, owns the position.
///
/// Cuts and replays are `async`: a source that calls a blocking client library (a broker's fetch, a database
/// round trip) runs the call on a thread of its own, never on Swift's cooperative pool, which the batch timer
/// and every output share.
/// ```swift
/// final class Numbers: StreamSource {
///     let next = Mutex(0)
///     var name: String { "numbers" }
///     func cut(at time: BatchTime, limit: Int?) async -> SourceBatch<Int, Range<Int>> {
///         let range = next.withLock { n in defer { n += 10 }; return n..<(n + 10) }
///         return SourceBatch(partitions: [Array(range)], descriptor: range)
///     }
///     func replay(_ range: Range<Int>, at time: BatchTime) async throws -> [[Int]] { [Array(range)] }
///     var position: Int { next.withLock { $0 } }
///     func restore(position: Int) async throws { next.withLock { $0 = position } }
/// }
/// let numbers = ssc.inputStream(Numbers())
/// ```
public protocol StreamSource: Sendable {
    /// The records the source produces.
    associatedtype Element: Sendable
    /// How one batch is read again after a crash (an offset range, a file list, ...).
    associatedtype Descriptor: Codable & Sendable
    /// Where the next cut starts (the next offset of each partition, the files already read, ...).
    associatedtype Position: Codable & Sendable

    /// The source's name in logs, the dashboard and checkpoints: a checkpoint matches a source of the rebuilt
    /// program by this name (a second source of the same name gets `name#2`, and so on, by definition order).
    var name: String { get }

    /// Whether `cut` honours its `limit`: then the context bounds the source by backpressure and
    /// `BackpressureConfiguration.maxRatePerSecond`, and reports the bound in `BatchInfo.streamIdToRateLimit`.
    /// Default: false (the limit is always nil).
    var isRateLimited: Bool { get }

    /// Connects (bind, open, find partitions) at `StreamingContext.start()`, after any `restore(position:)`.
    /// Throw `SpateError.sourceFailed` with a reason that says what to change; `start()` rethrows it.
    func start() async throws

    /// Stops the source. `graceful`: keep what was already received, so the final batches still take it
    /// (`hasPendingData` says whether one more batch is needed).
    func stop(graceful: Bool) async

    /// Cuts the batch for `time`: at most `limit` records when the limit is not nil (the rest waits for
    /// later batches, nothing is dropped). Called once per batch time, one cut at a time.
    ///
    /// A cut does not throw: a source that cannot read (a broker is down) returns what it has, usually an
    /// empty batch at an unchanged position, and reports the problem in its log and `SourceBatch.metadata`.
    func cut(at time: BatchTime, limit: Int?) async -> SourceBatch<Element, Descriptor>

    /// Reads again the batch a `cut` described with `descriptor` (called on recovery, also before `start()`
    /// for the history windows need). Throws when the records cannot be read any more; the batch is then
    /// empty and the error is logged.
    func replay(_ descriptor: Descriptor, at time: BatchTime) async throws -> [[Element]]

    /// Where the next cut starts. Read right after each cut, under the lock that also records the cut's
    /// descriptor; it must be quick (no I/O).
    var position: Position { get }

    /// Continues from a checkpointed position; called before `start()`, only when a checkpoint holds one.
    func restore(position: Position) async throws

    /// Whether records wait for a batch: a graceful stop generates one more batch while it is true.
    /// Default: false.
    var hasPendingData: Bool { get }

    /// Called once a checkpoint holding `position` and `descriptors` (every batch it still needs) is safely
    /// on disk: a source that keeps data for replays (a write-ahead log) drops what none of them needs.
    /// Default: nothing.
    func checkpointWritten(position: Position, descriptors: [Descriptor])
}

extension StreamSource {
    /// Not rate-limited by default.
    public var isRateLimited: Bool { false }
    /// Nothing to connect by default.
    public func start() async throws {}
    /// Nothing to release by default.
    public func stop(graceful: Bool) async {}
    /// Nothing buffered by default.
    public var hasPendingData: Bool { false }
    /// Nothing to drop by default.
    public func checkpointWritten(position: Position, descriptors: [Descriptor]) {}
}

/// One batch cut by a `StreamSource`: its records by partition, how to read them again, and what the source
/// reports about it.
public struct SourceBatch<Element: Sendable, Descriptor: Codable & Sendable>: Sendable {
    /// The records, one array per partition (the stream's partitions for this batch).
    public var partitions: [[Element]]
    /// How `replay(_:at:)` reads exactly these records again.
    public var descriptor: Descriptor
    /// Input records dropped as unreadable (invalid UTF-8, undecodable), summed into `BatchInfo.invalidRecords`.
    public var invalidRecords: Int
    /// What the source tells about the batch (ranges, lag), shown as `BatchInfo.streamIdToMetadata`.
    public var metadata: [String: String]

    /// A batch of `partitions` described by `descriptor`.
    public init(
        partitions: [[Element]], descriptor: Descriptor, invalidRecords: Int = 0, metadata: [String: String] = [:]
    ) {
        self.partitions = partitions
        self.descriptor = descriptor
        self.invalidRecords = invalidRecords
        self.metadata = metadata
    }
}
