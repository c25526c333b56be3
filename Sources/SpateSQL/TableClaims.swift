import Spate
import Synchronization

/// The batch claims the table outputs of one context hold, and how many batches each skipped as already
/// claimed. It rides on the context as a listener that listens to nothing (a module finds its own listener
/// among `registeredListeners`), so the core needs no table vocabulary.
///
/// Registering checks, at definition, what would make two outputs of one program confuse their claims: the
/// same (database, table, sink id) twice, or an append table (keyed by `(batch_time, seq)`, so two writers'
/// rows collide) written by two outputs.
package final class TableClaims: StreamingListener {
    /// One output's claim key.
    struct Key: Hashable {
        let database: String
        let table: String
        let sink: String
    }

    private struct Registry {
        var keys: Set<Key> = []
        /// The mode of every (database, table) an output writes.
        var modes: [[String]: TableWriteMode] = [:]
        var skipped: [String: Int] = [:]
    }

    private let registry = Mutex(Registry())

    private init() {}

    /// The claims of `context`'s outputs (added to its listeners on first use). Outputs are defined on one
    /// thread before `start()`, so two first uses do not race.
    package static func of(_ context: StreamingContext) -> TableClaims {
        if let found = context.registeredListeners.lazy.compactMap({ $0 as? TableClaims }).first { return found }
        let claims = TableClaims()
        context.addListener(claims)
        return claims
    }

    /// Registers the output `operation` writing `table` of `database` (a path or connection string, as given)
    /// under `sink` (a claim key only when it `claimsBatches`: a versioned upsert or an output storing source
    /// offsets records no claims); throws `TableDefinitionError` saying what to change when another
    /// output of this context holds the same claim key, or when either writes the table in append mode.
    package func register(
        operation: String, database: String, table: String, sink: String, mode: TableWriteMode, claimsBatches: Bool
    ) throws {
        let printable = !sink.unicodeScalars.contains { $0.properties.generalCategory == .control }
        guard !sink.isEmpty, sink.count <= 200, printable else {
            throw TableDefinitionError.invalidSinkID(operation: operation, sink: sink)
        }
        try registry.withLock { r in
            let place = [database, table]
            if let other = r.modes[place], other == .append || mode == .append {
                throw TableDefinitionError.appendTableShared(
                    operation: operation, database: database, table: table, mode: other)
            }
            guard !claimsBatches || r.keys.insert(Key(database: database, table: table, sink: sink)).inserted else {
                throw TableDefinitionError.sinkIDShared(
                    operation: operation, database: database, table: table, sink: sink)
            }
            r.modes[place] = mode
        }
    }

    /// Counts a batch `operation` skipped because its claim was recorded already.
    package func countSkipped(_ operation: String) {
        registry.withLock { $0.skipped[operation, default: 0] += 1 }
    }

    /// How many batches the output `operation` skipped as already claimed.
    package func skippedBatches(_ operation: String) -> Int {
        registry.withLock { $0.skipped[operation] ?? 0 }
    }
}
