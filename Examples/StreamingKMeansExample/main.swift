// Spark's StreamingKMeansExample, ported.
//
// Estimates clusters on one stream of data and makes predictions on another:
//   swift run StreamingKMeansExample <trainingDir> <testDir> <batchDuration> <numClusters> <numDimensions>
//
// The training files hold one vector a line, "[x1,x2,x3]"; the test files one labeled point a line,
// "(y,[x1,x2,x3])". Move new text files into either directory while the program runs: the model updates on
// training data and prints the cluster of each test point, keyed by its label. Lines in neither format are
// counted and skipped.
import Foundation
import Spate
import SpateML

let args = CommandLine.arguments
guard args.count == 6, let seconds = Int(args[3]), seconds > 0, let numClusters = Int(args[4]),
    let numDimensions = Int(args[5])
else {
    FileHandle.standardError.write(Data("""
        Usage: StreamingKMeansExample <trainingDir> <testDir> <batchDuration> <numClusters> <numDimensions>
          batchDuration is in seconds; numClusters and numDimensions are positive integers.

        """.utf8))
    exit(1)
}

let ssc = StreamingContext(batchInterval: .seconds(seconds))
let parser = SparkTextParser()
let trainingData = parser.vectors(ssc.textFileStream(directory: args[1]))
let testData = parser.labeledPoints(ssc.textFileStream(directory: args[2]))

let model = try StreamingKMeans(
    k: numClusters, decayFactor: 1.0, initialCenters: .random(dimension: numDimensions, weight: 0.0))

model.trainOn(trainingData)
model.predictOnValues(testData.map { ($0.label, $0.features) }).print()

try await ssc.start()
try await ssc.awaitTermination()
