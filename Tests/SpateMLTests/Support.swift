import Foundation
import Spate
import Synchronization
@testable import SpateML

/// Collects every batch an output produced, in batch order.
final class Collector<T: Sendable>: Sendable {
    private let batches = Mutex<[[T]]>([])

    init(_ stream: DStream<T>) {
        stream.foreachBatch { [self] batch, _ in
            let all = batch.collect()
            self.batches.withLock { $0.append(all) }
        }
    }

    var results: [[T]] { batches.withLock { $0 } }
}

/// The seeded generator (SplitMix64) so synthetic data is reproducible.
typealias TestRandom = SeededRandom

extension SeededRandom {
    mutating func uniform(_ range: ClosedRange<Double>) -> Double { Double.random(in: range, using: &self) }
    mutating func gaussian() -> Double {
        var u = 0.0
        while u == 0 { u = Double.random(in: 0..<1, using: &self) }
        let v = Double.random(in: 0..<1, using: &self)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}

/// A context on the manual clock with a one-second batch interval.
func manualContext(parallelism: Int = 2) -> StreamingContext {
    StreamingContext(batchInterval: .seconds(1), parallelism: parallelism, clock: .manual)
}

/// Runs `batches` batches on a manual context and stops it.
func run(_ ssc: StreamingContext, batches: Int) async throws {
    try await ssc.start()
    try await ssc.advance(by: .seconds(batches))
    await ssc.stop()
}

func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}

func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-9) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { close($0, $1, tolerance) }
}
