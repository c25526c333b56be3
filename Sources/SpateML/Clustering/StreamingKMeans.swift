import Foundation
import Logging
import Spate
import Synchronization

/// Streaming k-means (Spark MLlib's `StreamingKMeans`): clusters a stream of points, updating the centres
/// once per batch with Spark's mini-batch rule and forgetting old data by a decay factor or half-life.
///
/// ```swift
/// let kmeans = try StreamingKMeans(k: 3, decayFactor: 1.0, initialCenters: .random(dimension: 2, seed: 7))
/// kmeans.trainOn(trainingPoints)                               // DStream<Vector>
/// kmeans.predictOnValues(test.map { ($0.label, $0.features) }).print()
/// try await ssc.start()
/// ```
/// Each batch, every partition assigns its points to the nearest centre and sums them per cluster on its own
/// core; the sums are then merged and the model updated once (see `StreamingKMeansModel` for the rule).
/// Points of the wrong dimension or with NaN or infinite values are dropped, counted in `droppedPoints` and
/// logged; they never reach the model. Training and prediction read the latest model when their batch runs.
public final class StreamingKMeans: Sendable {
    /// The number of clusters.
    public let k: Int
    /// The discount applied to past data per time unit (1: no forgetting, 0: only the latest batch counts).
    public let decayFactor: Double
    /// Whether the decay applies per batch or per point.
    public let timeUnit: DecayTimeUnit
    private let model: Mutex<StreamingKMeansModel>
    private let drops: DropCounter
    private let logger: Logger

    /// A clustering with `k` clusters forgetting by `decayFactor` (>= 0) per `timeUnit`.
    /// Throws `SpateMLError` for k < 1, a negative decay factor or initial centres that do not fit.
    public init(
        k: Int, decayFactor: Double = 1.0, timeUnit: DecayTimeUnit = .batches, initialCenters: InitialCenters
    ) throws {
        guard k > 0 else { throw SpateMLError.invalidParameter(name: "k", value: "\(k)", expected: "k >= 1") }
        guard decayFactor >= 0, decayFactor.isFinite else {
            throw SpateMLError.invalidParameter(
                name: "decayFactor", value: "\(decayFactor)", expected: "a finite decay factor >= 0 (1 keeps all data)")
        }
        self.k = k
        self.decayFactor = decayFactor
        self.timeUnit = timeUnit
        self.model = Mutex(try Self.makeModel(k: k, initialCenters))
        var logger = Logger(label: "spate.ml.kmeans")
        logger[metadataKey: "k"] = "\(k)"
        self.logger = logger
        self.drops = DropCounter(logger: logger, what: "points")
    }

    /// A clustering whose past data weighs half after `halfLife` batches or points (Spark's `setHalfLife`):
    /// decay factor = exp(ln(0.5) / halfLife). Throws `SpateMLError` for a half-life that is not > 0.
    public convenience init(k: Int, halfLife: Double, timeUnit: DecayTimeUnit, initialCenters: InitialCenters) throws {
        guard halfLife > 0, halfLife.isFinite else {
            throw SpateMLError.invalidParameter(name: "halfLife", value: "\(halfLife)", expected: "a half-life > 0")
        }
        try self.init(k: k, decayFactor: exp(log(0.5) / halfLife), timeUnit: timeUnit, initialCenters: initialCenters)
    }

