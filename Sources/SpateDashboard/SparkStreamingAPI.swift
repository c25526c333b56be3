import Foundation

/// The JSON of Spark's streaming REST API (`/api/v1/applications/{app}/streaming/...`), field for field,
/// so tools written for Spark's UI read Spate's.
enum SparkStreamingAPI {
    /// `GET /api/v1/applications`: one entry, this process.
    struct Application: Codable, Sendable {
        let id: String
        let name: String
    }

    /// `GET .../streaming/statistics`.
    struct StreamingStatistics: Codable, Sendable {
        let startTime: String
        let batchDuration: Int
        let numReceivers: Int
        let numActiveReceivers: Int
        let numInactiveReceivers: Int
        let numTotalCompletedBatches: Int
        let numRetainedCompletedBatches: Int
        let numActiveBatches: Int
        let numProcessedRecords: Int
        let numReceivedRecords: Int
        let avgInputRate: Double?
        let avgSchedulingDelay: Int?
        let avgProcessingTime: Int?
        let avgTotalDelay: Int?
    }

    /// `GET .../streaming/batches` (a list) and `.../batches/{batchId}`.
    struct BatchInfo: Codable, Sendable {
        let batchId: Int
        let batchTime: String
        let status: String
        let batchDuration: Int
        let inputSize: Int
        let schedulingDelay: Int?
        let processingTime: Int?
        let totalDelay: Int?
        let numActiveOutputOps: Int
        let numCompletedOutputOps: Int
        let numFailedOutputOps: Int
        let numTotalOutputOps: Int
        let firstFailureReason: String?
        /// Spate's addition: records a user function threw on (dead letters), dropped from the batch.
        let failedRecords: Int
        /// Spate's addition: input records a source could not decode.
        let invalidRecords: Int
        /// Spate's addition: records behind their stream's watermark, left out of the event-time operators.
        let lateRecords: Int

        init(_ batch: BatchData, batchDuration: Int, totalOutputOps: Int) {
            batchId = batch.batchTime
            batchTime = SparkStreamingAPI.date(batch.batchTime)
            status = batch.status
            self.batchDuration = batchDuration
            inputSize = batch.numRecords
            schedulingDelay = batch.schedulingDelayMs
            processingTime = batch.processingTimeMs
            totalDelay = batch.totalDelayMs
            let completed = batch.outputOperations.count
            numCompletedOutputOps = completed
            numActiveOutputOps = batch.status == "PROCESSING" ? 1 : 0
            numFailedOutputOps = 0
            numTotalOutputOps = batch.status == "COMPLETED" ? completed : Swift.max(totalOutputOps, completed)
            firstFailureReason = batch.recordErrors.first
            failedRecords = batch.failedRecords
            invalidRecords = batch.invalidRecords
            lateRecords = batch.lateRecords
        }
    }

    /// `GET .../streaming/batches/{batchId}/operations`.
    struct OutputOperationInfo: Codable, Sendable {
        let outputOpId: Int
        let name: String
        let description: String
        let startTime: String?
        let endTime: String?
        let duration: Int?
        let failureReason: String?
    }

    /// A 404 or 401 body.
    struct ErrorBody: Codable, Sendable {
        let error: String
        let status: Int
    }

    /// Spark's date rendering, `2015-09-02T17:02:00.000GMT`.
    static func date(_ milliseconds: Int) -> String {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        let iso = date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        return iso.hasSuffix("Z") ? String(iso.dropLast()) + "GMT" : iso
    }
}
