import Foundation
import SpatePostgres

/// The local Kinesis-compatible server (moto, scripts/kinesis.sh) and PostgreSQL (scripts/postgres.sh) the
/// tests run against, boto3 (python3) to produce and reshard as an AWS user would, and the probe pipeline
/// (Tests/KinesisProbe) run as child processes.
enum LocalKinesis {
    static let endpoint = "http://127.0.0.1:4567"
    static let schema = "spate_kinesis_tests"
    static let postgres = "host=127.0.0.1 port=5432 user=postgres dbname=spate options='-c search_path=\(schema),public'"

    static func unique(_ base: String) -> String { "\(base)-\(UUID().uuidString.prefix(8).lowercased())" }

    /// Runs `python3 -c script args...` and returns its standard output; throws with its standard error when
    /// it fails.
    static func python(_ script: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", prelude + script] + arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ScriptFailed(message: String(decoding: errors, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self)
    }

    struct ScriptFailed: Error, CustomStringConvertible {
        let message: String
        var description: String { "python3 failed: \(message)" }
    }

    static let prelude = """
        import boto3, json, random, sys, time
        k = boto3.client('kinesis', endpoint_url='\(endpoint)', region_name='us-east-1',
                         aws_access_key_id='test', aws_secret_access_key='test')

        """

    /// Creates `stream` with `shards` shards and waits until it is active.
    static func createStream(_ stream: String, shards: Int) throws {
        _ = try python("""
            k.create_stream(StreamName=sys.argv[1], ShardCount=int(sys.argv[2]))
            k.get_waiter('stream_exists').wait(StreamName=sys.argv[1], WaiterConfig={'Delay': 0.2})
            """, [stream, "\(shards)"])
    }

    /// Starts a boto3 producer of `total` records (partition keys k0..k19, seeded) over about `seconds`,
    /// resharding the stream to `reshardTo` shards halfway when given; it prints the counts per key it put.
    static func startProducer(_ stream: String, total: Int, seed: Int, seconds: Double, reshardTo: Int?) throws
        -> (Process, Pipe)
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", prelude + """
            stream, total, seed, seconds, reshard = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
            rnd = random.Random(seed)
            counts = {}
            chunks = [list(range(i, min(i + 50, total))) for i in range(0, total, 50)]
            for n, chunk in enumerate(chunks):
                if reshard and n == len(chunks) // 2:
                    k.update_shard_count(StreamName=stream, TargetShardCount=reshard, ScalingType='UNIFORM_SCALING')
                    print('resharded', file=sys.stderr)
                entries = [{'Data': b'%d' % i, 'PartitionKey': 'k%d' % rnd.randrange(20)} for i in chunk]
                pending = entries
                while pending:
                    r = k.put_records(StreamName=stream, Records=pending)
                    failed = [e for e, a in zip(pending, r['Records']) if 'ErrorCode' in a]
                    for e, a in zip(pending, r['Records']):
                        if 'ErrorCode' not in a:
                            counts[e['PartitionKey']] = counts.get(e['PartitionKey'], 0) + 1
                    pending = failed
                time.sleep(seconds / len(chunks))
            print(json.dumps(counts))
            """, stream, "\(total)", "\(seed)", "\(seconds)", "\(reshardTo ?? 0)"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        return (p, out)
    }

    /// Waits for the producer and returns the counts it put per key.
    static func finish(_ producer: (Process, Pipe)) throws -> [String: Int64] {
        let data = producer.1.fileHandleForReading.readDataToEndOfFile()
        producer.0.waitUntilExit()
        let decoded = try JSONDecoder().decode([String: Int64].self, from: data)
        return decoded
    }

    /// The number of shards ListShards gives for `stream` (open and closed).
    static func shardCount(_ stream: String) throws -> Int {
        Int(try python("print(len(k.list_shards(StreamName=sys.argv[1])['Shards']))", [stream])
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    static func prepareDatabase() async throws {
        let connection = PostgresConnection(postgres)
        defer { Task { await connection.close() } }
        do { try await connection.query("CREATE SCHEMA IF NOT EXISTS \(schema)") } catch {
            try await connection.query("SELECT 1")
        }
    }

    /// The probe's table as key -> count (empty before its first batch).
    static func table(_ name: String) async throws -> [String: Int64] {
        let connection = PostgresConnection(postgres)
        defer { Task { await connection.close() } }
        var result: [String: Int64] = [:]
        for row in try await connection.query("SELECT key, value FROM \(name)") { result[row[0]!] = Int64(row[1]!)! }
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

    /// The probe executable the package built beside the tests.
    static var probe: URL {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [here, here.deletingLastPathComponent()].map { $0.appendingPathComponent("KinesisProbe") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// Starts one probe process; its log goes to `log`.
    static func launchProbe(_ arguments: [String], log: URL) throws -> Process {
        let p = Process()
        p.executableURL = probe
        p.arguments = arguments
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    static func kill9(_ p: Process) {
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    static func stop(_ p: Process) async {
        guard p.isRunning else { return }
        p.terminate()
        let deadline = ContinuousClock.now + .seconds(20)
        while p.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if p.isRunning { kill9(p) }
    }
}
