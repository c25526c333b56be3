import Foundation
import Spate
import Synchronization
@testable import SpateGraph

/// Collects every batch an output produced, with its time, in batch order.
final class Collector<T: Sendable>: Sendable {
    private let batches = Mutex<[(Int, [T])]>([])

    init(_ stream: DStream<T>) {
        stream.foreachBatch { [self] batch, time in
            let all = batch.collect()
            self.batches.withLock { $0.append((time.milliseconds, all)) }
        }
    }

    var results: [[T]] { batches.withLock { $0.map(\.1) } }
    var times: [Int] { batches.withLock { $0.map(\.0) } }
}

/// A context on the manual clock with a one-second batch interval.
func manualContext(parallelism: Int = 2) -> StreamingContext {
    StreamingContext(batchInterval: .seconds(1), parallelism: parallelism, clock: .manual)
}

func tempDir(_ name: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("spate-graph-\(name)-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}

/// Pairs as a dictionary (the last value of a repeated key wins).
func dictionary<K: Hashable, V>(_ pairs: [(K, V)]) -> [K: V] {
    Dictionary(pairs, uniquingKeysWith: { _, last in last })
}

/// The test graphs: an R-MAT power-law graph, a grid and a disconnected one, all seeded.
enum TestGraphs {
    /// R-MAT (Chakrabarti et al.) with the Graph500 probabilities a = 0.57, b = c = 0.19: `edges` draws over
    /// 2^scale vertices; duplicates and self-loops dropped when `simple`. Vertex ids are offset by `base`.
    static func rmat(scale: Int, edges: Int, seed: UInt64, simple: Bool = true, base: VertexID = 0)
        -> [(VertexID, VertexID)]
    {
        var random = SeededRandom(seed: seed)
        var seen = Set<[VertexID]>()
        var out: [(VertexID, VertexID)] = []
        for _ in 0..<edges {
            var s: VertexID = 0, d: VertexID = 0
            for _ in 0..<scale {
                let p = random.nextUniform()
                let (i, j): (VertexID, VertexID) = p < 0.57 ? (0, 0) : p < 0.76 ? (0, 1) : p < 0.95 ? (1, 0) : (1, 1)
                s = s * 2 + i
                d = d * 2 + j
            }
            if simple {
                if s == d || !seen.insert([s, d]).inserted { continue }
            }
            out.append((s + base, d + base))
        }
        return out
    }

    /// A `width` x `height` grid, each cell pointing right and down.
    static func grid(width: Int, height: Int) -> [(VertexID, VertexID)] {
        var out: [(VertexID, VertexID)] = []
        for y in 0..<height {
            for x in 0..<width {
                let v = VertexID(y * width + x)
                if x + 1 < width { out.append((v, v + 1)) }
                if y + 1 < height { out.append((v, v + VertexID(width))) }
            }
        }
        return out
    }

    /// Several components: two R-MAT graphs on disjoint ids, a directed cycle, a star into its centre and
    /// isolated pairs with reciprocal edges.
    static func disconnected(seed: UInt64) -> [(VertexID, VertexID)] {
        var out = rmat(scale: 7, edges: 300, seed: seed, base: 1000)
        out += rmat(scale: 6, edges: 150, seed: seed + 1, base: 5000)
        for k: VertexID in 0..<10 { out.append((9000 + k, 9000 + (k + 1) % 10)) }
        for k: VertexID in 1..<12 { out.append((9100 + k, 9100)) }
        for k in 0..<5 {
            let v = VertexID(9200 + 2 * k)
            out += [(v, v + 1), (v + 1, v)]
        }
        return out
    }

    /// The named graphs every cross-check runs on.
    static var all: [(name: String, edges: [(VertexID, VertexID)])] {
        [
            ("rmat", rmat(scale: 11, edges: 12_000, seed: 42)),
            ("grid", grid(width: 30, height: 20)),
            ("disconnected", disconnected(seed: 7)),
        ]
    }
}
