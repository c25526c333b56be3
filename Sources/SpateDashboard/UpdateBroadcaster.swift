import NIOCore
import Synchronization

/// Pushes update frames to every connected page, each through its own bounded buffer, so a slow or vanished
/// client never blocks the batch loop: when a client's buffer is full its oldest frame is dropped (and
/// counted), and the next frame, which carries whole state, catches it up.
final class UpdateBroadcaster: Sendable {
    /// Frames a client may have waiting before the oldest are dropped.
    static let bufferedFrames = 64
    private let clients = Mutex<(next: Int, streams: [Int: AsyncStream<ByteBuffer>.Continuation], finished: Bool)>(
        (0, [:], false))
    private let dropped = Atomic<Int>(0)
    private let metrics: DashboardMetrics

    init(metrics: DashboardMetrics) { self.metrics = metrics }

    /// Frames dropped so far because a client's buffer was full.
    var droppedFrames: Int { dropped.load(ordering: .relaxed) }

    /// Clients connected now.
    var clientCount: Int { clients.withLock { $0.streams.count } }

    /// A new client's stream of frames; it ends when the client is removed or the broadcaster finishes. A
    /// client that subscribes after `finishAll()` (a page reconnecting while the server stops) gets a stream
    /// that has already ended, so its response completes and the server's graceful shutdown does not wait on it.
    func subscribe() -> (id: Int, frames: AsyncStream<ByteBuffer>) {
        let (stream, continuation) = AsyncStream.makeStream(
            of: ByteBuffer.self, bufferingPolicy: .bufferingNewest(Self.bufferedFrames))
        let subscribed = clients.withLock { c -> (id: Int, count: Int)? in
            c.next += 1
            if c.finished { return nil }
            c.streams[c.next] = continuation
            return (c.next, c.streams.count)
        }
        guard let (id, count) = subscribed else {
            continuation.finish()
            return (0, stream)
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        metrics.recordClients(count)
        return (id, stream)
    }

    /// Forgets a client (its connection closed).
    func unsubscribe(_ id: Int) {
        let (removed, count) = clients.withLock { c in (c.streams.removeValue(forKey: id), c.streams.count) }
        guard let removed else { return }
        removed.finish()
        metrics.recordClients(count)
    }

    /// Queues `frame` for every client without waiting for any of them.
    func broadcast(_ frame: ByteBuffer) {
        var lost = 0
        clients.withLock { c in
            for continuation in c.streams.values {
                if case .dropped = continuation.yield(frame) { lost += 1 }
            }
        }
        if lost > 0 {
            dropped.add(lost, ordering: .relaxed)
            metrics.recordDropped(lost)
        }
    }

    /// Ends every client's stream, and the stream of every client that subscribes later (the server is
    /// stopping).
    func finishAll() {
        let all = clients.withLock { c in
            defer { c.streams = [:]; c.finished = true }
            return Array(c.streams.values)
        }
        for continuation in all { continuation.finish() }
        metrics.recordClients(0)
    }
}
