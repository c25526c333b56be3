import Logging
import Synchronization

/// The program a context runs (Spark's DStreamGraph): every DStream, the input sources, the output
/// operations, the stateful operators and recoverable sources a checkpoint saves, and the zero time batch
/// times count from.
///
/// DStreams register here as they are defined; `seal()` (at `start()` or `stop()`) ends the definition, after which a
/// new stream or output is a definition error. The scheduler reads the sources and outputs, the checkpointer
/// the participants; neither needs the context.
final class DStreamGraph: Sendable {
    let batchIntervalMs: Int
    private let logger: Logger
    private let definition = Mutex(Definition())
    /// Set once by `start(zeroMs:)`, read by every node for every batch (`isValidTime`): an atomic, not the lock.
    private let zero = Atomic<Int>(0)

    private struct Definition: Sendable {
        var sealed = false
        var nextId = 0
        var nodes: [any GraphNode] = []
        var sources: [RegisteredSource] = []
        var outputs: [OutputOperation] = []
        var errors: [any Error & Sendable] = []
        var checkpointed: [any CheckpointedOperator] = []
        var recoverableSources: [String: RecoverableSourceHandle] = [:]
        var checkpointIntervalMs: Int?
        /// What modules outside the core keep per program (`storage(_:make:)`), by type.
        var storage: [ObjectIdentifier: any Sendable] = [:]
    }

    init(batchIntervalMs: Int, logger: Logger) {
        self.batchIntervalMs = batchIntervalMs
        self.logger = logger
    }

    // MARK: Definition

    /// A new id for a stream or output named `name`; defining it after `seal()` is a definition error.
    func register(name: String) -> Int {
        definition.withLock { d in
            if d.sealed { record(SpateError.operatorAddedAfterStart(name), in: &d) }
            d.nextId += 1
            return d.nextId
        }
    }

    func add(node: any GraphNode) { definition.withLock { $0.nodes.append(node) } }

    func add(source: RegisteredSource) { definition.withLock { $0.sources.append(source) } }

    func add(output: OutputOperation) {
        definition.withLock { d in
            if d.sealed { record(SpateError.operatorAddedAfterStart(output.name), in: &d) }
            d.outputs.append(output)
        }
    }

    /// Records an invalid definition; `start()`, `advance(by:)` and `awaitTermination()` throw the first one.
    func recordDefinitionError(_ error: SpateError) {
        definition.withLock { record(error, in: &$0) }
    }

    /// Records an invalid definition that a module outside the core found, as its own typed error.
    func recordModuleDefinitionError(_ error: any Error & Sendable) {
        definition.withLock { record(error, in: &$0) }
    }

    private func record(_ error: any Error & Sendable, in d: inout Definition) {
        d.errors.append(error)
        logger.error("\(error)")
    }

    /// The first invalid definition, if any: a `SpateError`, or a module's own typed error (SpateSQL's
    /// `TableDefinitionError`).
    var firstDefinitionError: (any Error)? { definition.withLock { $0.errors.first } }

    /// Checks the definition: throws the first definition error, or `SpateError.noOutputOperations` when
    /// nothing would run.
    func validate() throws {
        try definition.withLock { d throws in
            if let first = d.errors.first { throw first }
            guard !d.outputs.isEmpty else { throw SpateError.noOutputOperations }
        }
    }

    /// Ends the definition (the context leaves its initial phase): a stream or output defined from now on
    /// is a definition error.
    func seal() { definition.withLock { $0.sealed = true } }

    /// The program's instance of `type`, made by `make` on its first use: what a module outside the core keeps
    /// per program (SpateSQL's batch claims), so it needs neither a global table nor a listener to hold it.
    func storage<Value: Sendable>(_ type: Value.Type, make: () -> Value) -> Value {
        definition.withLock { d in
            if let found = d.storage[ObjectIdentifier(type)] as? Value { return found }
            let made = make()
            d.storage[ObjectIdentifier(type)] = made
            return made
        }
    }

    // MARK: Time

    /// Fixes the zero time (batch times are zero + k x batch interval) and plans retention.
    func start(zeroMs: Int) {
        zero.store(zeroMs, ordering: .releasing)
        planRetention()
    }

    /// The zero time set by `start(zeroMs:)` (0 before).
    var zeroMs: Int { zero.load(ordering: .acquiring) }

    /// Whether a node that produces a batch every `slideMs` has one at `time`.
    func isValidTime(_ time: BatchTime, slideMs: Int) -> Bool {
        let d = time.milliseconds - zeroMs
        return d > 0 && d % slideMs == 0
    }

