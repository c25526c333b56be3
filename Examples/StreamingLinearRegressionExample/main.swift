// Spark's StreamingLinearRegressionExample, ported.
//
// Trains a linear regression model on one stream of data and makes predictions on another:
//   swift run StreamingLinearRegressionExample <trainingDir> <testDir> [batchDurationSeconds]
//
// Both directories receive text files of labeled points, one a line: "(y,[x1,x2,x3])". Move new files into
// them while the program runs: the model updates on training data and prints (label, prediction) for each
// test point. The model has 3 features, as in Spark's example; lines in another format, or points of another
// dimension, are counted and skipped.
import Foundation
import Spate
import SpateML

let args = CommandLine.arguments
guard args.count == 3 || args.count == 4 else {
    FileHandle.standardError.write(Data(
        "Usage: StreamingLinearRegressionExample <trainingDir> <testDir> [batchDurationSeconds]\n".utf8))
    exit(1)
}
let seconds = args.count == 4 ? Int(args[3]) ?? 1 : 1

let ssc = StreamingContext(batchInterval: .seconds(seconds))
let parser = SparkTextParser()
let trainingData = parser.labeledPoints(ssc.textFileStream(directory: args[1]))
let testData = parser.labeledPoints(ssc.textFileStream(directory: args[2]))

let numFeatures = 3
let model = try StreamingLinearRegressionWithSGD(initialWeights: .zeros(numFeatures))

model.trainOn(trainingData)
model.predictOnValues(testData.map { ($0.label, $0.features) }).print()

try await ssc.start()
try await ssc.awaitTermination()
