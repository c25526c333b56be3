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
/// The text form, as fast as `socketTextStream(host:port:as: .utf8Lines)`: a receiver of `Utf8Text` cuts the
/// bytes it reads into line views with a `TextLineSplitter` and stores them; no String is built per line, and
/// with checkpointing the lines are write-ahead logged like any Codable record.
/// ```swift
/// struct LineReceiver: Receiver {
///     func onStart(_ context: ReceiverContext<Utf8Text>) async throws {
///         var splitter = TextLineSplitter(format: .utf8Lines)
///         for try await chunk in connection.chunks {          // [UInt8] reads from your transport
///             var output = TextLineSplitter<Utf8Text>.Output()
///             chunk.withUnsafeBytes { splitter.feed($0, into: &output) }
///             context.store(contentsOf: output.lines)
///         }
///     }
///     func onStop() async {}
/// }
/// ```
public protocol Receiver: Sendable {
    /// The records the receiver produces.
    associatedtype Element: Sendable
    /// Starts receiving; may run until the receiver is stopped. Throwing restarts the receiver after a delay.
    func onStart(_ context: ReceiverContext<Element>) async throws
    /// Stops receiving and releases resources; called on stop and before every restart.
    func onStop() async
}