    /// Works out how long each node keeps its batches: outputs need their node's slide, a window needs its
    /// parent's batches over its length, and every node passes what it needs on to its parents.
    private func planRetention() {
        let (nodes, outputs) = definition.withLock { ($0.nodes, $0.outputs) }
        for output in outputs { output.node.remember(output.slideMs) }
        for node in nodes.reversed() {
            let need = node.rememberMs + node.lookbackMs + node.slideMs
            for parent in node.parentNodes {
                parent.remember(need)
                if node.lookbackMs > 0 || node.slideMs > parent.slideMs { parent.keepHistory() }
            }
        }
    }

    // MARK: Batches

    var nodes: [any GraphNode] { definition.withLock { $0.nodes } }
    var sources: [RegisteredSource] { definition.withLock { $0.sources } }
    var outputs: [OutputOperation] { definition.withLock { $0.outputs } }

    /// The output operations that run at `time` (those whose node's slide divides it).
    func outputs(at time: BatchTime) -> [OutputOperation] {
        outputs.filter { isValidTime(time, slideMs: $0.slideMs) }
    }

    /// After batch `time`: every node drops the batches no consumer will ask for again.
    func forget(before time: BatchTime) {
        for node in nodes { node.forget(before: time) }
    }

    /// The longest time any node keeps its batches.
    var maxRememberMs: Int { nodes.map(\.rememberMs).max() ?? 0 }

    /// Drops every node, source and output (they refer back to the context: a stopped context is freed).
    func clear() {
        definition.withLock { d in
            d.nodes = []
            d.sources = []
            d.outputs = []
            d.checkpointed = []
            d.recoverableSources = [:]
            d.storage = [:]
        }
    }

    // MARK: Checkpoint participants

    /// Registers a stateful operator for checkpoints; `make` gets its default name (`<operator>#<n>`).
    func addCheckpointed(operatorName: String, _ make: (String) -> any CheckpointedOperator) {
        definition.withLock { d in
            let n = d.checkpointed.filter { $0.kind.hasPrefix(operatorName + "<") }.count + 1
            d.checkpointed.append(make("\(operatorName)#\(n)"))
        }
    }

    var checkpointed: [any CheckpointedOperator] { definition.withLock { $0.checkpointed } }

    /// The key a new recoverable source named `name` gets (`name`, or `name#n` when taken).
    func recoverableSourceKey(_ name: String) -> String {
        definition.withLock { Self.freeKey(name, in: $0.recoverableSources) }
    }

    /// Registers a recoverable source under a free key derived from `name` (see `recoverableSourceKey`).
    func addRecoverableSource(named name: String, _ make: (_ key: String) -> RecoverableSourceHandle) {
        definition.withLock { d in
            let key = Self.freeKey(name, in: d.recoverableSources)
            d.recoverableSources[key] = make(key)
        }
    }

    private static func freeKey(_ name: String, in taken: [String: RecoverableSourceHandle]) -> String {
        var key = name, n = 1
        while taken[key] != nil { n += 1; key = "\(name)#\(n)" }
        return key
    }

    var recoverableSources: [String: RecoverableSourceHandle] { definition.withLock { $0.recoverableSources } }

    /// Asks for checkpoints at least every `ms` (a stream's `checkpoint(interval:)`): the shortest wins.
    func requestCheckpointInterval(_ ms: Int) {
        definition.withLock { d in d.checkpointIntervalMs = Swift.min(d.checkpointIntervalMs ?? ms, ms) }
    }

    /// The checkpoint interval the streams asked for, if any.
    var checkpointIntervalMs: Int? { definition.withLock { $0.checkpointIntervalMs } }
}

extension StreamingContext {
    /// This program's instance of `type`, made by `make` on first use (`DStreamGraph.storage(_:make:)`): where a
    /// module outside the core keeps what belongs to one program, such as SpateSQL's batch claims.
    package func programStorage<Value: Sendable>(_ type: Value.Type, make: () -> Value) -> Value {
        graph.storage(type, make: make)
    }

    /// Records an invalid definition that a module outside the core found (a typed error of its own, such as
    /// SpateSQL's `TableDefinitionError`); `start()`, `advance(by:)` and `awaitTermination()` throw the first.
    package func recordModuleDefinitionError(_ error: any Error & Sendable) {
        graph.recordModuleDefinitionError(error)
    }
}
