import Foundation
import Synchronization

/// A source whose batches can be rebuilt after a crash: each cut batch is described (a file list, an
/// offset range, ...) so recovery can rebuild the batches that windows still need and the batches that
/// were generated but not completed, and the source's position says where it continues.
protocol RecoverableSource: Sendable {
    associatedtype Element: Sendable
    /// Cuts the batch for `time` and describes it for `replay`.
    func cut(_ time: BatchTime) -> (parts: [[Element]], descriptor: Data)
    /// Rebuilds a batch from its descriptor.
    func replay(_ descriptor: Data, at time: BatchTime) throws -> [[Element]]
    /// Where the source continues after the last cut.
    func position() -> Data
    /// Continues from a checkpointed position.
    func restore(position: Data) throws
    /// Called once a checkpoint holding this source's `checkpoint` is on disk (a write-ahead log drops what
    /// no checkpoint needs any more).
    func checkpointWritten(_ checkpoint: SourceCheckpoint)
}

extension RecoverableSource {
    func checkpointWritten(_ checkpoint: SourceCheckpoint) {}
}

/// The checkpoint side of a recoverable source on the graph.
struct RecoverableSourceHandle: Sendable {
    let name: String
    /// The source's position and the descriptors of batches at or after `keepFromMs`.
    let checkpoint: @Sendable (_ keepFromMs: Int) -> SourceCheckpoint
    /// Restores the position, rebuilds completed batches (history for windows) at once, and schedules the
    /// pending ones to be rebuilt when their time is generated again.
    let restore: @Sendable (_ checkpoint: SourceCheckpoint, _ completedMs: Int) throws -> Void
    /// Called after a checkpoint with this source's part was written.
    let written: @Sendable (_ checkpoint: SourceCheckpoint) -> Void
}

/// What a checkpoint may record of a recoverable source, kept together under one lock: the descriptors of the
/// batches cut (or rebuilt) so far, the recovered batches still to be rebuilt, and the source's position right
/// after the last recorded cut. A checkpoint taken while a cut is under way must not see the cut's new
/// position without its descriptor: recovery would then cut that batch again from past its records and find
/// it empty.
private struct RecordedBatches {
    var descriptors: [Int: Data] = [:]
    var replays: [Int: Data] = [:]
    var position: Data?
}

extension StreamingContext {
    /// An input stream over a recoverable source.
    func recoverableInputStream<S: RecoverableSource>(
        name: String, hooks: SourceHooks = SourceHooks(), source: S
    ) -> DStream<S.Element> {
        let recorded = Mutex(RecordedBatches())
        let logger = self.logger
        let interval = batchIntervalMs
        let holder = NodeRef<S.Element>()
        let stream = inputStream(name: name, hooks: hooks) { time -> [[S.Element]] in
            let ms = time.milliseconds
            let parts: [[S.Element]]
            let descriptor: Data
            if let d = recorded.withLock({ $0.replays[ms] }) {
                do {
                    parts = try source.replay(d, at: time)
                } catch {
                    logger.error("cannot rebuild a recovered batch; it will be empty", metadata: [
                        "source": "\(name)", "batch": "\(time)", "error": "\(error)"])
                    parts = []
                }
                descriptor = d
            } else {
                (parts, descriptor) = source.cut(time)
            }
            // Keep descriptors as long as the source's batches are remembered, plus slack for the checkpoint.
            let keep = ms - (holder.node?.rememberMs ?? 0) - 2 * interval
            let position = source.position()
            recorded.withLock { r in
                r.replays[ms] = nil
                r.descriptors[ms] = descriptor
                r.position = position
                r.descriptors = r.descriptors.filter { $0.key >= keep }
            }
            return parts
        }
        holder.set(stream)
        let handle = RecoverableSourceHandle(
            name: name,
            checkpoint: { keepFrom in
                recorded.withLock { r in
                    // Recovered batches not rebuilt yet are still pending: the position is past them.
                    SourceCheckpoint(
                        position: r.position ?? source.position(),
                        batches: r.descriptors.merging(r.replays) { cut, _ in cut }.filter { $0.key >= keepFrom })
                }
            },
            restore: { [stream] checkpoint, completedMs in
                try source.restore(position: checkpoint.position)
                recorded.withLock { $0.position = checkpoint.position }
                for (t, d) in checkpoint.batches.sorted(by: { $0.key < $1.key }) {
                    if t <= completedMs {
                        let time = BatchTime(milliseconds: t)
                        stream.put(try source.replay(d, at: time), at: time)
                        recorded.withLock { $0.descriptors[t] = d }
                    } else {
                        recorded.withLock { $0.replays[t] = d }
                    }
                }
            },
            written: { source.checkpointWritten($0) })
        graph.addRecoverableSource(named: name) { key in
            RecoverableSourceHandle(name: key, checkpoint: handle.checkpoint, restore: handle.restore, written: handle.written)
        }
        return stream
    }
}
