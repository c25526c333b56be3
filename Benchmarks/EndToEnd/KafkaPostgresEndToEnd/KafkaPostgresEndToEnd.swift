import ArgumentParser
import Foundation
import Logging
import Spate
import SpateKafka
import SpatePostgres
import Synchronization

/// Kafka -> windowed campaign counts -> PostgreSQL, end to end, with the pipeline of
/// `Examples/KafkaCampaignCounts` (default mode) built in this process. Three phases, each on fresh names
/// (topic `spate-e2e-<stamp>-<phase>`, table `e2e_<stamp>_<phase>`), deleted when the phase ends:
///
/// 1. producer alone: `KafkaProducer.send` of the N records, in chunks, to a topic nobody reads (what bounds
///    the pipeline from the input side);
/// 2. throughput: the same N records produced as fast as the producer goes while the pipeline runs;
///    records/s = N / (first produce -> the first poll that sees `sum(events) == N` in the table);
/// 3. latency: a steady rate (20,000 records/s by default) for a few seconds, with a probe record of its own
///    campaign `probe-<i>` every 50 ms (at a random point of each 50 ms slot); a poller queries the table every few ms, and a probe's latency is the
///    time from just before its `send` to the first poll that sees its row.
///
///     scripts/services.sh start
///     cd Benchmarks && swift run -c release KafkaPostgresEndToEnd
@main
struct KafkaPostgresEndToEnd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Kafka -> windowed campaign counts -> PostgreSQL: records/s and produce-to-visible latency.")

    @Option(help: "Kafka bootstrap servers.") var brokers = "127.0.0.1:9092"
    @Option(help: "libpq connection string of the PostgreSQL database.")
    var postgres = "host=127.0.0.1 port=5432 user=postgres dbname=spate"
    @Option(help: "Records of the throughput phase (and of the producer-alone phase).") var records = 2_000_000
    @Option(help: "Records per KafkaProducer.send call in the throughput phases.") var chunk = 50_000
    @Option(help: "Partitions of the fresh topics.") var partitions = 4
    @Option(help: "Batch interval, milliseconds.") var batchMs = 200
    @Option(help: "Event-time window length, seconds.") var windowSeconds = 10
    @Option(help: "Distinct campaigns in the generated events.") var campaigns = 1000
    @Option(help: "Seconds of event time the throughput phase's events span.") var eventSpanSeconds = 60
    @Option(help: "How often the throughput phase reads sum(events), milliseconds.") var sumPollMs = 20
    @Option(help: "Records per second of the latency phase (probes included).") var latencyRate = 20_000
    @Option(help: "Seconds the latency phase produces.") var latencySeconds = 10
    @Option(help: "A probe record every this many milliseconds.") var probeMs = 50
    @Option(help: "How often the latency phase's poller queries the table, milliseconds.") var pollMs = 5
    @Option(help: "Where the counts go: postgres (the example's sink), or none (diagnostic: counted in the process, probes seen by the output; no database, startingOffsets .earliest).")
    var sink: Sink = .postgres
    @Option(help: "Phases to run: any of producer, throughput, latency, comma-separated.")
    var phases = "producer,throughput,latency"
    @Option(help: "Log level of the engine's logging (trace ... critical).") var logLevel = "warning"
    @Option(help: "Process names (comm) of the broker, for the CPU breakdown (Linux /proc), comma-separated.")
    var brokerProcess = "noida-db,java"
    @Option(help: "Before each phase, wait up to this many seconds for the broker to use under a tenth of a core.")
    var settleSeconds = 20
    @Flag(help: "Keep the results tables (dropped after each phase by default).") var keepTable = false
    @Flag(help: "Keep the topics (deleted after each phase by default: the local broker keeps every record in memory).")
    var keepTopics = false

    func validate() throws {
        guard records > 0, chunk > 0, partitions > 0, batchMs > 0, windowSeconds > 0, campaigns > 0 else {
            throw ValidationError("--records, --chunk, --partitions, --batch-ms, --window-seconds, --campaigns must be positive")
        }
        guard latencyRate > 0, latencySeconds > 0, probeMs > 0, pollMs > 0, sumPollMs > 0 else {
            throw ValidationError("--latency-rate, --latency-seconds, --probe-ms, --poll-ms, --sum-poll-ms must be positive")
        }
        guard latencyRate * probeMs >= 1000 else { throw ValidationError("--latency-rate too low for one record per probe tick") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        let known: Set<String> = ["producer", "throughput", "latency"]
        guard Set(phaseList).isSubset(of: known), !phaseList.isEmpty else { throw ValidationError("unknown --phases \(phases)") }
    }

    var phaseList: [String] { phases.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    /// One phase's fresh names.
    struct Names {
        var topic: String, table: String, group: String
        init(stamp: String, phase: String) {
            topic = "spate-e2e-\(stamp)-\(phase)"
            table = "e2e_\(stamp)_\(phase)"
            group = "spate-e2e-\(stamp)-\(phase)"
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let phases = Set(phaseList)
        let stamp = String(Int64(Date().timeIntervalSince1970 * 1000))
        var report = Report(settings: self)
        let cpu = CPUAccounting(brokerNames: Set(brokerProcess.split(separator: ",").map(String.init)))
        let producer = try KafkaProducer(brokers: brokers)
        say("batch \(batchMs) ms, \(partitions) partitions, \(records) records, \(campaigns) campaigns, "
            + "\(windowSeconds) s windows, sink \(sink.rawValue), names spate-e2e-\(stamp)-* / e2e_\(stamp)_*")

        // The throughput phases' records, generated up front (outside every measured region): keyed by campaign,
        // value `<event time ms>,<campaign>,<user>`, event times spread evenly over --event-span-seconds.
        let clock = ContinuousClock()
        let generated = clock.now
        let chunks = Self.generate(records: records, chunk: chunk, campaigns: campaigns,
                                   baseMs: Int64(Date().timeIntervalSince1970 * 1000),
                                   spanMs: Int64(eventSpanSeconds) * 1000)
        say("generated \(records) records in \(format(clock.now - generated))")

        if phases.contains("producer") {
            let names = Names(stamp: stamp, phase: "raw")
            try await withFreshNames(names) {
                await settle(cpu)
                try await producerAlone(names, chunks: chunks, producer: producer, cpu: cpu, report: &report)
            }
        }
        if phases.contains("throughput") {
            let names = Names(stamp: stamp, phase: "t")
            try await withFreshNames(names) {
                await settle(cpu)
                try await withPipeline(names) { pipeline in
                    try await throughput(pipeline, chunks: chunks, producer: producer, cpu: cpu, report: &report)
                }
            }
        }
        if phases.contains("latency") {
            let names = Names(stamp: stamp, phase: "l")
            try await withFreshNames(names) {
                await settle(cpu)
                try await withPipeline(names) { pipeline in
                    try await latency(pipeline, producer: producer, cpu: cpu, report: &report)
                }
            }
        }
        report.print()
    }

    // MARK: Phases

    /// Phase 1: the producer alone, to a topic nobody reads.
    func producerAlone(
        _ names: Names, chunks: [[KafkaMessage]], producer: KafkaProducer, cpu: CPUAccounting, report: inout Report
    ) async throws {
        let clock = ContinuousClock()
        try producer.send([KafkaMessage("warm-up", key: "warm-up")], to: names.topic)  // connection + metadata
        let before = cpu.sample()
        let (elapsed, producerCPU) = try await onThread("producer") {
            let start = clock.now, cpuStart = threadCPUSeconds()
            for c in chunks { try producer.send(c, to: names.topic) }
            return (clock.now - start, threadCPUSeconds() - cpuStart)
        }
        report.producerAlone = elapsed
        report.cpu.append(("producer alone", cpu.sample().minus(before, producerThread: producerCPU)))
        say("producer alone: \(records) records in \(format(elapsed)) = \(rate(records, elapsed))")
    }

    /// Phase 2: N records as fast as the producer goes; the time until the table holds all of them.
    func throughput(
        _ p: Pipeline, chunks: [[KafkaMessage]], producer: KafkaProducer, cpu: CPUAccounting, report: inout Report
    ) async throws {
        let clock = ContinuousClock()
        try producer.send([KafkaMessage("0,warm-up,user-0", key: "warm-up")], to: p.names.topic)  // metadata
        let expected = records + 1
        while try await p.total() < 1 { try await p.check(); try await Task.sleep(for: .milliseconds(20)) }
        let mark = p.batches.mark()
        let producedAt = Mutex<ContinuousClock.Instant?>(nil)
        let before = cpu.sample()
        let start = clock.now
        let producing = Task {
            try await onThread("producer") {
                let cpuStart = threadCPUSeconds()
                for c in chunks { try producer.send(c, to: p.names.topic) }
                producedAt.withLock { $0 = clock.now }
                return threadCPUSeconds() - cpuStart
            }
        }
        var polls = 0
        while true {
            let sum = try await p.total()
            polls += 1
            if sum >= expected {
                let elapsed = clock.now - start
                let producerCPU = try await producing.value
                report.cpu.append(("pipeline, throughput", cpu.sample().minus(before, producerThread: producerCPU)))
                report.throughput = elapsed
                report.throughputProducing = producedAt.withLock { $0! } - start
                report.throughputBatches = p.batches.since(mark)
                guard sum == expected else { throw Failure("sum(events) = \(sum), expected \(expected)") }
                break
            }
            try await p.check()
            guard clock.now - start < .seconds(600) else { throw Failure("sum(events) = \(sum) of \(expected) after 600 s") }
            try await Task.sleep(for: .milliseconds(sumPollMs))
        }
        say("throughput: \(records) records visible in \(format(report.throughput!)) = \(rate(records, report.throughput!)) "
            + "(\(polls) polls)")
    }

    /// Phase 3: a steady rate with a probe record every --probe-ms; the time until each probe's row is visible.
    func latency(_ p: Pipeline, producer: KafkaProducer, cpu: CPUAccounting, report: inout Report) async throws {
        let clock = ContinuousClock()
        try producer.send([KafkaMessage("0,warm-up,user-0", key: "warm-up")], to: p.names.topic)  // metadata
        while try await p.total() < 1 { try await p.check(); try await Task.sleep(for: .milliseconds(20)) }
        let mark = p.batches.mark()
        let before = cpu.sample()
        let ticks = p.probes.count
        let perTick = latencyRate * probeMs / 1000
        let campaigns = self.campaigns, probeMs = self.probeMs, topic = p.names.topic, probes = p.probes
        let producing = Task {
            try await onThread("producer") {
                var random = SplitMix(seed: 7)
                let start = clock.now
                for tick in 0..<ticks {
                    // At a random point of the tick's --probe-ms slot, so the probes fall at every phase of the
                    // batch interval (at fixed 50 ms steps they would hit only 4 phases of a 200 ms interval).
                    let jitter = Duration.microseconds(Int(random.next() % UInt64(probeMs * 1000)))
                    let due = start + .milliseconds(tick * probeMs) + jitter
                    let wait = due - clock.now
                    if wait > .zero { Thread.sleep(forTimeInterval: seconds(wait)) }
                    let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
                    var messages = [KafkaMessage("\(nowMs),probe-\(tick),user-0", key: "probe-\(tick)")]
                    messages.reserveCapacity(perTick)
                    for _ in 1..<perTick {
                        let c = "campaign-\(random.next() % UInt64(campaigns))"
                        messages.append(KafkaMessage("\(nowMs),\(c),user-\(random.next() % 100_000)", key: c))
                    }
                    let sent = clock.now
                    probes.sent(tick, at: sent)
                    try producer.send(messages, to: topic)
                    probes.acked(tick, after: clock.now - sent)
                }
                return clock.now - start
            }
        }
        let expected = 1 + ticks * perTick
        // The poller: every --poll-ms, the probe rows visible now (with --sink none, the output marks the probes).
        var queryTimes: [Duration] = []
        let deadline = clock.now + .seconds(latencySeconds + 60)
        while probes.visibleCount < ticks {
            let issued = clock.now
            if sink == .postgres {
                let rows = try await p.db.query(
                    "SELECT campaign FROM \"\(p.names.table)\" WHERE campaign >= 'probe-' AND campaign < 'probe.'")
                queryTimes.append(clock.now - issued)
                for row in rows {
                    if let name = row.first ?? nil, let i = probeNumber(name) { probes.visible(i, at: issued) }
                }
            }
            try await p.check()
            guard clock.now < deadline else { throw Failure("\(ticks - probes.visibleCount) probes never became visible") }
            let next = issued + .milliseconds(pollMs)
            if next > clock.now { try await Task.sleep(until: next, clock: clock) }
        }
        let producingTime = try await producing.value
        report.cpu.append(("pipeline, latency", cpu.sample().minus(before, producerThread: nil)))
        report.latencies = probes.latencies
        report.acks = probes.acks
        report.latencyProduced = (ticks * perTick, producingTime)
        report.queryTimes = queryTimes
        report.latencyBatches = p.batches.since(mark)
        // Everything produced is counted once.
        let settleBy = clock.now + .seconds(30)
        var total = try await p.total()
        while total < expected, clock.now < settleBy {
            try await Task.sleep(for: .milliseconds(50))
            total = try await p.total()
        }
        guard total == expected else { throw Failure("sum(events) = \(total), expected \(expected)") }
        let ms = report.latencies.map(milliseconds).sorted()
        say("latency: p50 \(ms.p(0.5)) ms, p99 \(ms.p(0.99)) ms over \(ms.count) probes")
    }

    // MARK: Pipeline and names

    /// A running pipeline and what the phases read from it.
    struct Pipeline {
        let names: Names
        let ssc: StreamingContext
        let terminated: Task<Void, any Error>
        let batches: BatchLog
        let probes: ProbeLog
        let counted: Counter
        let db: PostgresConnection
        let sink: Sink

        /// Events counted so far: `sum(events)` of the table (0 before it exists), or the in-process count.
        func total() async throws -> Int {
            sink == .postgres ? try await KafkaPostgresEndToEnd.sum(db, table: names.table) : counted.value
        }

        /// Throws the pipeline's error if it stopped.
        func check() async throws {
            guard ssc.isActive else {
                try await terminated.value
                throw Failure("the pipeline stopped")
            }
        }
    }

    /// Starts the example's pipeline on `names`, runs `body` once a few batches ran, stops it.
    func withPipeline(_ names: Names, _ body: (Pipeline) async throws -> Void) async throws {
        let ssc = StreamingContext(batchInterval: .milliseconds(batchMs))
        let batches = BatchLog()
        ssc.addListener(batches)
        let probes = ProbeLog(count: latencySeconds * 1000 / probeMs)
        let counted = Counter()
        try Self.buildPipeline(ssc: ssc, brokers: brokers, topic: names.topic, group: names.group, postgres: postgres,
                               table: names.table, windowMs: Int64(windowSeconds) * 1000, sink: sink, counted: counted,
                               probes: probes)
        try await ssc.start()
        let pipeline = Pipeline(
            names: names, ssc: ssc, terminated: Task { try await ssc.awaitTermination() }, batches: batches,
            probes: probes, counted: counted, db: PostgresConnection(postgres), sink: sink)
        do {
            let clock = ContinuousClock()
            let readyBy = clock.now + .seconds(30)
            while batches.completed < 3 {  // consumer and sink connected
                try await pipeline.check()
                guard clock.now < readyBy else { throw Failure("the pipeline ran no batch in 30 s") }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await body(pipeline)
        } catch {
            await ssc.stop(graceful: false)
            await pipeline.db.close()
            throw error
        }
        await ssc.stop(graceful: true)
        await pipeline.db.close()
        try await pipeline.terminated.value
    }

    /// Creates the phase's topic, runs `body`, then deletes the topic and drops the table (unless told to keep
    /// them), also when `body` throws.
    func withFreshNames(_ names: Names, _ body: () async throws -> Void) async throws {
        try KafkaAdmin.createTopic(names.topic, partitions: partitions, brokers: brokers)
        do {
            try await body()
        } catch {
            await cleanUp(names)
            throw error
        }
        await cleanUp(names)
    }

    /// Deletes the phase's topics and drops its table (unless told to keep them); best effort, failures reported.
    func cleanUp(_ names: Names) async {
        if !keepTopics { dropTopics([names.topic, "\(names.topic)-dlq"]) }
        guard !keepTable, sink == .postgres else { return }
        let db = PostgresConnection(postgres)
        do {
            try await db.query("DROP TABLE IF EXISTS \"\(names.table)\"")
            try await db.query("DELETE FROM spate_offsets WHERE \"table\" = $1", [names.table])
        } catch let error as PostgresError where error.sqlState == "42P01" {
            // no spate_offsets table: nothing was stored
        } catch {
            say("could not drop table \(names.table): \(error)")
        }
        await db.close()
    }

    /// Waits (up to --settle-seconds) until the broker uses under a tenth of a core over half a second: the local
    /// broker rewrites its data file after a topic is deleted.
    func settle(_ cpu: CPUAccounting) async {
        let clock = ContinuousClock()
        let until = clock.now + .seconds(settleSeconds)
        var last = cpu.sample()
        while clock.now < until {
            try? await Task.sleep(for: .milliseconds(500))
            let now = cpu.sample()
            let use = now.minus(last, producerThread: nil)
            last = now
            if use.broker < 0.1 * use.wall { return }
        }
        say("the broker stayed busy for \(settleSeconds) s (other clients?); going on")
    }

    /// The pipeline of `Examples/KafkaCampaignCounts` (its default mode): its few lines are repeated here (an
    /// executable target cannot be imported; the event types are the example's own file, `CampaignEvent.swift`,
    /// linked into this folder). Keep it in
    /// step with the example: direct stream from the offsets stored in PostgreSQL, decode
    /// `<event time ms>,<campaign>,<user>`, count per (campaign, window), add the counts to the table together
    /// with the batch's offsets.
    static func buildPipeline(
        ssc: StreamingContext, brokers: String, topic: String, group: String, postgres: String, table: String,
        windowMs: Int64, sink: Sink, counted: Counter, probes: ProbeLog
    ) throws {
        let offsetStore = PostgresOffsetStore(connection: postgres, table: table)
        let kafka = ssc.directKafkaStream(
            brokers: brokers, topics: [topic], groupID: group,
            options: KafkaStreamOptions(
                startingOffsets: sink == .postgres ? .stored(offsetStore) : .earliest, commitOffsets: .afterOutputs,
                assignment: .allPartitions, deadLetterTopic: "\(topic)-dlq",
                settings: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "1000"]))  // the example's defaults
        let columns = [TableColumn("campaign", .text), TableColumn("window_start", .integer), TableColumn("events", .integer)]
        let events = kafka.decoded { try CampaignEvent.parse($0).key(windowMs: windowMs) }
        let counts = events.map { ($0, 1) }.reduceByKey(+)
        guard sink == .postgres else {
            // Diagnostic (not in the example): the counts stay in the process.
            let clock = ContinuousClock()
            counts.foreachBatch { batch, _ in
                let now = clock.now
                var n = 0
                for (key, count) in batch.collect() {
                    n += count
                    if let i = probeNumber(key.campaign) { probes.visible(i, at: now) }
                }
                counted.add(n)
            }
            return
        }
        try counts.saveToPostgres(
            connection: postgres, table: table, mode: .accumulate, columns: columns,
            key: ["campaign", "window_start"], offsets: kafka.batchOffsets
        ) { key, n in [.text(key.campaign), .integer(key.windowStart), .integer(Int64(n))] }
    }

    /// Deletes the run's topics (best effort: a failure is reported, not thrown).
    /// The local broker (noida-db) keeps every record in memory and rewrites one data file with all of them,
    /// so the benchmark's millions of records must not stay behind to slow later runs and tests.
    func dropTopics(_ topics: [String]) {
        for topic in topics {
            do {
                try KafkaAdmin.deleteTopic(topic, brokers: brokers, timeout: .seconds(30))
            } catch {
                say("could not delete topic \(topic): \(error)")
            }
        }
    }

    /// `sum(events)` of the table; 0 while the table does not exist yet.
    static func sum(_ db: PostgresConnection, table: String) async throws -> Int {
        do {
            let rows = try await db.query("SELECT coalesce(sum(events), 0)::bigint FROM \"\(table)\"")
            return rows.first?.first.flatMap { $0.flatMap { Int($0) } } ?? 0
        } catch let error as PostgresError where error.sqlState == "42P01" {
            return 0
        }
    }

    /// `records` messages in chunks of `chunk`.
    static func generate(records: Int, chunk: Int, campaigns: Int, baseMs: Int64, spanMs: Int64) -> [[KafkaMessage]] {
        var random = SplitMix(seed: 42)
        var chunks: [[KafkaMessage]] = []
        var current: [KafkaMessage] = []
        current.reserveCapacity(chunk)
        for i in 0..<records {
            let time = baseMs + Int64(i) * spanMs / Int64(records)
            let campaign = "campaign-\(random.next() % UInt64(campaigns))"
            current.append(KafkaMessage("\(time),\(campaign),user-\(random.next() % 100_000)", key: campaign))
            if current.count == chunk {
                chunks.append(current)
                current = []
                current.reserveCapacity(chunk)
            }
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
    }
}

// MARK: Measurement

enum Sink: String, ExpressibleByArgument, Sendable { case postgres, none }

/// i of a campaign named `probe-<i>`.
func probeNumber(_ campaign: String) -> Int? {
    campaign.hasPrefix("probe-") ? Int(campaign.dropFirst("probe-".count)) : nil
}

final class Counter: Sendable {
    private let total = Atomic<Int>(0)
    func add(_ n: Int) { total.wrappingAdd(n, ordering: .relaxed) }
    var value: Int { total.load(ordering: .relaxed) }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Every completed batch, for the phases' batch statistics.
final class BatchLog: StreamingListener {
    private let infos = Mutex<[BatchInfo]>([])
    func batchCompleted(_ info: BatchInfo) { infos.withLock { $0.append(info) } }
    var completed: Int { infos.withLock { $0.count } }
    func mark() -> Int { completed }
    func since(_ mark: Int) -> [BatchInfo] { infos.withLock { Array($0[mark...]) } }
}

/// Probe send, ack and visibility times.
final class ProbeLog: Sendable {
    private struct State {
        var sent: [ContinuousClock.Instant?]
        var visible: [ContinuousClock.Instant?]
        var acks: [Duration] = []
        var visibleCount = 0
    }
    private let state: Mutex<State>
    let count: Int
    init(count: Int) {
        self.count = count
        state = Mutex(State(sent: Array(repeating: nil, count: count), visible: Array(repeating: nil, count: count)))
    }
    func sent(_ i: Int, at t: ContinuousClock.Instant) { state.withLock { $0.sent[i] = t } }
    func acked(_ i: Int, after d: Duration) { state.withLock { $0.acks.append(d) } }
    func visible(_ i: Int, at t: ContinuousClock.Instant) {
        state.withLock { s in
            guard i >= 0, i < s.visible.count, s.visible[i] == nil else { return }
            s.visible[i] = t
            s.visibleCount += 1
        }
    }
    var visibleCount: Int { state.withLock { $0.visibleCount } }
    var acks: [Duration] { state.withLock { $0.acks } }
    /// Visible - sent per probe (a row seen before its send returned counts from the send's start).
    var latencies: [Duration] {
        state.withLock { s in
            zip(s.sent, s.visible).compactMap { sent, visible in
                guard let sent, let visible else { return nil }
                return visible - sent
            }
        }
    }
}

struct Report {
    let settings: KafkaPostgresEndToEnd
    var producerAlone: Duration?
    var throughput: Duration?
    var throughputProducing: Duration?
    var throughputBatches: [BatchInfo] = []
    var latencies: [Duration] = []
    var acks: [Duration] = []
    var latencyProduced: (Int, Duration)?
    var queryTimes: [Duration] = []
    var latencyBatches: [BatchInfo] = []
    var cpu: [(String, CPUUse)] = []

    func print() {
        let n = settings.records
        let pg = settings.sink == .postgres
        var lines = ["", pg ? "Kafka -> windowed counts -> PostgreSQL, end to end"
                            : "Kafka -> windowed counts -> counted in the process (--sink none: diagnostic, no database)",
                     "batch \(settings.batchMs) ms, \(settings.partitions) partitions, \(settings.campaigns) campaigns, "
                         + "\(settings.windowSeconds) s event-time windows, \(ProcessInfo.processInfo.activeProcessorCount) cores",
                     "", "| | time | records/s |", "| --- | ---: | ---: |"]
        if let d = producerAlone {
            lines.append("| KafkaProducer alone: \(n) records, \(settings.chunk) per send | \(format(d)) | \(rate(n, d)) |")
        }
        if let d = throughput, let p = throughputProducing {
            lines.append("| pipeline: \(n) records, first produce -> " + (pg ? "sum(events) == N visible" : "all N counted") + " | \(format(d)) | \(rate(n, d)) |")
            lines.append("| (producing them while the pipeline ran) | \(format(p)) | \(rate(n, p)) |")
            lines.append("| (last ack -> all visible) | \(format(d - p)) | |")
        }
        if let (produced, d) = latencyProduced {
            lines.append("| latency phase: \(produced) records at \(settings.latencyRate)/s target | \(format(d)) | \(rate(produced, d)) |")
        }
        if !throughputBatches.isEmpty { lines += ["", "throughput phase " + batchSummary(throughputBatches)] }
        if !latencies.isEmpty {
            let ms = latencies.map(milliseconds).sorted()
            let ack = acks.map(milliseconds).sorted()
            let q = queryTimes.map(milliseconds).sorted()
            lines += ["", "Latency, produce (just before send) -> "
                        + (pg ? "row visible to a poller every \(settings.pollMs) ms, " : "seen by the output, ")
                        + "\(ms.count) probes, one in each \(settings.probeMs) ms slot at a random point:", "",
                      "| | p50 | p99 | max |", "| --- | ---: | ---: | ---: |",
                      "| produce -> visible | \(ms.p(0.5)) ms | \(ms.p(0.99)) ms | \(ms.p(1)) ms |",
                      "| (send of the probe's chunk until acked) | \(ack.p(0.5)) ms | \(ack.p(0.99)) ms | \(ack.p(1)) ms |",
                      ]
            if !q.isEmpty { lines.append("| (poll query) | \(q.p(0.5)) ms | \(q.p(0.99)) ms | \(q.p(1)) ms |") }
            if !latencyBatches.isEmpty { lines += ["", "latency phase " + batchSummary(latencyBatches)] }
        }
        if !cpu.isEmpty {
            lines += ["", "CPU seconds per phase (Linux /proc; the machine has \(ProcessInfo.processInfo.activeProcessorCount) cores):", "",
                      "| phase | wall | machine busy | this process | (producer thread) | broker | PostgreSQL | rest |",
                      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
            for (name, u) in cpu {
                let f = { (x: Double) in String(format: "%.2f", x) }
                lines.append("| \(name) | \(f(u.wall)) s | \(f(u.machine)) | \(f(u.process)) | "
                    + "\(u.producerThread.map(f) ?? "-") | \(f(u.broker)) | \(f(u.postgres)) | \(f(u.machine - u.process - u.broker - u.postgres)) |")
            }
        }
        lines.append("")
        Swift.print(lines.joined(separator: "\n"))
    }

    func batchSummary(_ infos: [BatchInfo]) -> String {
        let busy = infos.filter { $0.numRecords > 0 }
        guard !busy.isEmpty else { return "batches: none with records" }
        let processing = busy.compactMap(\.processingDelay).map(milliseconds).sorted()
        let scheduling = busy.compactMap(\.schedulingDelay).map(milliseconds).sorted()
        let sizes = busy.map { Double($0.numRecords) }.sorted()
        // Generation (cutting the batch: the Kafka fetch happens there) ends at submission.
        let cut = busy.map { Double($0.submissionTime - $0.batchTime.milliseconds) }.sorted()
        return "batches with records: \(busy.count); records per batch p50 \(Int(sizes.p(0.5))), max \(Int(sizes.p(1))); "
            + "cut (Kafka fetch) p50 \(cut.p(0.5)) ms, max \(cut.p(1)) ms; "
            + "processing (decode, count, sink) p50 \(processing.p(0.5)) ms, max \(processing.p(1)) ms; "
            + "scheduling delay p50 \(scheduling.p(0.5)) ms, max \(scheduling.p(1)) ms"
    }
}

extension [Double] {
    /// Nearest-rank percentile of a sorted array, rounded to 0.1.
    func p(_ q: Double) -> Double {
        guard !isEmpty else { return .nan }
        let i = Swift.min(count - 1, Swift.max(0, Int((q * Double(count)).rounded(.up)) - 1))
        return (self[i] * 10).rounded() / 10
    }
}

/// CPU time used by this process, the broker's processes and PostgreSQL's, and the whole machine (Linux /proc;
/// zeros elsewhere).
struct CPUAccounting: Sendable {
    let brokerNames: Set<String>

    struct Sample {
        var at = ContinuousClock.now
        var machine = 0.0, process = 0.0, broker = 0.0, postgres = 0.0

        func minus(_ earlier: Sample, producerThread: Double?) -> CPUUse {
            CPUUse(wall: seconds(at - earlier.at), machine: machine - earlier.machine, process: process - earlier.process,
                   producerThread: producerThread, broker: broker - earlier.broker, postgres: postgres - earlier.postgres)
        }
    }

    func sample() -> Sample {
        var s = Sample()
        let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
        if let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let line = stat.split(separator: "\n").first {
            // cpu user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
            let f = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            if f.count >= 8 { s.machine = (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / tick }
        }
        let me = getpid()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { continue }
            let name = String(stat[stat.index(after: open)..<close])
            let fields = stat[stat.index(after: close)...].split(separator: " ")  // state is fields[0]
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            let used = (user + system) / tick
            if pid == me { s.process = used } else if brokerNames.contains(name) { s.broker += used }
            else if name == "postgres" { s.postgres += used }
        }
        return s
    }
}

struct CPUUse {
    var wall, machine, process: Double
    var producerThread: Double?
    var broker, postgres: Double
}

/// CPU seconds the calling thread has used.
func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// SplitMix64: the generated records' campaigns and users.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs blocking `body` on a thread of its own, off Swift's cooperative pool (which runs the engine's batches).
func onThread<R: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> R) async throws -> R {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = name
        thread.start()
    }
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
func milliseconds(_ d: Duration) -> Double { seconds(d) * 1000 }
func format(_ d: Duration) -> String { String(format: "%.2f s", seconds(d)) }
func rate(_ n: Int, _ d: Duration) -> String {
    let r = Double(n) / seconds(d)
    return r >= 1e6 ? String(format: "%.2fM", r / 1e6) : String(format: "%.0fk", r / 1e3)
}
func say(_ s: String) {
    FileHandle.standardError.write(Data("[e2e] \(s)\n".utf8))
}
