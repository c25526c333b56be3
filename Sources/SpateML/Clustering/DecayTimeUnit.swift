/// What one step of forgetting is, for `StreamingKMeans` (Spark's `timeUnit`, "batches" or "points").
public enum DecayTimeUnit: String, Sendable, Hashable {
    /// The decay factor applies once per batch.
    case batches
    /// The decay factor applies once per new point: a batch of m points discounts by decay^m.
    case points
}
