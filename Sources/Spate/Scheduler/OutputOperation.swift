/// An output operation registered on the graph: it runs once per batch at each of its node's slide times.
struct OutputOperation: Sendable {
    let id: Int
    let name: String
    let node: any GraphNode
    var slideMs: Int { node.slideMs }
    let run: @Sendable (BatchTime, BatchRun) async throws -> Void
}
