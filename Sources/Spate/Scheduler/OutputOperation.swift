import Logging

/// An output operation registered on the graph: it runs once per batch at each of its node's slide times.
struct OutputOperation: Sendable {
    let id: Int
    let name: String
    let node: any GraphNode
    var slideMs: Int { node.slideMs }
    let run: @Sendable (BatchTime, BatchRun) async throws -> Void
    /// Flushes and closes the output's sink when the context stops (nil: the output holds nothing).
    let close: (@Sendable () async throws -> Void)?

    init(
        id: Int, name: String, node: any GraphNode, close: (@Sendable () async throws -> Void)? = nil,
        run: @escaping @Sendable (BatchTime, BatchRun) async throws -> Void
    ) {
        self.id = id
        self.name = name
        self.node = node
        self.close = close
        self.run = run
    }

    /// Closes every output of a stopping context, in order of definition, once no batch runs any more; each
    /// failure is logged. Returns the error the context stops with: `error` when it had one, else the first
    /// close failure (so a graceful stop whose flush failed is not reported as a clean end).
    static func close(_ outputs: [OutputOperation], stoppedBy error: (any Error)?, logger: Logger) async
        -> (any Error)?
    {
        var first = error
        for output in outputs {
            guard let close = output.close else { continue }
            do {
                try await close()
            } catch {
                logger.error("closing an output failed", metadata: ["output": "\(output.name)", "error": "\(error)"])
                first = first ?? error
            }
        }
        return first
    }
}
