import Foundation
import Spate
import Synchronization

/// A live one-line progress report on standard error: batch time, records/s, processing and scheduling delay.
final class ProgressLine: StreamingListener {
    private let state = Mutex<(batches: Int, records: Int)>((0, 0))
    private let batchMilliseconds: Int
    private let isTerminal = isatty(STDERR_FILENO) != 0

    init(batchMilliseconds: Int) { self.batchMilliseconds = batchMilliseconds }

    var batches: Int { state.withLock { $0.batches } }
    var records: Int { state.withLock { $0.records } }

    func batchCompleted(_ info: BatchInfo) {
        state.withLock { $0.batches += 1; $0.records += info.numRecords }
        let ms = { (d: Duration?) in d.map { "\($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) ms" } ?? "-" }
        let perSecond = info.numRecords * 1000 / max(1, batchMilliseconds)
        let time = Date(timeIntervalSince1970: Double(info.batchTime.milliseconds) / 1000)
        let clock = time.formatted(.iso8601.time(includingFractionalSeconds: true))
        var line = "batch \(clock)  \(perSecond) records/s  processing \(ms(info.processingDelay))"
            + "  scheduling delay \(ms(info.schedulingDelay))  total \(ms(info.totalDelay))"
        if info.failedRecords > 0 { line += "  failed \(info.failedRecords)" }
        if info.invalidRecords > 0 { line += "  invalid \(info.invalidRecords)" }
        if let limit = info.rateLimit { line += "  rate limit \(limit)/s" }
        if let checkpoint = info.lastCheckpointTime {
            let at = Date(timeIntervalSince1970: Double(checkpoint.milliseconds) / 1000)
            line += "  checkpoint \(at.formatted(.iso8601.time(includingFractionalSeconds: true)))"
            if let d = info.checkpointDuration { line += " (+\(ms(d)))" }
        }
        if let from = info.recoveredFrom {
            let at = Date(timeIntervalSince1970: Double(from.milliseconds) / 1000)
            let recovered = "recovered from the checkpoint of \(at.formatted(.iso8601.time(includingFractionalSeconds: true)))"
            FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[2K" : "") + "spate: " + recovered + "\n").utf8))
        }
        let text = isTerminal ? "\r\u{1B}[2K" + line : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
