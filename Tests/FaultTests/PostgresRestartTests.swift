import Foundation
import Spate
import SpatePostgres
import Testing

/// A PostgreSQL server of the test's own (initdb into a temporary folder, its own port), so restarting it
/// disturbs no one else: `pg_ctl restart -m immediate` (a crash and recovery of the server) in the middle of
/// a batch's write.
final class OwnPostgres: Sendable {
    static let bin: String? = {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for v in versions.sorted(by: { $0.compare($1, options: .numeric) == .orderedDescending }) {
            let dir = "/usr/lib/postgresql/\(v)/bin"
            if FileManager.default.isExecutableFile(atPath: dir + "/pg_ctl") { return dir }
        }
        return nil
    }()
    static let available = bin != nil && FaultSupport.isRoot && FaultSupport.tool("/bin/su", "/usr/bin/su") != nil

    let dir: URL
    let port: Int
    var conninfo: String { "host=127.0.0.1 port=\(port) user=postgres dbname=postgres connect_timeout=3" }

    init() throws {
        dir = URL(fileURLWithPath: "/tmp/spate-fault-pg-\(UUID().uuidString.prefix(8))")
        port = Int.random(in: 56_000...59_000)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try as_postgres("chown postgres \(dir.path)", root: true)
        try as_postgres("\(Self.bin!)/initdb -D \(dir.path)/data -A trust -U postgres >\(dir.path)/initdb.log 2>&1")
        try pgctl("start -w -t 30")
    }

    /// Runs `command` as the postgres user (PostgreSQL refuses root), or as root.
    private func as_postgres(_ command: String, root: Bool = false) throws {
        let (status, output) = root
            ? try FaultSupport.run("/bin/sh", ["-c", command])
            : try FaultSupport.run(FaultSupport.tool("/bin/su", "/usr/bin/su")!, ["postgres", "-s", "/bin/sh", "-c", command])
        guard status == 0 else { throw PostgresFault(message: "\(command): \(output)") }
    }

    func pgctl(_ action: String) throws {
        let options = "-p \(port) -k \(dir.path) -c listen_addresses=127.0.0.1 -c fsync=off"
        // Its output to a file: the server it starts must not hold the pipe FaultSupport.run reads to its end.
        let log = "\(dir.path)/pg_ctl.log"
        do {
            try as_postgres("\(Self.bin!)/pg_ctl -D \(dir.path)/data -l \(dir.path)/server.log -o '\(options)' \(action) "
                + "</dev/null >>\(log) 2>&1")
        } catch {
            throw PostgresFault(message: "pg_ctl \(action): " + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? ""))
        }
    }

    func remove() {
        try? pgctl("stop -m immediate -w")
        try? FileManager.default.removeItem(at: dir)
    }
}

struct PostgresFault: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

@Suite(.serialized) struct PostgresRestartTests {
    @Test(.enabled(if: OwnPostgres.available, "needs root and PostgreSQL's pg_ctl (scripts/postgres.sh installs it): restart not injected"))
    func anImmediateServerRestartInTheMiddleOfABatchLeavesExactResults() async throws {
        let server = try OwnPostgres()
        defer { server.remove() }
        // Batches of 30,000 increments over 1,000 keys: each write takes long enough to be cut by the restart.
        let batches: [[(String, Int)]] = (0..<6).map { b in (0..<30_000).map { ("k\(($0 * 7 + b) % 1000)", 1) } }
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        try ssc.queueStream(batches).saveToPostgres(connection: server.conninfo, table: "counts", mode: .accumulate)
        try await ssc.start()
        try await ssc.advance(by: .seconds(2))
        // Batch 3's write and the restart at once.
        async let third: Void = ssc.advance(by: .seconds(1))
        try await Task.sleep(for: .milliseconds(150))
        try server.pgctl("restart -m immediate -w -t 30")
        try await third
        try await ssc.advance(by: .seconds(3))
        await ssc.stop()
        try await ssc.awaitTermination()

        var want: [String: Int] = [:]
        for batch in batches { for (k, v) in batch { want[k, default: 0] += v } }
        let db = PostgresConnection(server.conninfo)
        let rows = try await db.query("SELECT key, value FROM counts")
        let got = Dictionary(uniqueKeysWithValues: rows.map { ($0[0]!, Int($0[1]!)!) })
        #expect(got == want)
        #expect(try await db.query("SELECT count(*) FROM spate_batches") == [["6"]])
        await db.close()
    }
}
