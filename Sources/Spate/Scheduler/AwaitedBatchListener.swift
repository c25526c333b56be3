/// A listener whose work after a batch may wait (a connector's offset commit or producer flush on the
/// blocking pool): the scheduler awaits `batchFinished(_:)` after every listener's `batchCompleted(_:)` and
/// before the next batch runs, so the work stays in batch order without holding a cooperative thread.
package protocol AwaitedBatchListener: StreamingListener {
    /// Called once the batch's outputs completed and the listeners heard of it; the next batch waits for it.
    func batchFinished(_ info: BatchInfo) async

    /// Called once the batch's outputs completed, before the checkpoint that covers the batch is written and
    /// before the listeners hear of it: what the batch wrote elsewhere is made durable here (a connector's
    /// dead letters acknowledged by the broker), so a crash before it replays the batch. Throwing fails the
    /// batch (the context stops with the error, no checkpoint covers it). Default: nothing.
    func makeBatchDurable(_ time: BatchTime) async throws
}

extension AwaitedBatchListener {
    /// Nothing to make durable by default.
    package func makeBatchDurable(_ time: BatchTime) async throws {}
}
