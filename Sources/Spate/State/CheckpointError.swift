/// Errors reading, applying or writing a checkpoint. `start()` throws them when a program cannot be
/// checkpointed or cannot resume from the checkpoint `getOrCreate(checkpoint:create:)` found; each message
/// says what to change.
public enum CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A checkpoint file cannot be read (no Spate header, another format version, truncated, a checksum
    /// mismatch, an unreadable payload). Recovery skips such a file with a warning and uses the previous one.
    case corrupt(path: String, reason: String)
    /// The newest checkpoint file was written in another format version (by another Spate version). Recovery
    /// neither skips nor deletes it: `getOrCreate(checkpoint:create:)` throws this, naming both versions.
    case formatVersionMismatch(path: String, fileVersion: UInt32, supportedVersion: UInt32)
    /// The checkpoint was written by a program with another batch interval: batch times would not line up.
    case batchIntervalChanged(checkpointMilliseconds: Int, programMilliseconds: Int)
    /// The checkpoint holds the state of operator `name` (of `kind`), which this program does not define.
    case operatorNotInProgram(name: String, kind: String)
    /// The program's operator `name` is of another kind (operator or types) than the one checkpointed under
    /// that name.
    case operatorKindChanged(name: String, programKind: String, checkpointKind: String)
    /// The checkpointed state of operator `operatorName` does not read back as the program's types.
    case unreadableState(operatorName: String, reason: String)
    /// A stateful operator's key or state `type` is not Codable, so its state cannot be checkpointed.
    case notCodable(operatorName: String, type: String)
    /// Two stateful operators have the same name, so a checkpoint could not tell their states apart.
    case duplicateOperatorName(String)
    /// A checkpoint file could not be written (the batches go on; the previous checkpoint stays in use).
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .corrupt(path, reason):
            return "checkpoint \(path) is corrupt (\(reason)): delete the file, or start from an empty checkpoint directory"
        case let .formatVersionMismatch(path, file, supported):
            return "checkpoint \(path) is in format version \(file), this Spate reads version \(supported): run the "
                + "Spate version that wrote it, or move the checkpoint directory aside and start from an empty one "
                + "(the file is left as it is)"
        case let .batchIntervalChanged(checkpoint, program):
            return "the checkpoint was written with a batch interval of \(checkpoint) ms, this program uses "
                + "\(program) ms: use the same batch interval, or an empty checkpoint directory"
        case let .operatorNotInProgram(name, kind):
            return "operator '\(name)' (\(kind)) is in the checkpoint but not in this program: keep the "
                + "operator and its name (.named(_:)), or start from an empty checkpoint directory"
        case let .operatorKindChanged(name, program, checkpoint):
            return "operator '\(name)' is \(program) in this program but \(checkpoint) in the checkpoint: "
                + "give it another name with .named(_:), or start from an empty checkpoint directory"
        case let .unreadableState(name, reason):
            return "operator '\(name)': the checkpointed state cannot be read (\(reason)): keep the operator's "
                + "key and state types, give it another name with .named(_:), or start from an empty checkpoint directory"
        case let .notCodable(name, type):
            return "operator '\(name)' cannot be checkpointed: \(type) is not Codable; make its key and state "
                + "types Codable, or remove ssc.checkpoint(directory:)"
        case let .duplicateOperatorName(name):
            return "two stateful operators are named '\(name)': give each a distinct name with .named(_:)"
        case let .writeFailed(path, reason):
            return "cannot write checkpoint \(path): \(reason); check the directory's permissions and free space"
        }
    }
}