    private static func makeModel(k: Int, _ initial: InitialCenters) throws -> StreamingKMeansModel {
        switch initial {
        case let .random(dimension, weight, seed):
            guard dimension > 0 else {
                throw SpateMLError.invalidParameter(name: "dimension", value: "\(dimension)", expected: "dimension >= 1")
            }
            guard weight >= 0, weight.isFinite else {
                throw SpateMLError.invalidParameter(name: "weight", value: "\(weight)", expected: "a weight >= 0")
            }
            var random = SeededRandom(seed: seed)
            let centers = (0..<(k * dimension)).map { _ in random.nextGaussian() }
            return StreamingKMeansModel(centers: centers, weights: Array(repeating: weight, count: k), dimension: dimension)
        case let .given(centers, weights):
            guard centers.count == k, weights.count == k else {
                throw SpateMLError.invalidInitialModel(
                    "pass k = \(k) centres and as many weights (got \(centers.count) centres, \(weights.count) weights)")
            }
            let dimension = centers[0].count
            guard dimension > 0, centers.allSatisfy({ $0.count == dimension }) else {
                throw SpateMLError.invalidInitialModel("every centre must have the same dimension >= 1")
            }
            guard centers.allSatisfy(\.isFinite) else {
                throw SpateMLError.invalidInitialModel("centres must not hold NaN or infinite values")
            }
            guard weights.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
                throw SpateMLError.invalidInitialModel("weights must be finite and >= 0, got \(weights)")
            }
            return StreamingKMeansModel(centers: centers.flatMap(\.values), weights: weights, dimension: dimension)
        }
    }

    /// The model after the last trained batch (a snapshot).
    public var latestModel: StreamingKMeansModel { model.withLock { $0 } }

    /// The points dropped so far (by training and prediction), by reason.
    public var droppedPoints: DroppedRecords { drops.snapshot }

    /// Updates the model with every batch of `data`, in batch order (an output operation; call before
    /// `start()`). Each batch costs one parallel pass over its points, O(points x k x dimension).
    public func trainOn(_ data: DStream<Vector>) {
        let sums = data.mapPartitions { [self] part in [latestModel.assignment.accumulate(part)] }
        sums.foreachBatch { [self] batch, time in
            update(with: batch.collect(), time: time)
        }
    }

    /// The index of the nearest centre for each point, with the latest model when the batch runs. Points the
    /// model cannot score are dropped and counted.
    public func predictOn(_ data: DStream<Vector>) -> DStream<Int> {
        data.mapPartitions { [self] part in
            let assignment = latestModel.assignment
            var out: [Int] = []
            out.reserveCapacity(part.count)
            var dropped = DroppedRecords()
            for point in part {
                if let c = assignment.predict(point) { out.append(c) } else { dropped.add(reason(point, assignment)) }
            }
            drops.record(dropped, context: "predictOn")
            return out
        }
    }

    /// `predictOn` for the values of a pair stream, keeping each key with its point's cluster.
    public func predictOnValues<K: Sendable>(_ data: DStream<(K, Vector)>) -> DStream<(K, Int)> {
        data.mapPartitions { [self] part in
            let assignment = latestModel.assignment
            var out: [(K, Int)] = []
            out.reserveCapacity(part.count)
            var dropped = DroppedRecords()
            for (key, point) in part {
                if let c = assignment.predict(point) {
                    out.append((key, c))
                } else {
                    dropped.add(reason(point, assignment))
                }
            }
            drops.record(dropped, context: "predictOnValues")
            return out
        }
    }

    private func reason(_ point: Vector, _ assignment: KMeansAssignment) -> DropReason {
        point.count != assignment.dimension ? .wrongDimension : .nonFinite
    }

    /// Merges the partitions' sums (in partition order) and applies one update.
    func update(with partials: [KMeansPartialSums], time: BatchTime) {
        var merged = KMeansPartialSums(k: k, dimension: latestModel.dimension)
        for p in partials { merged.merge(p) }
        drops.record(merged.dropped, context: "trainOn at \(time)")
        let report = model.withLock { m in
            let (next, report) = m.updated(with: merged, decayFactor: decayFactor, timeUnit: timeUnit)
            m = next
            return report
        }
        if let split = report.split {
            logger.info("cluster is dying: splitting the largest cluster in two", metadata: [
                "dying": "\(split.smallest)", "largest": "\(split.largest)", "time": "\(time)",
            ])
        }
        logger.debug("model updated", metadata: [
            "time": "\(time)", "points": "\(report.newPoints)", "discount": "\(report.discount)",
        ])
    }
}
