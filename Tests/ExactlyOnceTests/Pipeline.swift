import Foundation
import Spate
import SpateKafka
import SpatePostgres
import Testing

/// Drives the KafkaCampaignCounts example (Examples/KafkaCampaignCounts) as child processes against the real
/// broker (scripts/kafka.sh) and PostgreSQL (scripts/postgres.sh), and produces its input.
enum Pipeline {
    static let brokers = "127.0.0.1:9092"
    /// The tests' tables and `spate_offsets` live in a schema of their own, apart from the shared database's
    /// `public` schema, where runs of other versions may keep an offsets table of the earlier format.
    static let schema = "spate_text_offsets"
    static let postgres = "host=127.0.0.1 port=5432 user=postgres dbname=spate options='-c search_path=\(schema),public'"

    /// Creates the tests' schema (once per process is enough; later calls change nothing).
    static func prepareDatabase() async throws {
        let connection = PostgresConnection(postgres)
        defer { Task { await connection.close() } }
        do { try await connection.query("CREATE SCHEMA IF NOT EXISTS \(schema)") } catch {
            // Two processes creating it at once: one wins, and the schema is there.
            try await connection.query("SELECT 1")
        }
    }
    static let windowMs: Int64 = 10_000

    static var executable: URL { built("KafkaCampaignCounts") }

    /// The executable `name` the package built beside the tests.
    static func built(_ name: String) -> URL {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [here, here.deletingLastPathComponent()].map { $0.appendingPathComponent(name) }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    static func unique(_ base: String) -> String { "\(base)_\(UUID().uuidString.prefix(8).lowercased())" }

    /// Starts one pipeline process (the example, unless `program` names another); its log goes to `log`.
    static func launch(_ arguments: [String], log: URL, program: URL = executable) throws -> Process {
        let p = Process()
        p.executableURL = program
        p.arguments = arguments
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    static func kill9(_ p: Process) async {
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    /// Stops a process with SIGTERM (a graceful stop) and waits for it.
    static func stop(_ p: Process) async {
        guard p.isRunning else { return }
        p.terminate()
        let deadline = ContinuousClock.now + .seconds(20)
        while p.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if p.isRunning { await kill9(p) }
    }

    /// `count` events from `random`: campaigns c0..c<campaigns-1>, event times over a few windows. Returns the
    /// messages (keyed by campaign, so each campaign lives in one partition) and their expected counts.
    static func events(
        _ count: Int, campaigns: Int, random: inout SeededRandom, malformedEvery: Int = 0
    ) -> (messages: [KafkaMessage], counts: [String: Int64]) {
        var messages: [KafkaMessage] = []
        var counts: [String: Int64] = [:]
        for i in 0..<count {
            let campaign = "c\(Int.random(in: 0..<campaigns, using: &random))"
            if malformedEvery > 0, i % malformedEvery == malformedEvery - 1 {
                messages.append(KafkaMessage("not an event \(i)", key: campaign))
                continue
            }
            let time = Int64.random(in: 0..<(6 * windowMs), using: &random)
            messages.append(KafkaMessage("\(time),\(campaign),u\(i)", key: campaign))
            counts["\(campaign)@\(time - time % windowMs)", default: 0] += 1
        }
        return (messages, counts)
    }

    /// The table as `campaign@window_start -> events`.
    static func table(_ name: String) async throws -> [String: Int64] {
        let connection = PostgresConnection(postgres)
        defer { Task { await connection.close() } }
        let rows = try await connection.query("SELECT campaign, window_start, events FROM \(name)")
        var result: [String: Int64] = [:]
        for row in rows { result["\(row[0]!)@\(row[1]!)"] = Int64(row[2]!)! }
        return result
    }

    /// Polls until `table` equals `expected` or `timeout` passes; returns the last contents read.
    static func awaitTable(_ name: String, equals expected: [String: Int64], timeout: Duration) async -> [String: Int64] {
        let deadline = ContinuousClock.now + timeout
        var last: [String: Int64] = [:]
        while ContinuousClock.now < deadline {
            if let now = try? await table(name) {
                last = now
                if now == expected { return now }
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return last
    }

    static func sum(_ counts: [String: Int64]) -> Int64 { counts.values.reduce(0, +) }

    static func merge(_ a: inout [String: Int64], _ b: [String: Int64]) { a.merge(b, uniquingKeysWith: +) }
}
