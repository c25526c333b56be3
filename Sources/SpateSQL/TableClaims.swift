import Spate
import Synchronization

/// The batch claims the table outputs of one context hold, and how many batches each skipped as already
/// claimed. It lives in the program's storage (`StreamingContext.programStorage(_:make:)`, kept by the
/// context's graph), so the core needs no table vocabulary.
///
/// Registering checks, at definition, what would make two outputs of one program confuse their claims: the
/// same (database, table, sink id) twice, or an append table (keyed by `(batch_time, seq)`, so two writers'
/// rows collide) written by two outputs. The conflict is thrown by the definition and also recorded as one of
/// the graph's definition errors, so `start()` refuses the program even when the definition's error was
/// ignored (`try?`).
package final class TableClaims: Sendable {
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

    /// The claims of `context`'s outputs, made on first use (under the graph's lock, so two first uses get
    /// one instance).
    package static func of(_ context: StreamingContext) -> TableClaims {
        context.programStorage(TableClaims.self) { TableClaims() }
    }

    /// Registers the output `operation` writing `table` of `database` (a path or connection string, as given)
    /// under `sink` (a claim key only when it `claimsBatches`: a versioned upsert or an output storing source
    /// offsets records no claims); throws `TableDefinitionError` saying what to change when another
    /// output of this context holds the same claim key, or when either writes the table in append mode.
    package func register(
        operation: String, database: String, table: String, sink: String, mode: TableWriteMode, claimsBatches: Bool
    ) throws(TableDefinitionError) {
        let printable = !sink.unicodeScalars.contains { $0.properties.generalCategory == .control }
        guard !sink.isEmpty, sink.count <= 200, printable else {
            throw TableDefinitionError.invalidSinkID(operation: operation, sink: sink)
        }
        try registry.withLock { r throws(TableDefinitionError) in
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
