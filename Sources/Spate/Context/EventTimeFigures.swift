import Synchronization

/// The watermark a `withWatermark` node reached, as the batch reports (`BatchInfo.watermarks`): set by the
/// node each time it applies a batch, read by the scheduler after the batch under the node's checkpoint name.
final class WatermarkFigure: Sendable {
    private let value = Mutex<Int64?>(nil)

    /// The watermark after the batch just applied, W(t+1).
    func record(_ watermark: Int64) { value.withLock { $0 = watermark } }

    /// The newest watermark recorded; nil before the stream's first record.
    var current: Int64? { value.withLock { $0 } }
}
