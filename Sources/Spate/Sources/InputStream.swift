import Foundation
import Logging
import Metrics
import Synchronization

extension StreamingContext {
    /// The stream of the batches `source` cuts: one batch per batch interval, checkpointed and recovered
    /// through the source's descriptors and position (see `StreamSource`). Every built-in source
    /// (`queueStream`, `rateStream`, `socketTextStream`, `textFileStream`, `receiverStream`, Kafka's
    /// `kafkaStream`) is a `StreamSource` made into a stream by this call.
    /// ```swift
    /// let numbers = ssc.inputStream(Numbers())
    /// ```
    public func inputStream<S: StreamSource>(_ source: S) -> DStream<S.Element> {
        inputStream(source, rateLimiter: source.isRateLimited ? SourceRateLimiter() : nil)
    }

    /// `inputStream(_:)` with the rate limiter the source's own push side waits on (receivers pause while the
    /// batches cannot take what they buffered), or nil for a source that is not rate-limited.
    func inputStream<S: StreamSource>(_ source: S, rateLimiter: SourceRateLimiter?) -> DStream<S.Element> {
        recordedInputStream(source, rateLimiter: rateLimiter).stream
    }

    /// `inputStream(_:rateLimiter:)` with the recorder that drives the source (tests drive it directly).
    func recordedInputStream<S: StreamSource>(
        _ source: S, rateLimiter: SourceRateLimiter?
    ) -> (stream: DStream<S.Element>, recorder: SourceRecorder<S>) {
        let lost = LostBatches()
        let stream = DStream<S.Element>(context: self, name: source.name, parents: [], slideMs: batchIntervalMs,
                                        alwaysCache: true) { time, _ in
            // Every batch the source cut is in the cache; a recovered one that could not be rebuilt fails.
            if let error = lost.error(at: time) { throw error }
            return .empty
        }
        let recorder = SourceRecorder(
            source: source, stream: stream, limiter: rateLimiter, logger: logger, intervalMs: batchIntervalMs,
            lost: lost, checkpointing: { [weak self] in self?.checkpointDirectory != nil },
            readsHistory: { [weak self, id = stream.id] in self?.graph.readsHistory(of: id) ?? true },
            configuration: { [weak self] in self?.recoverySettings.withLock { $0 } ?? RecoveryConfiguration() })
        add(source: RegisteredSource(id: stream.id, name: source.name, hooks: recorder.hooks) { time in
            await recorder.prepare(time)
        })
        if let rateLimiter { rateControl.register(rateLimiter, sourceId: stream.id) }
        graph.addRecoverableSource(named: source.name) { recorder.handle(key: $0) }
        return (stream, recorder)
    }
}

/// Drives one `StreamSource` for the scheduler and the checkpointer: cuts (or, after recovery, replays) the
/// batch of each time into the source's stream, and records what a checkpoint needs of it.
final class SourceRecorder<S: StreamSource>: Sendable {
    let source: S
    let stream: DStream<S.Element>
    let limiter: SourceRateLimiter?
    let logger: Logger
    let intervalMs: Int
    private let recorded = Mutex(Recorded())
    /// The recovered batches that could not be rebuilt, which the stream fails instead of running empty.
    private let lost: LostBatches
    /// Whether the context checkpoints: then descriptors stay until a checkpoint no longer needs them.
    private let checkpointing: @Sendable () -> Bool
    /// Whether an operator downstream reads the source's past batches (a window).
    private let readsHistory: @Sendable () -> Bool
    private let configuration: @Sendable () -> RecoveryConfiguration
    private let lostCounter = Counter(label: "spate_lost_batches_total")

    /// What a checkpoint may record of the source, kept together under one lock: the descriptors of the
    /// batches cut (or rebuilt) so far, the recovered batches still to be rebuilt, and the source's position
    /// right after the last recorded cut. A checkpoint taken while a cut is under way must not see the cut's
    /// new position without its descriptor: recovery would then cut that batch again from past its records
    /// and find it empty. Also what the last cut reported, until the scheduler takes it.
    private struct Recorded: Sendable {
        var descriptors: [Int: S.Descriptor] = [:]
        var replays: [Int: S.Descriptor] = [:]
        var position: S.Position?
        var invalid = 0
        var metadata: [String: String] = [:]
    }

    init(
        source: S, stream: DStream<S.Element>, limiter: SourceRateLimiter?, logger: Logger, intervalMs: Int,
        lost: LostBatches = LostBatches(), checkpointing: @escaping @Sendable () -> Bool = { true },
        readsHistory: @escaping @Sendable () -> Bool = { true },
        configuration: @escaping @Sendable () -> RecoveryConfiguration = { RecoveryConfiguration() }
    ) {
        self.lost = lost
        self.checkpointing = checkpointing
        self.readsHistory = readsHistory
        self.configuration = configuration
        self.source = source
        self.stream = stream
        self.limiter = limiter
        var logger = logger
        logger[metadataKey: "source"] = "\(source.name)"
        self.logger = logger
        self.intervalMs = intervalMs
    }

