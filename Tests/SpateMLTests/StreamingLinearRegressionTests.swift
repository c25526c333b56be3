import Foundation
import Spate
import Testing
@testable import SpateML

/// Spark's GradientDescent.runMiniBatchSGD with miniBatchFraction 1, written plainly.
func referenceSGD(
    _ points: [LabeledPoint], from initial: [Double], stepSize: Double = 0.1, iterations: Int = 50,
    regParam: Double = 0, logistic: Bool = false, tolerance: Double = 0.001
) -> [Double] {
    guard !points.isEmpty else { return initial }
    var w = initial
    var previous: [Double]?
    for i in 1...max(iterations, 1) where iterations > 0 {
        var g = [Double](repeating: 0, count: w.count)
        for p in points {
            var dot = 0.0
            for j in w.indices { dot += p.features[j] * w[j] }
            let m = logistic ? 1 / (1 + exp(-dot)) - p.label : dot - p.label
            for j in w.indices { g[j] += m * p.features[j] }
        }
        let step = stepSize / Double(i).squareRoot()
        if logistic { for j in w.indices { w[j] *= 1 - step * regParam } }
        for j in w.indices { w[j] -= step * (g[j] / Double(points.count)) }
        if let previous {
            var diff = 0.0, norm = 0.0
            for j in w.indices { diff += (previous[j] - w[j]) * (previous[j] - w[j]); norm += w[j] * w[j] }
            if diff.squareRoot() < tolerance * max(norm.squareRoot(), 1) { return w }
        }
        previous = w
    }
    return w
}

func linearData(_ rng: inout TestRandom, weights: [Double], points: Int, noise: Double) -> [LabeledPoint] {
    (0..<points).map { _ in
        let x = weights.map { _ in rng.gaussian() }
        let y = zip(x, weights).reduce(0) { $0 + $1.0 * $1.1 } + noise * rng.gaussian()
        return LabeledPoint(label: y, features: Vector(x))
    }
}

@Suite("StreamingLinearRegressionWithSGD")
struct StreamingLinearRegressionTests {
    @Test("Spark's defaults: step 0.1, 50 iterations, whole batch, tolerance 0.001")
    func defaults() throws {
        let model = try StreamingLinearRegressionWithSGD(initialWeights: .zeros(2))
        #expect(model.stepSize == 0.1 && model.numIterations == 50 && model.miniBatchFraction == 1)
        #expect(model.convergenceTol == 0.001)
        #expect(model.latestModel.weights == [0, 0] && model.latestModel.intercept == 0)
    }

    @Test("one iteration on one point is computed by hand: w = -0.1 x (w.x - y) x")
    func handComputed() async throws {
        let ssc = manualContext()
        let model = try StreamingLinearRegressionWithSGD(initialWeights: [0, 0], numIterations: 1)
        model.trainOn(ssc.queueStream([[LabeledPoint(label: 2, features: [1, 3])]]))
        try await run(ssc, batches: 1)
        // gradient = (0 - 2) x [1, 3] = [-2, -6]; w = 0 - 0.1 x gradient = [0.2, 0.6].
        #expect(close(model.latestModel.weights.values, [0.2, 0.6]))
    }

    @Test("given several batches, the weights equal the plain reference")
    func matchesReference() async throws {
        var rng = TestRandom(seed: 5)
        let batches = (0..<4).map { _ in linearData(&rng, weights: [1.5, -0.5, 2.0, 0.3, -1.0], points: 83, noise: 0.1) }
        let ssc = manualContext()
        let model = try StreamingLinearRegressionWithSGD(initialWeights: .zeros(5))
        model.trainOn(ssc.queueStream(batches + [[]]))
        var w = [Double](repeating: 0, count: 5)
        try await ssc.start()
        for batch in batches {
            try await ssc.advance(by: .seconds(1))
            w = referenceSGD(batch, from: w)
            #expect(close(model.latestModel.weights.values, w))
        }
        try await ssc.advance(by: .seconds(1))  // an empty batch leaves the model as it is
        await ssc.stop()
        #expect(close(model.latestModel.weights.values, w))
    }

    @Test("given data from known weights, the model recovers them within 1e-2")
    func convergence() async throws {
        var rng = TestRandom(seed: 8)
        let truth = [2.0, -1.0, 0.5]
        let batches = (0..<20).map { _ in linearData(&rng, weights: truth, points: 500, noise: 0.1) }
        let ssc = manualContext()
        let model = try StreamingLinearRegressionWithSGD(initialWeights: .zeros(3), stepSize: 0.5)
        model.trainOn(ssc.queueStream(batches))
        try await run(ssc, batches: 20)
        for (w, t) in zip(model.latestModel.weights, truth) { #expect(abs(w - t) < 1e-2, "\(model.latestModel.weights)") }
    }

    @Test("predictOn and predictOnValues score with the latest weights")
    func prediction() async throws {
        let ssc = manualContext()
        let model = try StreamingLinearRegressionWithSGD(initialWeights: [2, -1])
        let plain = Collector(model.predictOn(ssc.queueStream([[[1, 1] as Vector, [3, 0]]])))
        let keyed = Collector(model.predictOnValues(ssc.queueStream([[(7.0, [1, 2] as Vector)]])))
        try await run(ssc, batches: 1)
        #expect(plain.results.first?.sorted() == [1, 6])
        #expect(keyed.results.first?.first?.0 == 7 && keyed.results.first?.first?.1 == 0)
    }

    @Test("given bad points, they are dropped and counted, and the model trains on the rest")
    func badInput() async throws {
        var rng = TestRandom(seed: 2)
        let clean = linearData(&rng, weights: [1, 2], points: 50, noise: 0)
        let bad = [
            LabeledPoint(label: 1, features: [1, 2, 3]), LabeledPoint(label: .nan, features: [1, 2]),
            LabeledPoint(label: 1, features: [.infinity, 2]), LabeledPoint(label: 1, features: [1]),
        ]
        let ssc = manualContext()
        let model = try StreamingLinearRegressionWithSGD(initialWeights: .zeros(2))
        model.trainOn(ssc.queueStream([bad + clean]))
        try await run(ssc, batches: 1)
        #expect(close(model.latestModel.weights.values, referenceSGD(clean, from: [0, 0])))
        #expect(model.droppedPoints[.wrongDimension] == 2)
        #expect(model.droppedPoints[.nonFinite] == 2)
        #expect(model.droppedPoints.total == 4)
    }

    @Test("invalid parameters throw")
    func invalidParameters() {
        #expect(throws: SpateMLError.self) { try StreamingLinearRegressionWithSGD(initialWeights: [], stepSize: 0.1) }
        #expect(throws: SpateMLError.self) { try StreamingLinearRegressionWithSGD(initialWeights: [1], stepSize: 0) }
        #expect(throws: SpateMLError.self) { try StreamingLinearRegressionWithSGD(initialWeights: [1], miniBatchFraction: 0) }
    }
}
