import Foundation
import Spate
import Synchronization

/// The writer subcommand of this executable, run as a child process.
final class WriterProcess {
    let process = Process()
    let output = Pipe()

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["writer"] + arguments
        process.standardOutput = output
        try process.run()
    }

    /// The port the socket writer listens on (its first line of output).
    func readPort() throws -> Int {
        var line: [UInt8] = []
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard let b = byte.first else { throw Failure("the writer ended before listening") }
            if b == UInt8(ascii: "\n") { break }
            line.append(b)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("port "), let port = Int(text.dropFirst(5)) else { throw Failure("writer said \(text)") }
        return port
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

/// Every completed batch's `BatchInfo`.
final class BatchRecorder: StreamingListener {
    private let state = Mutex<[BatchInfo]>([])
    func batchCompleted(_ info: BatchInfo) { state.withLock { $0.append(info) } }
    var infos: [BatchInfo] { state.withLock { $0 } }
}

/// Checks W1's counts: each batch's counts add up to ten words per line it read.
final class WordChecks: Sendable {
    private let sums = Mutex<[Int: Int]>([:])

    func watch<K: Sendable>(_ counts: DStream<(K, Int)>) {
        counts.foreachBatch { [self] batch, time in
            let total = batch.collect().reduce(0) { $0 + $1.1 }
            sums.withLock { $0[time.milliseconds] = total }
        }
    }

    func allMatch(_ infos: [BatchInfo]) -> Bool {
        let sums = sums.withLock { $0 }
        return infos.allSatisfy { sums[$0.batchTime.milliseconds] == 10 * $0.numRecords }
    }
}

/// Lines/s and batch times of the batches after the warm-up.
struct Summary {
    var perSecond = 0, p50 = "-", p99 = "-", maxDelay = "-"
    var p99Value = Double.infinity, maxDelayValue = Double.infinity
    var checked: Bool

    init(_ all: [BatchInfo], intervalMs: Int, warmUp: Int, checked: Bool) {
        self.checked = checked
        let infos = Array(all.dropFirst(warmUp))
        guard !infos.isEmpty else { return }
        let ms = { (d: Duration?) -> Double in
            guard let d else { return .infinity }
            return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        }
        let times = infos.map { ms($0.processingDelay) }.sorted()
        let q = { (p: Double) in times[min(times.count - 1, Int((Double(times.count) * p).rounded(.up)) - 1)] }
        perSecond = infos.reduce(0) { $0 + $1.numRecords } * 1000 / (infos.count * intervalMs)
        p50 = String(format: "%.1f", q(0.5))
        p99Value = q(0.99)
        p99 = String(format: "%.1f", p99Value)
        maxDelayValue = infos.map { ms($0.schedulingDelay) }.max() ?? .infinity
        maxDelay = String(format: "%.1f", maxDelayValue)
    }
}
