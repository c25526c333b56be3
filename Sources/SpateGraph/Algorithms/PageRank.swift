extension Graph {
    /// PageRank for a fixed number of iterations (GraphX's `staticPageRank(numIter, resetProb)`).
    ///
    /// Every vertex starts at 1; each iteration sets `rank(v) = resetProbability + (1 - resetProbability) x
    /// sum(rank(u) / outDegree(u))` over v's incoming edges (each multi-edge counted). A vertex without
    /// outgoing edges (a sink) passes its rank on to nobody, so at the end, as GraphX does, the ranks are scaled
    /// to sum to the vertex count (networkx's `pagerank` sums to 1 and spreads a sink's rank over all vertices
    /// instead; docs/GRAPH.md). Throws for `numIter` < 1 or a reset probability outside [0, 1].
    /// - Complexity: O(numIter x (V + E)), pulling over the incoming rows.
    public func staticPageRank(numIter: Int, resetProbability: Double = 0.15) throws(GraphError) -> [(VertexID, Double)] {
        byVertex(try staticPageRankValues(numIter: numIter, resetProbability: resetProbability))
    }

    /// PageRank until no rank changes by more than `tolerance` (GraphX's `pageRank(tol, resetProb)`, the
    /// "dynamic" Pregel form): every vertex starts at `resetProbability`, and a vertex whose rank changed by
    /// more than `tolerance` in the last round sends the change, times (1 - resetProbability) / its out-degree,
    /// to its out-neighbours; it stops when no vertex sends. Ranks are then scaled to sum to the vertex count,
    /// as `staticPageRank`. Throws for a negative tolerance or a reset probability outside [0, 1).
    /// - Complexity: O(V + E) per round, over the vertices that changed.
    public func pageRank(tolerance: Double, resetProbability: Double = 0.15) throws(GraphError) -> [(VertexID, Double)] {
        byVertex(try pageRankValues(tolerance: tolerance, resetProbability: resetProbability))
    }

    /// The reciprocal of each vertex's out-degree (0 for a sink).
    private func inverseOutDegrees() -> [Double] {
        (0..<numVertices).map { v in
            let d = outAdjacency.degree(v)
            return d == 0 ? 0 : 1 / Double(d)
        }
    }

    func staticPageRankValues(numIter: Int, resetProbability r: Double) throws(GraphError) -> [Double] {
        try GraphParameter.check(numIter: numIter, resetProbability: r)
        let n = numVertices
        let inverse = inverseOutDegrees()
        var rank = [Double](repeating: 1, count: n)
        var contribution = [Double](repeating: 0, count: n)
        inAdjacency.offsets.withUnsafeBufferPointer { offsets in
            inAdjacency.neighbours.withUnsafeBufferPointer { from in
                for _ in 0..<numIter {
                    for u in 0..<n { contribution[u] = rank[u] * inverse[u] }
                    contribution.withUnsafeBufferPointer { c in
                        for v in 0..<n {
                            var sum = 0.0
                            for i in offsets[v]..<offsets[v + 1] { sum += c[Int(from[i])] }
                            rank[v] = r + (1 - r) * sum
                        }
                    }
                }
            }
        }
        return Self.normalized(rank)
    }

    func pageRankValues(tolerance: Double, resetProbability r: Double) throws(GraphError) -> [Double] {
        try GraphParameter.check(tolerance: tolerance, resetProbability: r)
        let n = numVertices
        let inverse = inverseOutDegrees()
        // The initial message r / (1 - r) sets every rank to r and its change to r.
        var rank = [Double](repeating: r, count: n)
        var delta = [Double](repeating: r, count: n)
        var senders = Array(0..<Int32(n))
        var message = [Double](repeating: 0, count: n)
        var received = [Bool](repeating: false, count: n)
        var receivers: [Int32] = []
        let offsets = outAdjacency.offsets, to = outAdjacency.neighbours
        while true {
            receivers.removeAll(keepingCapacity: true)
            for u in senders where delta[Int(u)] > tolerance {
                let share = delta[Int(u)] * inverse[Int(u)]
                for i in offsets[Int(u)]..<offsets[Int(u) + 1] {
                    let v = Int(to[i])
                    if !received[v] {
                        received[v] = true
                        receivers.append(Int32(v))
                    }
                    message[v] += share
                }
            }
            if receivers.isEmpty { break }
            for v in receivers {
                let i = Int(v)
                let next = rank[i] + (1 - r) * message[i]
                delta[i] = next - rank[i]
                rank[i] = next
                message[i] = 0
                received[i] = false
            }
            swap(&senders, &receivers)
        }
        return Self.normalized(rank)
    }

    /// Ranks scaled to sum to their count (GraphX's correction for the rank sinks lose).
    private static func normalized(_ rank: [Double]) -> [Double] {
        let sum = rank.reduce(0, +)
        guard sum > 0 else { return rank }
        let factor = Double(rank.count) / sum
        return rank.map { $0 * factor }
    }
}
