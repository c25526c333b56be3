import Foundation
import SpateKafka
import Synchronization
import Testing
import Spate

/// The real broker the tests run against (scripts/kafka.sh start).
enum KafkaTestBroker {
    static let brokers = "127.0.0.1:9092"

    /// A topic name no other test uses.
    static func uniqueTopic(_ base: String) -> String {
        "\(base)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Creates a fresh topic; fails with the fix when no broker answers.
    static func makeTopic(_ base: String, partitions: Int = 4) throws -> String {
        let topic = uniqueTopic(base)
        do {
            try KafkaAdmin.createTopic(topic, partitions: partitions, brokers: brokers, timeout: .seconds(5))
        } catch {
            Issue.record("no Kafka broker answers on \(brokers) (\(error)): run scripts/kafka.sh start")
            throw error
        }
        return topic
    }
}

extension KafkaTestBroker {
    /// Writes `perPartition` records to each of `partitions` partitions, values "p<partition>-<i>" for
    /// i in `start ..< start + perPartition`, keys "k<i>".
    static func produce(_ topic: String, partitions: Int = 4, perPartition: Int, start: Int = 0) throws {
        let producer = try KafkaProducer(brokers: brokers)
        var messages: [KafkaMessage] = []
        for p in 0..<partitions {
            for i in start..<(start + perPartition) {
                messages.append(KafkaMessage("p\(p)-\(i)", key: "k\(i)", partition: p))
            }
        }
        try producer.send(messages, to: topic)
    }

    /// Advances every context by one batch, with a pause for the brokers' group protocol, until `done` holds
    /// (at most `batches` batches): for consumer-group tests, whose members' assignments change between batches.
    static func advance(_ contexts: [StreamingContext], batches: Int = 40, until done: () -> Bool) async throws {
        for _ in 0..<batches where !done() {
            for ssc in contexts { try await ssc.advance(by: .seconds(1)) }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The values "p<partition>-<i>" the stream should read from partition `p`.
    static func expected(partition p: Int, _ range: Range<Int>) -> [String] { range.map { "p\(p)-\($0)" } }
}

/// Collects what outputs see, by batch time.
final class BatchLog<T: Sendable>: Sendable {
    private let batches = Mutex<[Int: T]>([:])
    func record(_ value: T, at time: BatchTime) { batches.withLock { $0[time.milliseconds] = value } }
    subscript(ms: Int) -> T? { batches.withLock { $0[ms] } }
    var all: [Int: T] { batches.withLock { $0 } }
}

/// A broker of a test's own on a random port (started and stopped with scripts/kafka.sh), for tests that stop
/// it: the shared one on 9092 stays up for the others.
struct OwnBroker {
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

    /// Removes the broker's data directory (after its last stop).
    func removeData() { try? FileManager.default.removeItem(atPath: stateDir) }
}
