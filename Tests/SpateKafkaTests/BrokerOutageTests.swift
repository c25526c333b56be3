import Foundation
import Spate
import SpateKafka
import Synchronization
import Testing

/// A broker that goes away mid-stream: batches read nothing while it is down (reported, retried with
/// backoff), and once it is back every record is read exactly once. Uses a broker of its own on a random
/// port (started and stopped with scripts/kafka.sh) so the shared one on 9092 stays up.
@Suite(.serialized) struct BrokerOutageTests {
    /// A port and state directory of this run's own (test runs of other checkouts may run at the same time).
    let port = String(Int.random(in: 19_100...19_900))
    var brokers: String { "127.0.0.1:\(port)" }
    let stateDir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-kafka-outage-\(UUID().uuidString)").path
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs scripts/kafka.sh (posix_spawn + waitpid: Foundation's Process.waitUntilExit can hang off the
    /// main thread on Linux).
    func script(_ command: String, keepData: Bool = false) throws {
        let path = Self.root.appendingPathComponent("scripts/kafka.sh").path
        var env = ProcessInfo.processInfo.environment
        env["KAFKA_PORT"] = port
        env["KAFKA_STATE_DIR"] = stateDir
        env["KAFKA_KEEP_DATA"] = keepData ? "1" : "0"
        // The broker saves its data as soon as it is told to stop, then waits for its clients (still connected
        // here) to leave; a short wait before the SIGKILL keeps this test from idling 10 s per stop.
        env["KAFKA_STOP_WAIT"] = "3"
        let args: [UnsafeMutablePointer<CChar>?] = [strdup(path), strdup(command), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (args + envp).forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, nil, nil, args, envp) == 0 else {
            throw KafkaError.client(operation: "scripts/kafka.sh \(command)", reason: "cannot spawn")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        if status != 0 { throw KafkaError.client(operation: "scripts/kafka.sh \(command)", reason: "exit status \(status)") }
    }

    @Test func aBrokerThatGoesAwayIsRetriedAndNoRecordIsLost() async throws {
        try script("start")
        defer {
            try? script("stop")
            try? FileManager.default.removeItem(atPath: stateDir)
        }
        let topic = "outage"
        try KafkaAdmin.createTopic(topic, partitions: 2, brokers: brokers)
        let producer = try KafkaProducer(brokers: brokers)
        try producer.send((0..<10).map { KafkaMessage("a\($0)", partition: $0 % 2) }, to: topic)

        let ssc = StreamingContext(batchInterval: .seconds(1), clock: .manual)
        let seen = Mutex<[String]>([])
        ssc.kafkaStream(brokers: brokers, topics: [topic], groupID: "outage",
                        options: KafkaStreamOptions(startingOffsets: .earliest, fetchTimeout: .seconds(3)))
            .foreachBatch { batch, _ in seen.withLock { $0 += batch.collect().compactMap(\.valueString) } }
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        #expect(seen.withLock { $0.count } == 10)

        try script("stop")
        try await ssc.advance(by: .seconds(2))      // both batches find no broker: empty, logged, no offset skipped
        #expect(seen.withLock { $0.count } == 10)

        try script("start", keepData: true)
        let again = try KafkaProducer(brokers: brokers)
        try again.send((10..<16).map { KafkaMessage("a\($0)", partition: $0 % 2) }, to: topic)
        for _ in 0..<8 where seen.withLock({ $0.count }) < 16 {
            try await ssc.advance(by: .seconds(1))
        }
        await ssc.stop()
        #expect(seen.withLock { $0 }.sorted() == (0..<16).map { "a\($0)" }.sorted())
    }
}
