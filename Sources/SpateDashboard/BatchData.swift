import Spate

/// One batch as the dashboard's page and its push updates carry it: every figure of `BatchInfo`.
struct BatchData: Codable, Sendable, Equatable {
    /// One output operation's run.
    struct OutputOperation: Codable, Sendable, Equatable {
        let id: Int
        let name: String
        let durationMs: Int
    }

    /// The batch time in milliseconds (Spark's batch id).
    let batchTime: Int
    /// `QUEUED`, `PROCESSING` or `COMPLETED`, as Spark's batch status.
    let status: String
    let numRecords: Int
    /// Records per input stream id (as a string: JSON object keys).
    let streamIdToNumRecords: [String: Int]
    /// What each input stream reported about the batch (Kafka: per partition offsets and lag).
    let streamIdToMetadata: [String: [String: String]]?
    let submissionTime: Int
    let processingStartTime: Int?
    let processingEndTime: Int?
    let schedulingDelayMs: Int?
    let processingTimeMs: Int?
    let totalDelayMs: Int?
    let failedRecords: Int
    let invalidRecords: Int
    let recordErrors: [String]
    let outputOperations: [OutputOperation]
    /// Records that arrived behind their stream's watermark.
    let lateRecords: Int
    /// Each event-time stream's watermark after the batch, in event-time milliseconds (absent: none).
    let watermarks: [String: Int64]?
    /// Each event-time operator's open windows, sessions or buffered records after the batch.
    let eventTimeState: [String: Int]?

    init(_ info: BatchInfo) {
        batchTime = info.batchTime.milliseconds
        status = info.processingEndTime != nil ? "COMPLETED"
            : info.processingStartTime != nil ? "PROCESSING" : "QUEUED"
        numRecords = info.numRecords
        streamIdToNumRecords = Dictionary(uniqueKeysWithValues: info.streamIdToNumRecords.map { ("\($0.key)", $0.value) })
        streamIdToMetadata = info.streamIdToMetadata.isEmpty
            ? nil : Dictionary(uniqueKeysWithValues: info.streamIdToMetadata.map { ("\($0.key)", $0.value) })
        submissionTime = info.submissionTime
        processingStartTime = info.processingStartTime
        processingEndTime = info.processingEndTime
        schedulingDelayMs = info.schedulingDelay.map(Self.ms)
        processingTimeMs = info.processingDelay.map(Self.ms)
        totalDelayMs = info.totalDelay.map(Self.ms)
        failedRecords = info.failedRecords
        invalidRecords = info.invalidRecords
        recordErrors = info.recordErrors
        outputOperations = info.outputOperations.map {
            OutputOperation(id: $0.id, name: $0.name, durationMs: $0.durationMilliseconds)
        }
        lateRecords = info.lateRecords
        watermarks = info.watermarks.isEmpty ? nil : info.watermarks
        eventTimeState = info.eventTimeState.isEmpty ? nil : info.eventTimeState
    }

    static func ms(_ d: Duration) -> Int {
        let c = d.components
        return Int(c.seconds) * 1000 + Int(c.attoseconds / 1_000_000_000_000_000)
    }
}
