import ArgumentParser
import Dispatch
import Foundation
import Logging
import Spate
import SpateDashboard
import SpateSQLite

/// `spate demo`: generated click events -> windowed counts per campaign -> console and files.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the demo pipeline on embedded defaults: generated click events, counts per campaign over a sliding window, console, file and SQLite output.")

    @Option(help: "Generated events per second.")
    var rate = 200_000

    @Option(name: .customLong("batch-ms"), help: "Batch interval in milliseconds.")
    var batchMilliseconds = 1000

    @Option(name: .customLong("window-batches"), help: "Window length, in batches.")
    var windowBatches = 10

    @Option(help: "Folder for the per-batch output files.")
    var output = "spate-demo-output"

    @Option(help: "SQLite database the windowed campaign counts are upserted into (table campaign_counts, one transaction per batch; default: <output>/demo.sqlite, i.e. spate-demo-output/demo.sqlite).")
    var sqlite: String?

    /// The SQLite database path: `--sqlite`, or `demo.sqlite` in the output folder.
    var sqlitePath: String { sqlite ?? "\(output)/demo.sqlite" }

    @Option(help: "Checkpoint directory: with it, the demo checkpoints its window state and resumes from it when started again.")
    var checkpoint: String?

    @Option(help: "Stop after this many seconds (0: run until Ctrl-C).")
    var seconds = 0

    @Option(name: .customLong("dashboard-port"), help: "Port of the live dashboard on 127.0.0.1 (0: any free port).")
    var dashboardPort = 4040

    /// Bounds past which the demo would overflow its arithmetic or allocate without limit.
    static let maxRate = 100_000_000
    static let maxBatchMilliseconds = 3_600_000
    static let maxWindowBatches = 10_000
    static let maxSeconds = 31_536_000

    func validate() throws {
        guard (1...Self.maxRate).contains(rate) else {
            throw ValidationError("--rate must be in 1...\(Self.maxRate) events/s, e.g. --rate 100000")
        }
        guard (10...Self.maxBatchMilliseconds).contains(batchMilliseconds) else {
            throw ValidationError("--batch-ms must be in 10...\(Self.maxBatchMilliseconds) (one hour), e.g. --batch-ms 1000")
        }
        guard (0...65535).contains(dashboardPort) else {
            throw ValidationError("--dashboard-port must be in 0...65535, e.g. --dashboard-port 4040")
        }
        guard (1...Self.maxWindowBatches).contains(windowBatches) else {
            throw ValidationError("--window-batches must be in 1...\(Self.maxWindowBatches), e.g. --window-batches 10")
        }
        guard (0...Self.maxSeconds).contains(seconds) else {
            throw ValidationError("--seconds must be in 0...\(Self.maxSeconds) (0 runs until Ctrl-C), e.g. --seconds 60")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let interval = Duration.milliseconds(batchMilliseconds)
        var built: DStream<(String, Int)>?
        let create = { () throws -> StreamingContext in
            let ssc = StreamingContext(batchInterval: interval)
            let counts = try DemoPipeline.build(ssc, rate: rate, window: interval * windowBatches, output: output)
            try counts.saveToSQLite(path: sqlitePath, table: "campaign_counts", mode: .upsert)
            built = counts
            try DemoPipeline.clusters(ssc, rate: rate).dashboard(.table(title: "k-means centres of (value, user bucket)"))
            return ssc
        }
        let ssc = try checkpoint.map { try StreamingContext.getOrCreate(checkpoint: URL(fileURLWithPath: $0), create: create) }
            ?? create()
        guard let counts = built else { throw ValidationError("the demo pipeline was not built") }
        counts.dashboard(.bar(title: "Views per campaign (window of \(windowBatches) batches)", topK: 12))
        let dashboard = try await ssc.dashboard(port: dashboardPort)
        let progress = ProgressLine(batchMilliseconds: batchMilliseconds)
        ssc.addListener(progress)

        let stopper = SignalStopper(ssc)
        try await ssc.start()
        print("spate demo: \(rate) events/s, batch \(batchMilliseconds) ms, window \(windowBatches) batches; "
              + "files under \(output)/; Ctrl-C stops cleanly")
        print("spate demo: windowed counts upserted into \(sqlitePath) (table campaign_counts)")
        print("spate demo: dashboard at \(dashboard.url)")
        if seconds > 0 {
            Task {
                try await Task.sleep(for: .seconds(seconds))
                await ssc.stop(graceful: true)
            }
        }
        try await ssc.awaitTermination()
        stopper.cancel()
        await dashboard.stop()
        progress.finish()
        print("spate demo: stopped after \(progress.batches) batches, \(progress.records) events")
    }
}

/// Stops the context gracefully on SIGINT or SIGTERM.
final class SignalStopper {
    private let sources: [any DispatchSourceSignal]

    init(_ ssc: StreamingContext) {
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\nspate: stopping gracefully...\n".utf8))
                Task { await ssc.stop(graceful: true) }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() { for s in sources { s.cancel() } }
}
