import Foundation
import Spate
import Testing
@testable import SpateML

func logisticData(_ rng: inout TestRandom, weights: [Double], points: Int) -> [LabeledPoint] {
    (0..<points).map { _ in
        let x = weights.map { _ in rng.gaussian() }
        let p = 1 / (1 + exp(-zip(x, weights).reduce(0) { $0 + $1.0 * $1.1 }))
        return LabeledPoint(label: rng.uniform(0...1) < p ? 1 : 0, features: Vector(x))
    }
}

@Suite("StreamingLogisticRegressionWithSGD")
struct StreamingLogisticRegressionTests {
    @Test("Spark's defaults: step 0.1, 50 iterations, whole batch, regParam 0")
    func defaults() throws {
        let model = try StreamingLogisticRegressionWithSGD(initialWeights: .zeros(2))
        #expect(model.stepSize == 0.1 && model.numIterations == 50 && model.miniBatchFraction == 1 && model.regParam == 0)
        #expect(model.latestModel.threshold == 0.5)
    }

    @Test("one iteration with L2 regularization is computed by hand")
    func handComputed() async throws {
        let ssc = manualContext()
        let model = try StreamingLogisticRegressionWithSGD(initialWeights: [1, 0], numIterations: 1, regParam: 0.5)
        model.trainOn(ssc.queueStream([[LabeledPoint(label: 0, features: [2, 1])]]))
        try await run(ssc, batches: 1)
        // margin = 2, gradient = sigmoid(2) x [2, 1]; w = (1 - 0.1 x 0.5) x [1, 0] - 0.1 x gradient.
        let s = 1 / (1 + exp(-2.0))
        #expect(close(model.latestModel.weights.values, [0.95 - 0.2 * s, -0.1 * s]))
    }

    @Test("given several batches with regParam, the weights equal the plain reference (SquaredL2Updater)")
    func matchesReference() async throws {
        var rng = TestRandom(seed: 21)
        let batches = (0..<4).map { _ in logisticData(&rng, weights: [1.5, -2.0, 0.5], points: 120) }
        let ssc = manualContext()
        let model = try StreamingLogisticRegressionWithSGD(initialWeights: .zeros(3), stepSize: 0.5, regParam: 0.05)
        model.trainOn(ssc.queueStream(batches))
        var w = [0.0, 0.0, 0.0]
        try await ssc.start()
        for batch in batches {
            try await ssc.advance(by: .seconds(1))
            w = referenceSGD(batch, from: w, stepSize: 0.5, regParam: 0.05, logistic: true)
            #expect(close(model.latestModel.weights.values, w))
        }
        await ssc.stop()
    }

    @Test("given labels drawn from known weights, the model approaches them and classifies well")
    func convergence() async throws {
        var rng = TestRandom(seed: 4)
        let truth = [1.5, -2.0]
        let batches = (0..<40).map { _ in logisticData(&rng, weights: truth, points: 1000) }
        let test = logisticData(&rng, weights: truth, points: 2000)
        let ssc = manualContext()
        let model = try StreamingLogisticRegressionWithSGD(initialWeights: .zeros(2), stepSize: 2.0)
        model.trainOn(ssc.queueStream(batches))
        try await run(ssc, batches: 40)
        let w = model.latestModel.weights
        for (a, b) in zip(w, truth) { #expect(abs(a - b) < 0.25, "\(w)") }
        // The true model's own accuracy is the ceiling; the learned one should be close to it.
        let truthModel = LogisticRegressionModel(weights: Vector(truth))
        func accuracy(_ m: LogisticRegressionModel) -> Double {
            Double(test.filter { m.predict($0.features) == $0.label }.count) / Double(test.count)
        }
        #expect(accuracy(model.latestModel) > accuracy(truthModel) - 0.02)
    }

    @Test("given labels other than 0 or 1, or bad features, they are dropped and counted")
    func badInput() async throws {
        let clean = [LabeledPoint(label: 1, features: [1, 1]), LabeledPoint(label: 0, features: [-1, -1])]
        let bad = [
            LabeledPoint(label: 2, features: [1, 1]), LabeledPoint(label: 0.5, features: [1, 1]),
            LabeledPoint(label: 1, features: [.nan, 1]), LabeledPoint(label: 1, features: [1, 1, 1]),
        ]
        let ssc = manualContext()
        let model = try StreamingLogisticRegressionWithSGD(initialWeights: .zeros(2))
        model.trainOn(ssc.queueStream([bad + clean]))
        let predictions = Collector(model.predictOn(ssc.queueStream([[[1, 1] as Vector, [.nan, 0]]])))
        try await run(ssc, batches: 1)
        #expect(close(model.latestModel.weights.values, referenceSGD(clean, from: [0, 0], logistic: true)))
        #expect(model.droppedPoints[.invalidLabel] == 2)
        #expect(model.droppedPoints[.nonFinite] == 2)
        #expect(model.droppedPoints[.wrongDimension] == 1)
        #expect(predictions.results.first?.count == 1)
    }
}
