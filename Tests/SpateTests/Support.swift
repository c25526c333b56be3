import Foundation
import Testing
import Synchronization
@testable import Spate

/// Collects every batch an output produced, by batch time, for assertions.
final class Collector<T: Sendable>: Sendable {
    private let batches = Mutex<[(BatchTime, [T])]>([])

    init(_ stream: DStream<T>) {
        stream.foreachBatch { [self] batch, time in
            let all = batch.collect()
            self.batches.withLock { $0.append((time, all)) }
        }
    }

    /// Records per batch, in batch order.
    var results: [[T]] { batches.withLock { $0.map(\.1) } }
    var times: [Int] { batches.withLock { $0.map(\.0.milliseconds) } }
}

/// The seeded generator (SplitMix64) so property-style tests are reproducible.
typealias SeededGenerator = SeededRandom

/// A context on the manual clock with a one-second batch interval.
func manualContext(parallelism: Int = 2) -> StreamingContext {
    StreamingContext(batchInterval: .seconds(1), parallelism: parallelism, clock: .manual)
}

/// Sorted pairs, for comparing keyed results without caring about partition order.
func sortedPairs<K: Comparable, V>(_ pairs: [(K, V)]) -> [(K, V)] {
    pairs.sorted { $0.0 < $1.0 }
}

func dictionary<K: Hashable, V>(_ pairs: [(K, V)]) -> [K: V] {
    Dictionary(pairs, uniquingKeysWith: { a, _ in a })
}

/// Polls `condition` every 5 ms until it holds, recording an issue after `timeout`.
func pollUntil(
    _ what: String, timeout: Duration = .seconds(5), _ condition: @Sendable () -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting until \(what)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

extension StreamingContext {
    /// `socketTextStream` plus its source, so tests can watch the receive buffer.
    func socketTextSource(host: String, port: Int) -> (stream: DStream<String>, source: SocketTextSource<String>) {
        let source = SocketTextSource(host: host, port: port, format: .strings, in: self)
        return (inputStream(source, rateLimiter: source.rateLimiter), source)
    }

    /// `receiverStream` plus the receiver's supervisor, so tests can watch the receiver's buffer.
    func receiverSource<R: Receiver>(_ receiver: R) -> (stream: DStream<R.Element>, supervisor: ReceiverSupervisor<R>) {
        let source = ReceiverSource(receiver, in: self)
        return (inputStream(source, rateLimiter: source.received.rateLimiter), source.supervisor)
    }
}