    var hooks: SourceHooks {
        SourceHooks(
            start: { [source] in try await source.start() },
            stop: { [source, limiter] graceful in
                // The final batch of a graceful stop takes every record still buffered, whatever the bound.
                if graceful { limiter?.release() }
                await source.stop(graceful: graceful)
            },
            hasPendingData: { [source] in source.hasPendingData },
            takeInvalidCount: { [self] in
                recorded.withLock { r in
                    defer { r.invalid = 0 }
                    return r.invalid
                }
            },
            takeMetadata: { [self] in
                recorded.withLock { r in
                    defer { r.metadata = [:] }
                    return r.metadata
                }
            })
    }

    /// Cuts (or rebuilds, for a recovered pending batch) the batch for `time`, stores it in the stream and
    /// returns its record count.
    func prepare(_ time: BatchTime) async -> Int {
        let ms = time.milliseconds
        let parts: [[S.Element]]
        let descriptor: S.Descriptor
        var invalid = 0, metadata: [String: String] = [:]
        var rebuilt = true
        if let d = recorded.withLock({ $0.replays[ms] }) {
            do {
                parts = try await rebuild(d, at: time)
            } catch {
                parts = []
                rebuilt = lostBatch(error, at: time, metadata: &metadata)
            }
            descriptor = d
        } else {
            let batch = await source.cut(at: time, limit: limiter?.allowance())
            (parts, descriptor, invalid, metadata) = (batch.partitions, batch.descriptor, batch.invalidRecords, batch.metadata)
        }
        // With checkpoints, a descriptor stays until a checkpoint no longer needs it (`checkpoint(keepFromMs:)`):
        // the generator may run many batches ahead of the one completed, and a pending batch's descriptor must
        // reach the checkpoint. Without, none is ever read: keep only the last few.
        let keep = checkpointing() ? Int.min : ms - stream.rememberMs - 2 * intervalMs
        let position = source.position
        recorded.withLock { r in
            r.replays[ms] = nil
            r.descriptors[ms] = descriptor
            r.position = position
            // Collect the old keys first: removing while iterating `keys` would copy the whole dictionary.
            for key in r.descriptors.keys.filter({ $0 < keep }) { r.descriptors[key] = nil }
            r.invalid += invalid
            if !metadata.isEmpty { r.metadata = metadata }
        }
        if rebuilt { stream.put(parts, at: time) }
        return parts.reduce(0) { $0 + $1.count }
    }

