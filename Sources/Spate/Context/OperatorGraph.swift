/// A read-only view of a context's program, for tools that show it (the dashboard's operator graph).
package struct OperatorGraph: Sendable, Equatable {
    /// One DStream of the program.
    package struct Node: Sendable, Equatable {
        /// The stream's id (its order of definition; input streams share ids with `BatchInfo.streamIdToNumRecords`).
        package let id: Int
        /// The operator that made it, such as `map` or `reduceByKeyAndWindow`.
        package let operatorName: String
        /// The ids of the streams it reads.
        package let parentIDs: [Int]
        /// How often it produces a batch, in milliseconds.
        package let slideMilliseconds: Int
        /// Whether it is an input stream.
        package let isSource: Bool
    }

    /// One output operation and the stream it consumes.
    package struct Output: Sendable, Equatable {
        /// The output operation's id (as in `OutputOperationInfo.id`).
        package let id: Int
        /// Its name, such as `print`.
        package let name: String
        /// The id of the stream it consumes.
        package let nodeID: Int
    }

    /// Every stream, in order of definition.
    package let nodes: [Node]
    /// Every output operation, in order of definition.
    package let outputs: [Output]
}

extension StreamingContext {
    /// The program as defined so far; empty once the context has stopped (it drops its graph then).
    package var operatorGraph: OperatorGraph {
        let (nodes, sources, outputs) = (graph.nodes, graph.sources, graph.outputs)
        let sourceIDs = Set(sources.map(\.id))
        return OperatorGraph(
            nodes: nodes.map { node in
                OperatorGraph.Node(
                    id: node.id, operatorName: node.operatorName, parentIDs: node.parentNodes.map(\.id),
                    slideMilliseconds: node.slideMs, isSource: sourceIDs.contains(node.id))
            },
            outputs: outputs.map { OperatorGraph.Output(id: $0.id, name: $0.name, nodeID: $0.node.id) })
    }

    /// The listeners added so far (a module finds its own listener among them).
    package var registeredListeners: [any StreamingListener] { listenerBus.all }

    /// The batch interval in whole milliseconds.
    package var batchIntervalMilliseconds: Int { batchIntervalMs }
}

extension DStream {
    /// Registers an output operation named `name` (shown in `BatchInfo.outputOperations` and the dashboard)
    /// that runs `body` on every batch, as `foreachBatch` does.
    package func foreachBatch(
        named name: String, _ body: @escaping @Sendable (Batch<T>, BatchTime) async throws -> Void
    ) {
        foreachBatch(name: name, body)
    }
}

extension StreamingContext {
    /// Stops the context with `error`, as a failed output does (`awaitTermination()` rethrows it): for a
    /// connector's source that finds it cannot go on. Call it from a task of its own, not from within a batch.
    package func stop(failingWith error: any Error) async { await stop(graceful: false, error: error) }

    /// Where the manual clock stands: the last batch time `advance(by:)` reached, or a recovered checkpoint's
    /// batch (nil for the system clock).
    package var manualClockTime: BatchTime? {
        guard clock == .manual else { return nil }
        return BatchTime(milliseconds: state.withLock { $0.manualNowMs })
    }
}
