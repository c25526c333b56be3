import Foundation
import Spate
@testable import SpatePostgres
import Testing

/// A connection string's password never reaches an error message or a log line.
@Suite struct RedactedConninfoTests {
    @Test(arguments: [
        "host=127.0.0.1 port=1 user=spate password=hunter2 dbname=spate connect_timeout=2",
        "host=127.0.0.1 port=1 user=spate password='hunter2' dbname=spate connect_timeout=2",
        "postgresql://spate:hunter2@127.0.0.1:1/spate?connect_timeout=2",
        "postgresql://spate@127.0.0.1:1/spate?password=hunter2&connect_timeout=2",
    ])
    func failedConnectionDoesNotShowThePassword(conninfo: String) async throws {
        let connection = PostgresConnection(conninfo)
        #expect(!connection.redactedConninfo.contains("hunter2"))
        #expect(connection.redactedConninfo.contains("password=***"))
        #expect(connection.redactedConninfo.contains("host=127.0.0.1"))
        do {
            _ = try await connection.withSession { _ in 1 }
            Issue.record("connected to port 1")
        } catch {
            #expect(!"\(error)".contains("hunter2"), "\(error)")
            #expect("\(error)".contains("127.0.0.1"), "\(error)")
        }
        await connection.close()
    }

    @Test func sinkErrorsDoNotShowThePassword() async throws {
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
        try ssc.queueStream([[("a", 1)]]).saveToPostgres(
            connection: "host=127.0.0.1 port=1 user=spate password=hunter2 dbname=spate connect_timeout=2",
            table: "redaction_probe", mode: .upsert)
        do {
            try await ssc.start()
            try await ssc.advance(by: .seconds(1))
            Issue.record("wrote to port 1")
        } catch {
            #expect(!"\(error)".contains("hunter2"), "\(error)")
        }
        await ssc.stop()
    }

    @Test func unparsableStringShowsNothingOfIt() {
        #expect(RedactedConninfo.redact("host='unterminated password=hunter2") == "<unparsable connection string>")
    }
}
