import Foundation
import Spate
import Synchronization

/// Runs a streaming program deterministically in one process, for tests (Kafka Streams' TopologyTestDriver,
/// Spark's TestSuiteBase): a manual-clock context, named inputs to push batches into, named outputs that record
/// what each batch produced, and a crash-and-recover step that rebuilds the program from its checkpoint.
///
/// The program is a closure that defines the pipeline on a `TestProgram`; the driver runs it again on every
/// recovery, as `StreamingContext.getOrCreate` does, so inputs and outputs are found by name across runs.
/// ```swift
/// let driver = StreamingTestDriver(checkpointing: true) { t in
///     let counts = try t.input("lines", of: String.self)
///         .flatMap { $0.split(separator: " ").map(String.init) }
///         .map { ($0, 1) }
///         .updateStateByKey { (new: [Int], old: Int?) in (old ?? 0) + new.reduce(0, +) }
///     try t.output("counts", counts)
/// }
/// try await driver.start()
/// try driver.input("lines", of: String.self).push(["a b a"])
/// try await driver.advance(batches: 1)
/// try await driver.crashAndRecover()
/// try await driver.advance(batches: 1)
/// let counts = try driver.output("counts", of: (String, Int).self).last
/// await driver.stop()
/// ```
public final class StreamingTestDriver: Sendable {
    /// A program definition: sources from `t.input`, operators, and outputs through `t.output` (or any other
    /// output operation on `t.context`).
    public typealias Program = @Sendable (_ t: TestProgram) throws -> Void

    /// The batch interval of every context the driver makes.
    public let batchInterval: Duration
    /// The partition count of every context the driver makes.
    public let parallelism: Int
    /// Where checkpoints go (nil: the program runs without checkpoints and cannot be recovered).
    public let checkpointDirectory: URL?
    private let checkpointEvery: Int
    private let ownsDirectory: Bool
    private let program: Program
    private let state = Mutex<State>(State())

    private struct State: Sendable {
        var inputs: [String: any Sendable] = [:]
        var outputs: [String: any Sendable] = [:]
        var context: StreamingContext?
        var runs = 0
    }

    /// A driver for `program`.
    /// - Parameters:
    ///   - batchInterval: the batch interval (the manual clock advances in steps of it).
    ///   - parallelism: partitions per batch; 2 by default, so tests see more than one partition.
    ///   - checkpointing: write checkpoints, so `crash()` and `recover()` work; in `checkpointDirectory`, or in a
    ///     new temporary directory that `stop()` removes.
    ///   - checkpointEvery: write a checkpoint every this many batches (1: after every batch).
    public init(
        batchInterval: Duration = .seconds(1), parallelism: Int = 2, checkpointing: Bool = false,
        checkpointEvery: Int = 1, checkpointDirectory: URL? = nil, program: @escaping Program
    ) {
        self.batchInterval = batchInterval
        self.parallelism = parallelism
        self.checkpointEvery = Swift.max(1, checkpointEvery)
        self.program = program
        if let checkpointDirectory {
            self.checkpointDirectory = checkpointDirectory
            ownsDirectory = false
        } else if checkpointing {
            self.checkpointDirectory = FileManager.default.temporaryDirectory
                .appendingPathComponent("spate-test-driver-\(UUID().uuidString)")
            ownsDirectory = true
        } else {
            self.checkpointDirectory = nil
            ownsDirectory = false
        }
    }

    /// The running program's context (a new one after each recovery); nil before `start()`.
    public var context: StreamingContext? { state.withLock { $0.context } }

    /// How many times the program was built (1 after `start()`, one more per `recover()`).
    public var runs: Int { state.withLock { $0.runs } }

    /// Builds the program on a new manual-clock context and starts it (resuming from the checkpoint directory
    /// when it already holds a checkpoint).
    public func start() async throws {
        let ssc = try build()
        try await ssc.start()
    }

    /// Runs the next `batches` batches and returns when their outputs completed.
    public func advance(batches: Int = 1) async throws {
        try await advance(by: batchInterval * batches)
    }

    /// Advances the manual clock by `duration`, running every batch that falls in it.
    public func advance(by duration: Duration) async throws {
        guard let ssc = context, ssc.isActive else { throw SpateTestingError.notRunning("advance") }
        try await ssc.advance(by: duration)
    }

    /// The batch time the manual clock stands at: the last batch generated (after a recovery, the checkpoint's
    /// batch, so the next `advance` re-runs what the crash interrupted).
    public var time: BatchTime? { context?.manualClockTime }

    /// The input named `name` (defined by the program with `t.input(name, of:)`).
    public func input<T: Sendable>(_ name: String, of type: T.Type = T.self) throws -> TestInput<T> {
        try lookup(\.inputs, "input", name)
    }

    /// The output named `name` (defined by the program with `t.output(name, stream)`).
    public func output<T: Sendable>(_ name: String, of type: T.Type = T.self) throws -> TestOutput<T> {
        try lookup(\.outputs, "output", name)
    }

    private func lookup<E: Sendable>(
        _ table: KeyPath<State, [String: any Sendable]> & Sendable, _ kind: String, _ name: String
    ) throws -> E {
        guard let any = state.withLock({ $0[keyPath: table][name] }) else {
            throw SpateTestingError.unknown(kind: kind, name: name)
        }
        return try Self.cast(any, name)
    }

