/// Count, mean, variance, min and max of a stream of numbers in one pass and constant space (Welford's
/// algorithm), mergeable across partitions and batches (Chan et al.'s parallel update), like Spark's
/// `StatCounter`.
///
/// ```swift
/// var stats = OnlineStatistics()
/// for x in [1.0, 2.0, 4.0] { stats.add(x) }
/// stats.mean        // 2.333...
/// stats.variance    // population variance; sampleVariance divides by count - 1
/// ```
/// NaN and infinite values are not added (they would poison every statistic); they are counted in
/// `nonFiniteCount`.
public struct OnlineStatistics: Sendable, Hashable, CustomStringConvertible {
    /// The number of values added.
    public private(set) var count = 0
    /// Their mean (0 when there are none).
    public private(set) var mean = 0.0
    /// The sum of squared deviations from the mean.
    private var m2 = 0.0
    /// The smallest value (+infinity when there are none).
    public private(set) var min = Double.infinity
    /// The largest value (-infinity when there are none).
    public private(set) var max = -Double.infinity
    /// The NaN or infinite values skipped.
    public private(set) var nonFiniteCount = 0

    /// No values yet.
    public init() {}

    /// The statistics of `values`.
    public init<S: Sequence>(_ values: S) where S.Element == Double {
        for x in values { add(x) }
    }

    /// Adds one value. O(1).
    public mutating func add(_ x: Double) {
        guard x.isFinite else {
            nonFiniteCount += 1
            return
        }
        count += 1
        let delta = x - mean
        mean += delta / Double(count)
        m2 += delta * (x - mean)
        min = Swift.min(min, x)
        max = Swift.max(max, x)
    }

    /// Adds every value `other` has seen. O(1).
    public mutating func merge(_ other: OnlineStatistics) {
        nonFiniteCount += other.nonFiniteCount
        guard other.count > 0 else { return }
        guard count > 0 else {
            let skipped = nonFiniteCount
            self = other
            nonFiniteCount = skipped
            return
        }
        let n = Double(count + other.count)
        let delta = other.mean - mean
        // Weighted mean; when the other side is much larger, start from its mean (Spark's StatCounter does too).
        if other.count * 10 < count {
            mean += delta * Double(other.count) / n
        } else if count * 10 < other.count {
            mean = other.mean - delta * Double(count) / n
        } else {
            mean = (mean * Double(count) + other.mean * Double(other.count)) / n
        }
        m2 += other.m2 + delta * delta * Double(count) * Double(other.count) / n
        count += other.count
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
    }

    /// `merge` returning a new value.
    public func merging(_ other: OnlineStatistics) -> OnlineStatistics {
        var copy = self
        copy.merge(other)
        return copy
    }

    /// The population variance (sum of squared deviations / count); 0 when there are no values.
    public var variance: Double { count == 0 ? 0 : m2 / Double(count) }

    /// The sample variance (divided by count - 1); 0 with fewer than two values.
    public var sampleVariance: Double { count < 2 ? 0 : m2 / Double(count - 1) }

    /// The population standard deviation.
    public var stdev: Double { variance.squareRoot() }

    /// The sum of the values.
    public var sum: Double { mean * Double(count) }

    /// For example `(count: 3, mean: 2.0, stdev: 0.8, max: 3.0, min: 1.0)`, as Spark's StatCounter prints.
    public var description: String {
        "(count: \(count), mean: \(mean), stdev: \(stdev), max: \(max), min: \(min))"
    }
}
