/// The state of one key inside a `mapWithState` function (Spark's `State`).
///
/// The function reads the key's current state with `exists`, `get()` or `getOption()`, and changes it with
/// `update(_:)` or `remove()`. When a key times out the function is called one last time with a nil value
/// and `isTimingOut == true`; the state is then removed whatever the function does.
/// ```swift
/// let spec = StateSpec.function { (word: String, count: Int?, state: State<Int>) -> (String, Int) in
///     let sum = (count ?? 0) + (state.getOption() ?? 0)
///     if !state.isTimingOut { state.update(sum) }
///     return (word, sum)
/// }
/// ```
/// A `State` is only valid during the call it is passed to; do not keep it.
public final class State<S> {
    // Internal but `@usableFromInline`, with `@inlinable` accessors: the mapping function runs once per
    // record, and these then compile for the caller's state type instead of through generic witnesses.
    // `@exclusivity(unchecked)`: one State object serves one partition's calls on one thread, and no
    // accessor hands out an `inout` to these properties, so runtime exclusivity checks (a thread-local
    // access set, several times the cost of the access itself) can find no conflict.
    @exclusivity(unchecked) @usableFromInline var value: S?
    @exclusivity(unchecked) @usableFromInline var isUpdated = false
    @exclusivity(unchecked) @usableFromInline var isRemoved = false
    @exclusivity(unchecked) @usableFromInline var timingOut = false
    /// Misuses in the current call (update or remove of a timing-out state, update after remove, ...).
    @exclusivity(unchecked) @usableFromInline var misuses: [StateMisuse] = []

    @usableFromInline init() {}

    /// Whether this is the final call for a key that timed out (its value is nil). Its state can be read
    /// but not updated or removed: it is removed after the call.
    @inlinable public var isTimingOut: Bool { timingOut }

    /// Whether the key has a state.
    @inlinable public var exists: Bool { value != nil }

    /// The key's state. Requires `exists`: check it first, or use `getOption()`.
    ///
    /// Calling `get()` when the state does not exist is a programming error and traps (Spark throws
    /// `NoSuchElementException`).
    @inlinable public func get() -> S {
        guard let value else {
            preconditionFailure("State.get(): the state does not exist; check state.exists first or use state.getOption()")
        }
        return value
    }

    /// The key's state, or nil when it has none.
    @inlinable public func getOption() -> S? { value }

    /// Sets the key's state. Not allowed on a timing-out state or after `remove()` in the same call; such a
    /// call is ignored and counted as a failed record in the batch's `BatchInfo.failedRecords`.
    @inlinable public func update(_ newState: S) {
        if timingOut { misuses.append(.updateWhileTimingOut); return }
        if isRemoved { misuses.append(.updateAfterRemove); return }
        value = newState
        isUpdated = true
    }

    /// Removes the key's state. Not allowed on a timing-out state (it is removed anyway) or twice in a call;
    /// such a call is ignored and counted as a failed record.
    @inlinable public func remove() {
        if timingOut { misuses.append(.removeWhileTimingOut); return }
        if isRemoved { misuses.append(.removedTwice); return }
        value = nil
        isUpdated = false
        isRemoved = true
    }

    /// Prepares the object for a call on a key whose current state is `state`.
    @inlinable func wrap(_ state: S?, timingOut: Bool = false) {
        value = state
        isUpdated = false
        isRemoved = false
        self.timingOut = timingOut
        if !misuses.isEmpty { misuses.removeAll(keepingCapacity: true) }
    }
}

extension State: CustomStringConvertible {
    public var description: String {
        value.map { "State(\($0))" } ?? "State(<none>)"
    }
}

/// A misuse of `State` inside a mapWithState function; counted as a failed record, never a crash.
@usableFromInline
enum StateMisuse: Error, Sendable, CustomStringConvertible {
    case updateWhileTimingOut, removeWhileTimingOut, updateAfterRemove, removedTwice

    @usableFromInline var description: String {
        switch self {
        case .updateWhileTimingOut:
            return "State.update(_:) called on a state that is timing out: check state.isTimingOut before updating"
        case .removeWhileTimingOut:
            return "State.remove() called on a state that is timing out (it is removed anyway): check state.isTimingOut"
        case .updateAfterRemove:
            return "State.update(_:) called after State.remove() in the same call: update or remove, not both"
        case .removedTwice:
            return "State.remove() called twice in the same call: remove the state once"
        }
    }
}

/// What `mapWithState` does: the mapping function plus optional timeout, partition count and initial state
/// (Spark's `StateSpec`).
///
/// ```swift
/// let spec = StateSpec.function { (word: String, one: Int?, state: State<Int>) -> (String, Int) in
///     let sum = (one ?? 0) + (state.getOption() ?? 0)
///     if !state.isTimingOut { state.update(sum) }
///     return (word, sum)
/// }
/// .timeout(.seconds(30))
/// .initialState([("hello", 1)])
/// let running = words.map { ($0, 1) }.mapWithState(spec)
/// ```
public struct StateSpec<K: Hashable & Sendable, V: Sendable, S: Sendable, R: Sendable>: Sendable {
    @usableFromInline let function: @Sendable (K, V?, State<S>) throws -> R
    /// How long a key may go without data before it times out; nil: never.
    public private(set) var timeoutInterval: Duration?
    /// The number of state partitions; nil: the context's parallelism.
    public private(set) var partitionCount: Int?
    /// The state keys start with, before the first batch.
    public private(set) var initialStates: [(K, S)] = []

    /// A spec calling `function(key, value, state)` for every record of each batch (value non-nil), and once
    /// more with a nil value when a key times out. The function's return values form the result stream; a
    /// function that throws is counted as a failed record and leaves the key's state unchanged.
    public static func function(_ function: @escaping @Sendable (K, V?, State<S>) throws -> R) -> StateSpec {
        StateSpec(function: function)
    }

    /// Removes the state of keys that received no data for at least `duration` of batch time, after a final
    /// call with a nil value and `state.isTimingOut == true`.
    /// ```swift
    /// let spec = StateSpec.function(track).timeout(.seconds(60))
    /// ```
    public func timeout(_ duration: Duration) -> StateSpec {
        var copy = self
        copy.timeoutInterval = duration
        return copy
    }

    /// Keeps the state in `count` hash partitions (default: the context's parallelism).
    public func numPartitions(_ count: Int) -> StateSpec {
        var copy = self
        copy.partitionCount = count
        return copy
    }

    /// Starts the state with `states` (for a key listed twice, the last state wins). Initial states count as
    /// updated at the first batch for timeouts.
    /// ```swift
    /// let spec = StateSpec.function(track).initialState([("a", 10), ("b", 3)])
    /// ```
    public func initialState(_ states: [(K, S)]) -> StateSpec {
        var copy = self
        copy.initialStates = states
        return copy
    }
}
