import Foundation
import Logging

/// A recoverable input source defined in another module of this package (such as SpateKafka's direct
/// stream): the package-visible face of `RecoverableSource` plus the source's lifecycle, so connector
/// modules plug into batch generation and checkpoint recovery without the core exposing its scheduler.
package protocol PackageRecoverableSource: Sendable {
    /// The records the source produces.
    associatedtype Element: Sendable
    /// Cuts the batch for `time` (one inner array per partition) and describes it for `replay`.
    func cut(_ time: BatchTime) -> (parts: [[Element]], descriptor: Data)
    /// Rebuilds a batch from its descriptor (after a crash, from a checkpoint).
    func replay(_ descriptor: Data, at time: BatchTime) throws -> [[Element]]
    /// Where the source continues after the last cut.
    func position() -> Data
    /// Continues from a checkpointed position (called before `start`).
    func restore(position: Data) throws
    /// Connects at `start()`; throws `SpateError.sourceFailed` with a message saying what to change.
    func start() async throws
    /// Stops the source; `graceful` lets the final batches take what is still available.
    func stop(graceful: Bool) async
    /// Whether data waits for a batch (a graceful stop keeps generating batches while it does).
    func hasPendingData() -> Bool
    /// What the source reports about the batch it just cut (`BatchInfo.streamIdToMetadata`).
    func takeMetadata() -> [String: String]
}

extension PackageRecoverableSource {
    /// Nothing to report by default.
    package func takeMetadata() -> [String: String] { [:] }
    /// Nothing to connect by default.
    package func start() async throws {}
    /// Nothing to stop by default.
    package func stop(graceful: Bool) async {}
    /// No buffered data by default.
    package func hasPendingData() -> Bool { false }
}

/// Adapts a package source to the scheduler's `RecoverableSource`.
private struct PackageSourceAdapter<Base: PackageRecoverableSource>: RecoverableSource {
    let base: Base
    func cut(_ time: BatchTime) -> (parts: [[Base.Element]], descriptor: Data) { base.cut(time) }
    func replay(_ descriptor: Data, at time: BatchTime) throws -> [[Base.Element]] {
        try base.replay(descriptor, at: time)
    }
    func position() -> Data { base.position() }
    func restore(position: Data) throws { try base.restore(position: position) }
}

extension StreamingContext {
    /// The context's logger, for connector modules to report through.
    package var packageLogger: Logger { logger }

    /// An input stream over a source from another module, checkpointed like the core's recoverable sources.
    ///
    /// `makeSource` receives the source's rate allowance: called once per cut, it returns how many records
    /// the batch may take under backpressure / `maxRatePerSecond` (nil: no bound).
    package func packageInputStream<S: PackageRecoverableSource>(
        name: String, makeSource: (_ allowance: @escaping @Sendable () -> Int?) -> S
    ) -> (stream: DStream<S.Element>, source: S) {
        let limiter = SourceRateLimiter()
        let source = makeSource { limiter.allowance() }
        let hooks = SourceHooks(
            start: { try await source.start() }, stop: { await source.stop(graceful: $0) },
            hasPendingData: { source.hasPendingData() }, takeMetadata: { source.takeMetadata() })
        let stream = recoverableInputStream(name: name, hooks: hooks, source: PackageSourceAdapter(base: source))
        rateControl.register(limiter, sourceId: stream.id)
        return (stream, source)
    }
}