    /// Replays `descriptor`, retrying with backoff while the cause may be transient (a broker coming back),
    /// as `configuration().replayAttempts` says; throws `SpateError.recoveredBatchLost` when it gives up.
    private func rebuild(_ descriptor: S.Descriptor, at time: BatchTime) async throws -> [[S.Element]] {
        let settings = configuration()
        var delay = settings.firstReplayDelay
        var attempt = 1
        while true {
            do {
                return try await source.replay(descriptor, at: time)
            } catch {
                let permanent = RecoveryConfiguration.isPermanent(error)
                guard !permanent, attempt < settings.replayAttempts, !Task.isCancelled else {
                    throw SpateError.recoveredBatchLost(
                        source: source.name, batchMilliseconds: time.milliseconds,
                        reason: "\(error)" + (permanent ? "" : " (after \(attempt) attempts)"))
                }
                logger.warning("cannot rebuild a recovered batch yet; retrying", metadata: [
                    "batch": "\(time)", "attempt": "\(attempt)", "of": "\(settings.replayAttempts)",
                    "retryIn": "\(delay)", "error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = Swift.min(delay * 2, settings.maximumReplayDelay)
                attempt += 1
            }
        }
    }

    /// A recovered batch could not be rebuilt: with `acceptLostBatches` it runs empty, counted in
    /// `BatchInfo.lostInputStreams` and the metric; otherwise the batch fails with the error, which stops the
    /// context. Returns whether the loss was accepted.
    private func lostBatch(_ error: any Error, at time: BatchTime, metadata: inout [String: String]) -> Bool {
        let lostError = error as? SpateError ?? .recoveredBatchLost(
            source: source.name, batchMilliseconds: time.milliseconds, reason: "\(error)")
        lostCounter.increment()
        guard configuration().acceptLostBatches else {
            logger.error("cannot rebuild a recovered batch: the context stops", metadata: [
                "batch": "\(time)", "error": "\(lostError)"])
            lost.record(lostError, at: time)
            return false
        }
        logger.error("cannot rebuild a recovered batch: it runs empty (acceptLostBatches)", metadata: [
            "batch": "\(time)", "error": "\(lostError)"])
        metadata[BatchInfo.lostBatchKey] = "\(lostError)"
        return true
    }

    /// The checkpoint side of the source, stored under `key`.
    func handle(key: String) -> RecoverableSourceHandle {
        RecoverableSourceHandle(
            name: key,
            checkpoint: { [self] keepFrom in checkpoint(keepFromMs: keepFrom) },
            restore: { [self] checkpoint, completedMs in try await restore(checkpoint, completedMs: completedMs) },
            written: { [self] checkpoint in written(checkpoint) })
    }

    /// Takes the source's position and the descriptors of the batches at or after `keepFromMs` now; the
    /// returned closure encodes them (on the checkpoint writer, off the batch loop).
    private func checkpoint(keepFromMs: Int) -> @Sendable () throws -> SourceCheckpoint {
        let (position, batches) = recorded.withLock { r in
            // Checkpoints come in batch order: no later one needs a batch before this one's `keepFromMs`.
            for key in r.descriptors.keys.filter({ $0 < keepFromMs }) { r.descriptors[key] = nil }
            // Recovered batches not rebuilt yet are still pending: the position is past them.
            return (r.position ?? source.position,
                    r.descriptors.merging(r.replays) { cut, _ in cut }.filter { $0.key >= keepFromMs })
        }
        return {
            let encoder = StateJSON.encoder()
            return SourceCheckpoint(position: try encoder.encode(position),
                                    batches: try batches.mapValues { try encoder.encode($0) })
        }
    }

    /// Restores the position, rebuilds completed batches (history for windows) at once, and schedules the
    /// pending ones to be rebuilt when their time is generated again.
    private func restore(_ checkpoint: SourceCheckpoint, completedMs: Int) async throws {
        let decoder = StateJSON.decoder()
        let position: S.Position
        var batches: [(Int, S.Descriptor)] = []
        do {
            position = try decoder.decode(S.Position.self, from: checkpoint.position)
            for (t, d) in checkpoint.batches.sorted(by: { $0.key < $1.key }) {
                batches.append((t, try Self.legacyRange(d) ?? decoder.decode(S.Descriptor.self, from: d)))
            }
        } catch {
            throw SpateError.sourceFailed(
                source: source.name,
                reason: "the checkpoint's position or batches do not decode as this source's (\(error)): keep the "
                    + "source's Position and Descriptor encodings, or start from an empty checkpoint directory")
        }
        try await source.restore(position: position)
        recorded.withLock { $0.position = position }
        for (t, d) in batches {
            if t <= completedMs {
                // History a window reads: rebuilt now, or, when the loss is accepted, empty. A batch no operator
                // reads again (no window over this stream) costs nothing when it cannot be rebuilt.
                let time = BatchTime(milliseconds: t)
                do {
                    stream.put(try await rebuild(d, at: time), at: time)
                } catch where !readsHistory() {
                    logger.warning("a completed batch cannot be rebuilt; no operator reads it again", metadata: [
                        "batch": "\(time)", "error": "\(error)"])
                } catch {
                    var metadata: [String: String] = [:]
                    guard lostBatch(error, at: time, metadata: &metadata) else { throw error }
                    stream.put([], at: time)
                }
                recorded.withLock { $0.descriptors[t] = d }
            } else {
                recorded.withLock { $0.replays[t] = d }
            }
        }
    }

    /// A sequence-number range as checkpoints of earlier versions wrote it for queues, rate streams and
    /// receivers (`"lo,hi"`, not JSON), when this source's batches are such ranges; nil otherwise.
    private static func legacyRange(_ data: Data) -> S.Descriptor? {
        guard S.Descriptor.self == Range<Int>.self, data.first != UInt8(ascii: "[") else { return nil }
        let bounds = String(decoding: data, as: UTF8.self).split(separator: ",").compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else { return nil }
        return (bounds[0]..<bounds[1]) as? S.Descriptor
    }

    /// Tells the source that the checkpoint `checkpoint` (its own part) is on disk.
    private func written(_ checkpoint: SourceCheckpoint) {
        let decoder = StateJSON.decoder()
        guard let position = try? decoder.decode(S.Position.self, from: checkpoint.position) else { return }
        let descriptors = checkpoint.batches.values.compactMap { try? decoder.decode(S.Descriptor.self, from: $0) }
        source.checkpointWritten(position: position, descriptors: descriptors)
    }
}

extension DStreamGraph {
    /// Whether an operator downstream of node `id` reads batches of earlier times (a window, or a slide
    /// longer than its parent's), so the source's completed batches are needed again after a recovery.
    func readsHistory(of id: Int) -> Bool {
        func descends(_ node: any GraphNode) -> Bool { node.parentNodes.contains { $0.id == id || descends($0) } }
        return nodes.contains { node in
            (node.lookbackMs > 0 || node.parentNodes.contains { $0.slideMs < node.slideMs }) && descends(node)
        }
    }
}

/// The recovered batches of one input stream that could not be rebuilt, with the error that fails each.
final class LostBatches: Sendable {
    private let errors = Mutex<[Int: SpateError]>([:])

    func record(_ error: SpateError, at time: BatchTime) { errors.withLock { $0[time.milliseconds] = error } }

    func error(at time: BatchTime) -> SpateError? { errors.withLock { $0[time.milliseconds] } }
}

extension StreamingContext {
    /// The context's logger, for the sources of connector modules to report through.
    package var packageLogger: Logger { logger }
}
