/// Entry points that let the public operators be `@inlinable`, so that their per-record closures and the
/// keyed kernels are compiled for the caller's concrete types instead of running through generic value
/// witnesses (which costs several times the work itself on hot paths).
extension DStream {
    /// `derive(_:_:)` for inlinable operators: a stream computed per batch from this one's stage.
    @usableFromInline
    func deriveStage<U: Sendable>(
        _ name: String, _ compute: @escaping @Sendable (Stage<T>, BatchTime, BatchRun) throws -> Stage<U>?
    ) -> DStream<U> {
        derive(name, compute)
    }

    /// A stream computed per batch from this stream's and `other`'s stages at the same time; nil (no batch)
    /// when neither has one.
    @usableFromInline
    func deriveStage<W: Sendable, U: Sendable>(
        _ name: String, with other: DStream<W>,
        _ compute: @escaping @Sendable (Stage<T>, Stage<W>, BatchRun) throws -> Stage<U>?
    ) -> DStream<U> {
        DStream<U>(context: context, name: name, parents: [self, other]) { [self] time, run in
            let a = try getOrCompute(time, run), b = try other.getOrCompute(time, run)
            if a == nil && b == nil { return nil }
            return try compute(a ?? .empty, b ?? .empty, run)
        }
    }
}
