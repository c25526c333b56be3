/// How `StreamingKMeans` starts: Spark's `setRandomCenters` or `setInitialCenters`.
public enum InitialCenters: Sendable {
    /// `k` centres drawn from a standard normal in each of `dimension` coordinates, from a seeded generator
    /// (so runs are reproducible), each with weight `weight`.
    case random(dimension: Int, weight: Double = 0, seed: UInt64 = 42)
    /// The given centres (all of one dimension, one per cluster) and their weights (>= 0, one per centre).
    case given(centers: [Vector], weights: [Double])
}
