import ArgumentParser
import Foundation
import Spate
import SpateKafka
import Synchronization

/// Word count and windowed campaign counts from real sources, with the load offered by a separate writer
/// process on loopback (this executable's `writer` subcommand):
///
/// 1. W1 word count (../shared/WORKLOADS.md) at 1 s batches from a TCP writer through `socketTextStream`,
///    from files moved into a directory through `textFileStream`, and from a Kafka topic, each in the String
///    form (README's `split`) and the fast form (`as: .utf8Lines` / `valueText`, `wordKeys`): lines/s
///    processed at each offered rate, p50/p99 processing time, the largest scheduling delay;
/// 2. W2's shape (CSV events, views per campaign over a 10-batch window, incremental) at 1M events/s from a TCP
///    writer: p50/p99 batch time at each batch interval, and the smallest interval whose p99 stays under it.
///
///     scripts/services.sh start          # the Kafka broker, for --sources kafka
///     cd Benchmarks && swift run -c release RealSourceBenchmarks
@main
struct RealSourceBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Word count and windowed counts from a socket, a directory and Kafka, offered by a writer process.",
        subcommands: [Run.self, Writer.self], defaultSubcommand: Run.self)
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the benchmarks.")

    @Option(help: "W1 sources, comma-separated: socket, files, kafka.") var sources = "socket,files,kafka"
    @Option(help: "W1 forms, comma-separated: strings (split, String words), utf8 (Utf8Text lines, TextKey words).")
    var forms = "strings,utf8"
    @Option(help: "W1 offered rates, lines/s, comma-separated.") var rates = "500000,1000000,2000000,3000000"
    @Option(help: "W1 offered rates from Kafka, lines/s, comma-separated.") var kafkaRates = "100000,250000,500000"
    @Option(help: "Seconds each run lasts (the first 3 batches are warm-up).") var seconds = 10
    @Option(help: "W2 batch intervals to try, milliseconds, comma-separated.") var intervals = "1000,500,200,100,50,20,10"
    @Option(help: "W2 offered rate, events/s.") var w2Rate = 1_000_000
    @Option(help: "Seconds of each W2 interval's run.") var w2Seconds = 8
    @Option(help: "Which parts: w1, w2, comma-separated.") var parts = "w1,w2"
    @Option(help: "Kafka bootstrap servers.") var brokers = "127.0.0.1:9092"
    @Option(help: "Partitions of the Kafka topics.") var partitions = 2

    static func list(_ s: String) -> [String] { s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func run() async throws {
        print("RealSourceBenchmarks: \(ProcessInfo.processInfo.activeProcessorCount) cores; load \(loadAverage())")
        if Self.list(parts).contains("w1") {
            print("\nW1 word count, 1 s batches, \(seconds) s per run:")
            print("| source | form | offered lines/s | processed lines/s | p50 ms | p99 ms | max sched. delay ms | counts ok |")
            print("|---|---|---|---|---|---|---|---|")
            for source in Self.list(sources) {
                let offered = Self.list(source == "kafka" ? kafkaRates : rates).compactMap(Int.init)
                for form in Self.list(forms) {
                    for rate in offered {
                        let r = try await wordCount(source: source, form: form, rate: rate)
                        print("| \(source) | \(form) | \(rate) | \(r.perSecond) | \(r.p50) | \(r.p99) | \(r.maxDelay) | \(r.checked) |")
                    }
                }
            }
        }
        if Self.list(parts).contains("w2") {
            print("\nW2 shape (CSV events -> views per campaign over 10 batches, incremental) from a socket at \(w2Rate) events/s:")
            print("| interval ms | form | processed events/s | p50 ms | p99 ms | max sched. delay ms | p99 < interval |")
            print("|---|---|---|---|---|---|---|")
            var smallest: [String: Int] = [:]
            for form in Self.list(forms) {
                for ms in Self.list(intervals).compactMap(Int.init) {
                    let r = try await windowedCounts(form: form, intervalMs: ms)
                    // Kept up: took (nearly) all it was offered, and p99 batch time and delay stayed under the interval.
                    let ok = r.perSecond >= w2Rate * 95 / 100 && r.p99Value < Double(ms) && r.maxDelayValue < Double(ms)
                    if ok { smallest[form] = ms }
                    print("| \(ms) | \(form) | \(r.perSecond) | \(r.p50) | \(r.p99) | \(r.maxDelay) | \(ok ? "yes" : "no") |")
                }
            }
            for (form, ms) in smallest.sorted(by: { $0.key < $1.key }) { print("smallest interval (\(form)): \(ms) ms") }
        }
        print("\nload after: \(loadAverage())")
    }

    /// One W1 run: a writer at `rate` lines/s, the word count on `source` in `form`.
    func wordCount(source: String, form: String, rate: Int) async throws -> Summary {
        let ssc = StreamingContext(batchInterval: .seconds(1))
        let checks = WordChecks()
        var writer: WriterProcess?
        var cleanUp: () -> Void = {}
        switch source {
        case "socket":
            // Backpressure bounds what waits in the source (about two batches): past the engine's capacity the
            // reader pauses and TCP slows the writer, instead of buffering without end.
            ssc.backpressure(BackpressureConfiguration(enabled: true))
            let w = try WriterProcess(["--to", "socket", "--rate", "\(rate)"])
            writer = w
            let port = try w.readPort()
            if form == "utf8" {
                checks.watch(Self.fastWordCount(ssc.socketTextStream(host: "127.0.0.1", port: port, as: .utf8Lines)))
            } else {
                checks.watch(Self.stringWordCount(ssc.socketTextStream(host: "127.0.0.1", port: port)))
            }
        case "files":
            let dir = Self.scratchDirectory()
            cleanUp = { try? FileManager.default.removeItem(atPath: dir) }
            if form == "utf8" {
                checks.watch(Self.fastWordCount(ssc.textFileStream(directory: dir, as: .utf8Lines)))
            } else {
                checks.watch(Self.stringWordCount(ssc.textFileStream(directory: dir)))
            }
            try await ssc.start()
            writer = try WriterProcess(["--to", "files", "--rate", "\(rate)", "--directory", dir])
        case "kafka":
            let topic = "spate-real-sources-\(UInt32.random(in: 0...UInt32.max))"
            try KafkaAdmin.createTopic(topic, partitions: partitions, brokers: brokers)
            cleanUp = { [brokers] in try? KafkaAdmin.deleteTopic(topic, brokers: brokers) }
            let records = ssc.kafkaStream(brokers: brokers, topics: [topic], groupID: topic,
                                          options: KafkaStreamOptions(startingOffsets: .earliest))
            if form == "utf8" {
                checks.watch(Self.fastWordCount(records.map { $0.valueText }))
            } else {
                checks.watch(Self.stringWordCount(records.map { $0.valueString ?? "" }))
            }
            writer = try WriterProcess(["--to", "kafka", "--rate", "\(rate)", "--brokers", brokers, "--topic", topic])
        default:
            throw ValidationError("unknown source \(source): use socket, files or kafka")
        }
        let batches = BatchRecorder()
        ssc.addListener(batches)
        if source != "files" { try await ssc.start() }
        try await Task.sleep(for: .seconds(seconds))
        writer?.stop()
        await ssc.stop(graceful: false)
        cleanUp()
        return Summary(batches.infos, intervalMs: 1000, warmUp: 3, checked: checks.allMatch(batches.infos))
    }

    /// README's word count: `split` into String words.
    static func stringWordCount(_ lines: DStream<String>) -> DStream<(String, Int)> {
        lines.flatMap { $0.split(separator: " ").map(String.init) }.map { ($0, 1) }.reduceByKey(+)
    }

    /// The fast form: UTF-8 views, a TextKey per word.
    static func fastWordCount(_ lines: DStream<Utf8Text>) -> DStream<(TextKey, Int)> {
        lines.flatMap { $0.wordKeys }.map { ($0, 1) }.reduceByKey(+)
    }

    /// One W2 run at `intervalMs`: views per campaign over a 10-batch window, from a socket writer.
    func windowedCounts(form: String, intervalMs: Int) async throws -> Summary {
        let ssc = StreamingContext(batchInterval: .milliseconds(intervalMs))
        ssc.backpressure(BackpressureConfiguration(enabled: true))
        let w = try WriterProcess(["--to", "socket", "--kind", "events", "--rate", "\(w2Rate)"])
        let port = try w.readPort()
        // W2's parse: keep views (kind 0), key by campaign.
        let views: DStream<(Int, Int)>
        if form == "utf8" {
            views = ssc.socketTextStream(host: "127.0.0.1", port: port, as: .utf8Lines)
                .filter { $0.field(3) == "0" }
                .map { ($0.field(2)?.parseInt() ?? -1, 1) }
        } else {
            views = ssc.socketTextStream(host: "127.0.0.1", port: port)
                .map { line -> (Int, Int) in
                    let fields = line.split(separator: ",")
                    guard fields.count == 5, let campaign = Int(fields[2]) else { return (-1, 0) }
                    return (campaign, fields[3] == "0" ? 1 : 0)
                }
                .filter { $0.1 == 1 }
        }
        let interval = Duration.milliseconds(intervalMs)
        let counts = try views.reduceByKeyAndWindow(+, inverse: -, length: interval * 10, slide: interval,
                                                    filter: { $0.1 > 0 })
        counts.foreachBatch { batch, _ in _ = batch.count }
        let batches = BatchRecorder()
        ssc.addListener(batches)
        try await ssc.start()
        try await Task.sleep(for: .seconds(w2Seconds))
        w.stop()
        await ssc.stop(graceful: false)
        let warmUp = max(3, 1000 / intervalMs)
        return Summary(batches.infos, intervalMs: intervalMs, warmUp: warmUp, checked: true)
    }

    static func scratchDirectory() -> String {
        let root = FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let dir = "\(root)/spate-real-sources-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
            .split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }
}