    /// Ends the running program as a crash would: no graceful stop, no final checkpoint; what was checkpointed
    /// stays on disk (the checkpoint being written is finished first, as if the crash came right after it).
    public func crash() async throws {
        guard checkpointDirectory != nil else { throw SpateTestingError.checkpointingRequired("crash()") }
        guard let ssc = state.withLock({ s -> StreamingContext? in defer { s.context = nil }; return s.context }) else {
            throw SpateTestingError.notRunning("crash()")
        }
        await ssc.stop(graceful: false)
    }

    /// Rebuilds the program from the newest checkpoint on a new context and starts it: state, source positions
    /// and batches in flight are restored; the clock stands at the checkpoint's batch.
    public func recover() async throws {
        guard checkpointDirectory != nil else { throw SpateTestingError.checkpointingRequired("recover()") }
        if let previous = context, previous.isActive { throw SpateTestingError.notRunning("recover() while running: call crash() first") }
        try await start()
    }

    /// `crash()` then `recover()`.
    public func crashAndRecover() async throws {
        try await crash()
        try await recover()
    }

    /// Stops the running program (graceful by default) and removes the temporary checkpoint directory the
    /// driver made.
    public func stop(graceful: Bool = true) async {
        let ssc = state.withLock { s -> StreamingContext? in defer { s.context = nil }; return s.context }
        await ssc?.stop(graceful: graceful)
        if ownsDirectory, let dir = checkpointDirectory { try? FileManager.default.removeItem(at: dir) }
    }

    // MARK: Building the program

    private func build() throws -> StreamingContext {
        let make = { [self] () throws -> StreamingContext in
            let ssc = StreamingContext(batchInterval: batchInterval, parallelism: parallelism, clock: .manual)
            try program(TestProgram(driver: self, context: ssc))
            return ssc
        }
        let ssc = try checkpointDirectory.map { try StreamingContext.getOrCreate(checkpoint: $0, create: make) } ?? make()
        state.withLock { s in
            s.context = ssc
            s.runs += 1
        }
        return ssc
    }

    /// The input for this run: the one of an earlier run under the same name, or a new one.
    func attachInput<T: Sendable>(_ name: String, of type: T.Type, to ssc: StreamingContext) throws -> DStream<T> {
        let input = try entry(\.inputs, name) { TestInput<T>(name: name) }
        return withCheckpointInterval(input.stream(in: ssc))
    }

    /// The output for this run: the one of an earlier run under the same name, or a new one.
    func attachOutput<T: Sendable>(_ name: String, _ stream: DStream<T>) throws {
        let output = try entry(\.outputs, name) { TestOutput<T>(name: name) }
        withCheckpointInterval(stream).foreachBatch { batch, time in output.record(batch.collect(), at: time) }
    }

    /// The entry `name` of `table` made by an earlier run of the program, or a new one from `make`.
    private func entry<E: Sendable>(
        _ table: WritableKeyPath<State, [String: any Sendable]> & Sendable, _ name: String, make: () -> E
    ) throws -> E {
        try state.withLock { s throws -> E in
            guard let existing = s[keyPath: table][name] else {
                let made = make()
                s[keyPath: table][name] = made
                return made
            }
            return try Self.cast(existing, name)
        }
    }

    @discardableResult
    private func withCheckpointInterval<T: Sendable>(_ stream: DStream<T>) -> DStream<T> {
        guard checkpointDirectory != nil else { return stream }
        return stream.checkpoint(interval: batchInterval * checkpointEvery)
    }

    /// `entry` as an `E` (a `TestInput<T>` or `TestOutput<T>`), or an error naming both element types.
    private static func cast<E>(_ entry: any Sendable, _ name: String) throws -> E {
        guard let typed = entry as? E else {
            throw SpateTestingError.typeMismatch(
                name: name, expected: elementName("\(E.self)"), actual: elementName("\(type(of: entry))"))
        }
        return typed
    }

    /// "TestInput<Int>" -> "Int".
    private static func elementName(_ typeName: String) -> String {
        guard let open = typeName.firstIndex(of: "<"), typeName.last == ">" else { return typeName }
        return String(typeName[typeName.index(after: open)..<typeName.index(before: typeName.endIndex)])
    }
}

/// What a program under test defines its inputs and outputs with.
public final class TestProgram: Sendable {
    /// The context of this run of the program (define other sources and outputs on it as usual).
    public let context: StreamingContext
    private let driver: StreamingTestDriver
    private let names = Mutex<Set<String>>([])

    init(driver: StreamingTestDriver, context: StreamingContext) {
        self.driver = driver
        self.context = context
    }

    /// A stream of the batches pushed into the driver's input `name`, one batch per batch time.
    public func input<T: Sendable>(_ name: String, of type: T.Type = T.self) throws -> DStream<T> {
        try claim("input", name)
        return try driver.attachInput(name, of: type, to: context)
    }

    /// Records every batch of `stream` in the driver's output `name`.
    public func output<T: Sendable>(_ name: String, _ stream: DStream<T>) throws {
        try claim("output", name)
        try driver.attachOutput(name, stream)
    }

    private func claim(_ kind: String, _ name: String) throws {
        guard names.withLock({ $0.insert("\(kind):\(name)").inserted }) else {
            throw SpateTestingError.duplicateName(kind: kind, name: name)
        }
    }
}
