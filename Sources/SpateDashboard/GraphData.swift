import Spate

/// The program's operator graph as the page draws it: streams with their parents, and output operations.
struct GraphData: Codable, Sendable, Equatable {
    struct Node: Codable, Sendable, Equatable {
        let id: Int
        let name: String
        let parents: [Int]
        let slideMs: Int
        let isSource: Bool
    }

    struct Output: Codable, Sendable, Equatable {
        let id: Int
        let name: String
        let node: Int
    }

    let nodes: [Node]
    let outputs: [Output]

    /// No streams yet.
    static let empty = GraphData(nodes: [], outputs: [])

    init(nodes: [Node], outputs: [Output]) {
        self.nodes = nodes
        self.outputs = outputs
    }

    init(_ graph: OperatorGraph) {
        nodes = graph.nodes.map {
            Node(id: $0.id, name: $0.operatorName, parents: $0.parentIDs, slideMs: $0.slideMilliseconds,
                 isSource: $0.isSource)
        }
        outputs = graph.outputs.map { Output(id: $0.id, name: $0.name, node: $0.nodeID) }
    }

    /// Input streams' display names by id (`socketTextStream#1`).
    var sourceNames: [Int: String] {
        Dictionary(uniqueKeysWithValues: nodes.filter(\.isSource).map { ($0.id, "\($0.name)#\($0.id)") })
    }
}
