/// A listener whose work after a batch may wait (a connector's offset commit or producer flush on the
/// blocking pool): the scheduler awaits `batchFinished(_:)` after every listener's `batchCompleted(_:)` and
/// before the next batch runs, so the work stays in batch order without holding a cooperative thread.
package protocol AwaitedBatchListener: StreamingListener {
    /// Called once the batch's outputs completed and the listeners heard of it; the next batch waits for it.
    func batchFinished(_ info: BatchInfo) async
}
