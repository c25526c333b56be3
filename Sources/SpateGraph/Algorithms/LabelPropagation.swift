extension Graph {
    /// Community detection by synchronous label propagation (GraphX's `LabelPropagation.run(graph,
    /// maxSteps)`): every vertex starts with its own id as label; in each of `maxSteps` steps every vertex
    /// takes the label most frequent among its neighbours (edges in both directions, each multi-edge counted),
    /// all at once. GraphX breaks ties by its hash map's order; Spate takes the smallest tied label, so the
    /// result is deterministic. A vertex without edges keeps its id. Throws for `maxSteps` < 1.
    /// - Complexity: O(maxSteps x E log(max degree)).
    public func labelPropagation(maxSteps: Int) throws(GraphError) -> [(VertexID, VertexID)] {
        byVertex(try labelValues(maxSteps: maxSteps))
    }

    func labelValues(maxSteps: Int) throws(GraphError) -> [VertexID] {
        try GraphParameter.check(maxSteps: maxSteps)
        let n = numVertices
        var labels = index.ids
        var next = labels
        var seen: [VertexID] = []
        for _ in 0..<maxSteps {
            for v in 0..<n {
                seen.removeAll(keepingCapacity: true)
                for i in outAdjacency.offsets[v]..<outAdjacency.offsets[v + 1] {
                    seen.append(labels[Int(outAdjacency.neighbours[i])])
                }
                for i in inAdjacency.offsets[v]..<inAdjacency.offsets[v + 1] {
                    seen.append(labels[Int(inAdjacency.neighbours[i])])
                }
                guard !seen.isEmpty else { continue }
                seen.sort()
                var best = seen[0], bestRun = 0, run = 0
                for i in 0..<seen.count {
                    run = i > 0 && seen[i] == seen[i - 1] ? run + 1 : 1
                    if run > bestRun {
                        bestRun = run
                        best = seen[i]
                    }
                }
                next[v] = best
            }
            // A vertex without edges holds the same label in both arrays, so swapping is enough.
            swap(&labels, &next)
        }
        return labels
    }
}
