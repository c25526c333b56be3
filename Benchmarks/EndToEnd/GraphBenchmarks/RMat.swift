import Spate
import SpateGraph

/// R-MAT edges (Chakrabarti et al., the Graph500 probabilities a = 0.57, b = c = 0.19) over 2^scale vertex
/// ids, duplicates and self-loops kept as GraphX keeps them: scale 17 with 1M edges gives about 77k
/// vertices, the graph.
func rmatEdges(scale: Int, edges: Int, seed: UInt64) -> [(VertexID, VertexID)] {
    var random = SeededRandom(seed: seed)
    var out: [(VertexID, VertexID)] = []
    out.reserveCapacity(edges)
    for _ in 0..<edges {
        var s: VertexID = 0, d: VertexID = 0
        for _ in 0..<scale {
            let p = random.nextUniform()
            s = s &* 2 &+ (p >= 0.76 ? 1 : 0)
            d = d &* 2 &+ ((p >= 0.57 && p < 0.76) || p >= 0.95 ? 1 : 0)
        }
        out.append((s, d))
    }
    return out
}
