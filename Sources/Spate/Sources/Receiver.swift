/// A custom input source, like Spark's `Receiver`: Spate calls `onStart` when the context starts, and the
/// receiver hands records to `context.store(_:)`; each batch holds what was stored since the previous batch.
///
/// `onStart` may run until the receiver is stopped (check `context.isStopped` or task cancellation), or start
/// its own work and return. `onStop` releases what `onStart` acquired; it is called on stop and before each
/// restart. If `onStart` throws, the error is logged and the receiver restarts after a delay: a failing
/// receiver never stops the context.
/// ```swift
/// struct Ticker: Receiver {
///     func onStart(_ context: ReceiverContext<Int>) async throws {
///         var n = 0
///         while !context.isStopped {
///             context.store(n); n += 1
///             try await Task.sleep(for: .milliseconds(10))
///         }
///     }
///     func onStop() async {}
/// }
/// let ticks = ssc.receiverStream(Ticker())
/// ```
public protocol Receiver: Sendable {
    /// The records the receiver produces.
    associatedtype Element: Sendable
    /// Starts receiving; may run until the receiver is stopped. Throwing restarts the receiver after a delay.
    func onStart(_ context: ReceiverContext<Element>) async throws
    /// Stops receiving and releases resources; called on stop and before every restart.
    func onStop() async
}
