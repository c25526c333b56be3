@testable import SpateGraph

/// GraphX's algorithms written plainly, with dictionaries and sets, one step at a time: what the flat,
/// index-based implementations must agree with.
enum Reference {
    static func vertices(_ edges: [(VertexID, VertexID)]) -> Set<VertexID> {
        Set(edges.flatMap { [$0.0, $0.1] })
    }

    /// GraphX's staticPageRank: ranks start at 1; r + (1 - r) x the sum of rank/outDegree over in-edges;
    /// then scaled to sum to the vertex count.
    static func staticPageRank(_ edges: [(VertexID, VertexID)], numIter: Int, r: Double = 0.15) -> [VertexID: Double] {
        let vs = vertices(edges)
        var out: [VertexID: Int] = [:]
        for (s, _) in edges { out[s, default: 0] += 1 }
        var rank = Dictionary(uniqueKeysWithValues: vs.map { ($0, 1.0) })
        for _ in 0..<numIter {
            var sums: [VertexID: Double] = [:]
            for (s, d) in edges { sums[d, default: 0] += rank[s]! / Double(out[s]!) }
            for v in vs { rank[v] = r + (1 - r) * (sums[v] ?? 0) }
        }
        return normalized(rank)
    }

    /// GraphX's dynamic pageRank, as its Pregel program: (rank, delta) per vertex, messages of delta/outDegree
    /// from the vertices that received a message in the last round and changed by more than `tol`.
    static func pageRank(_ edges: [(VertexID, VertexID)], tol: Double, r: Double = 0.15) -> [VertexID: Double] {
        let vs = vertices(edges)
        var out: [VertexID: Int] = [:]
        for (s, _) in edges { out[s, default: 0] += 1 }
        var state = Dictionary(uniqueKeysWithValues: vs.map { ($0, (rank: r, delta: r)) })
        var active = vs
        while true {
            var messages: [VertexID: Double] = [:]
            for (s, d) in edges where active.contains(s) && state[s]!.delta > tol {
                messages[d, default: 0] += state[s]!.delta / Double(out[s]!)
            }
            if messages.isEmpty { break }
            for (v, m) in messages {
                let old = state[v]!.rank
                let new = old + (1 - r) * m
                state[v] = (new, new - old)
            }
            active = Set(messages.keys)
        }
        return normalized(state.mapValues(\.rank))
    }

    static func normalized(_ rank: [VertexID: Double]) -> [VertexID: Double] {
        let sum = rank.values.reduce(0, +)
        return rank.mapValues { $0 * Double(rank.count) / sum }
    }

    /// Weakly connected components by breadth-first search; the id is the smallest member.
    static func components(_ edges: [(VertexID, VertexID)]) -> [VertexID: VertexID] {
        var neighbours: [VertexID: [VertexID]] = [:]
        for (s, d) in edges {
            neighbours[s, default: []].append(d)
            neighbours[d, default: []].append(s)
        }
        var result: [VertexID: VertexID] = [:]
        for start in neighbours.keys where result[start] == nil {
            var members = [start], queue = [start]
            var seen: Set<VertexID> = [start]
            while let v = queue.popLast() {
                for w in neighbours[v]! where seen.insert(w).inserted {
                    members.append(w)
                    queue.append(w)
                }
            }
            let id = members.min()!
            for m in members { result[m] = id }
        }
        return result
    }

    /// Triangles per vertex of the canonical graph: pairs of distinct neighbours that are neighbours.
    static func triangles(_ edges: [(VertexID, VertexID)]) -> [VertexID: Int] {
        var neighbours: [VertexID: Set<VertexID>] = [:]
        for v in vertices(edges) { neighbours[v] = [] }
        for (s, d) in edges where s != d {
            neighbours[s]!.insert(d)
            neighbours[d]!.insert(s)
        }
        return neighbours.mapValues { ns in
            var count = 0
            let list = Array(ns)
            for i in 0..<list.count {
                for j in (i + 1)..<max(list.count, i + 1) where neighbours[list[i]]!.contains(list[j]) { count += 1 }
            }
            return count
        }
    }

    static func degrees(_ edges: [(VertexID, VertexID)]) -> (in: [VertexID: Int], out: [VertexID: Int], all: [VertexID: Int]) {
        var inD: [VertexID: Int] = [:], outD: [VertexID: Int] = [:], all: [VertexID: Int] = [:]
        for (s, d) in edges {
            outD[s, default: 0] += 1
            inD[d, default: 0] += 1
            all[s, default: 0] += 1
            all[d, default: 0] += 1
        }
        return (inD, outD, all)
    }

    /// Synchronous label propagation; ties go to the smallest label.
    static func labelPropagation(_ edges: [(VertexID, VertexID)], maxSteps: Int) -> [VertexID: VertexID] {
        var labels = Dictionary(uniqueKeysWithValues: vertices(edges).map { ($0, $0) })
        for _ in 0..<maxSteps {
            var counts: [VertexID: [VertexID: Int]] = [:]
            for (s, d) in edges {
                counts[s, default: [:]][labels[d]!, default: 0] += 1
                counts[d, default: [:]][labels[s]!, default: 0] += 1
            }
            for (v, c) in counts {
                labels[v] = c.max { a, b in a.value < b.value || (a.value == b.value && a.key > b.key) }!.key
            }
        }
        return labels
    }

    /// Hop counts to the landmarks as GraphX's ShortestPaths computes them: relax every edge (a vertex takes
    /// its destination's distances plus one) until nothing changes.
    static func shortestPaths(_ edges: [(VertexID, VertexID)], landmarks: [VertexID]) -> [VertexID: [VertexID: Int]] {
        let vs = vertices(edges)
        var maps = Dictionary(uniqueKeysWithValues: vs.map { ($0, [VertexID: Int]()) })
        for l in landmarks where vs.contains(l) { maps[l] = [l: 0] }
        var changed = true
        while changed {
            changed = false
            for (s, d) in edges {
                for (l, dist) in maps[d]! where maps[s]![l].map({ $0 > dist + 1 }) ?? true {
                    maps[s]![l] = dist + 1
                    changed = true
                }
            }
        }
        return maps
    }
}
