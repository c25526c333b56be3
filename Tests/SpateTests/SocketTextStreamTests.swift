import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import Spate

/// A real TCP server on 127.0.0.1 that sends bytes to every connected client.
final class SocketLineServer: Sendable {
    let port: Int
    private let server: any Channel
    private let clients: ClientList

    private final class ClientList: Sendable {
        let channels = Mutex<[any Channel]>([])
    }

    private init(port: Int, server: any Channel, clients: ClientList) {
        self.port = port
        self.server = server
        self.clients = clients
    }

    /// Starts listening on `port` (0: an ephemeral port).
    static func start(port: Int = 0) async throws -> SocketLineServer {
        let clients = ClientList()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                clients.channels.withLock { $0.append(channel) }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: port).get()
        return SocketLineServer(port: channel.localAddress?.port ?? port, server: channel, clients: clients)
    }

    var activeClients: [any Channel] { clients.channels.withLock { $0.filter(\.isActive) } }

    func waitForClient() async throws {
        try await pollUntil("a client connects to port \(port)") { !self.activeClients.isEmpty }
    }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) async throws {
        for client in activeClients {
            try await client.writeAndFlush(ByteBuffer(bytes: bytes)).get()
        }
    }

    /// Closes every connection and stops listening.
    func stop() async {
        let all = clients.channels.withLock { c in
            defer { c = [] }
            return c
        }
        for client in all { try? await client.close().get() }
        try? await server.close().get()
    }
}

/// Polls `condition` every 5 ms for up to 5 s.

private final class SocketInfoRecorder: StreamingListener {
    let infos = Mutex<[BatchInfo]>([])
    func batchCompleted(_ info: BatchInfo) { infos.withLock { $0.append(info) } }
    var completed: [BatchInfo] { infos.withLock { $0 } }
}

@Suite struct SocketTextStreamTests {
    @Test func linesArriveSplitAcrossReadsAndCRLF() async throws {
        let server = try await SocketLineServer.start()
        defer { Task { await server.stop() } }
        let ssc = manualContext()
        let (lines, source) = ssc.socketTextSource(host: "127.0.0.1", port: server.port)
        let out = Collector(lines)
        try await ssc.start()
        try await server.waitForClient()

        try await server.send("alpha\r\nbe")
        try await server.send("ta\ngam")
        try await pollUntil("two lines are buffered") { source.bufferedCount == 2 }
        try await server.send("ma\n\n")
        try await pollUntil("four lines are buffered") { source.bufferedCount == 4 }
        try await ssc.advance(by: .seconds(1))
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()

        #expect(out.results.count == 2)
        #expect(out.results.first == ["alpha", "beta", "gamma", ""])
        #expect(out.results.last == [])
    }

    @Test func utf8LinesFormGivesTheStringFormsLinesAsViews() async throws {
        // Both forms read the same bytes (split across reads, CRLF, a bad line, non-ASCII): same lines, same
        // invalid count; the fast form's words count without a String.
        let server = try await SocketLineServer.start()
        defer { Task { await server.stop() } }
        let ssc = manualContext()
        let recorder = SocketInfoRecorder()
        ssc.addListener(recorder)
        let strings = Collector(ssc.socketTextStream(host: "127.0.0.1", port: server.port))
        let fast = ssc.socketTextStream(host: "127.0.0.1", port: server.port, as: .utf8Lines)
        let views = Collector(fast.map(\.string))
        let counts = Collector(fast.flatMap { $0.wordKeys }.map { ($0, 1) }.reduceByKey(+).map { ($0.0.string, $0.1) })
        try await ssc.start()
        try await pollUntil("both streams connect") { server.activeClients.count == 2 }
        try await server.send("to be or\r\nnot to")
        try await server.send(" be\n")
        try await server.send(Array("bad ".utf8) + [0xC3, 0x28] + Array("\nh\u{E9}llo w\u{F6}rld\n".utf8))
        try await server.send("\n")
        try await Task.sleep(for: .milliseconds(300))
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        let expected = ["to be or", "not to be", "h\u{E9}llo w\u{F6}rld", ""]
        #expect(strings.results == [expected])
        #expect(views.results == [expected])
        #expect(dictionary(counts.results.first ?? []) == ["to": 2, "be": 2, "or": 1, "not": 1, "h\u{E9}llo": 1, "w\u{F6}rld": 1])
        // One bad line in each stream.
        #expect(recorder.completed.map(\.invalidRecords) == [2])
    }

    @Test func reconnectsAfterServerRestartWithoutLosingLines() async throws {
        let first = try await SocketLineServer.start()
        let port = first.port
        let ssc = manualContext()
        let (lines, source) = ssc.socketTextSource(host: "127.0.0.1", port: port)
        let out = Collector(lines)
        try await ssc.start()
        try await first.waitForClient()

        try await first.send("a\nb\n")
        try await pollUntil("a and b are buffered") { source.bufferedCount == 2 }
        try await ssc.advance(by: .seconds(1))

        // Received before the server goes away: must survive the reconnect.
        try await first.send("c\n")
        try await pollUntil("c is buffered") { source.bufferedCount == 1 }
        await first.stop()

        let second = try await SocketLineServer.start(port: port)
        defer { Task { await second.stop() } }
        try await second.waitForClient()
        try await second.send("d\ne\n")
        try await pollUntil("c, d and e are buffered") { source.bufferedCount == 3 }
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()

        #expect(out.results == [["a", "b"], ["c", "d", "e"]])
        #expect(source.connectionCount == 2)
    }

    @Test func invalidUTF8IsCountedNotFatal() async throws {
        let server = try await SocketLineServer.start()
        defer { Task { await server.stop() } }
        let ssc = manualContext()
        let recorder = SocketInfoRecorder()
        ssc.addListener(recorder)
        let (lines, source) = ssc.socketTextSource(host: "127.0.0.1", port: server.port)
        let out = Collector(lines)
        try await ssc.start()
        try await server.waitForClient()

        var bytes = Array("ok1\n".utf8)
        bytes += [0xFF, 0xFE, 0x41, 0x0A]              // invalid UTF-8 line
        bytes += Array("caf\u{E9}\r\n".utf8)          // valid multi-byte line
        bytes += [0xC3, 0x0A]                          // truncated sequence
        bytes += Array("ok2\n".utf8)
        try await server.send(bytes)
        try await pollUntil("three valid lines are buffered") { source.bufferedCount == 3 }
        try await ssc.advance(by: .seconds(1))
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()

        #expect(out.results.first == ["ok1", "caf\u{E9}", "ok2"])
        let infos = recorder.completed
        #expect(infos.map(\.invalidRecords) == [2, 0])
        #expect(infos.first?.numRecords == 3)
    }

    @Test func startAgainstClosedPortThrowsClearError() async throws {
        let probe = try await SocketLineServer.start()
        let port = probe.port
        await probe.stop()

        let ssc = manualContext()
        ssc.socketTextStream(host: "127.0.0.1", port: port).foreachBatch { _, _ in }
        do {
            try await ssc.start()
            Issue.record("start() should fail when nothing listens on the port")
        } catch let error as SpateError {
            guard case let .sourceFailed(source, reason) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(source.contains("socketTextStream"))
            #expect(reason.contains("start a server on 127.0.0.1:\(port)"))
            #expect(reason.contains("fix host/port"))
        }
        #expect(!ssc.isActive)
    }

    @Test func stopWhileReconnectingReturnsPromptlyAndKeepsLines() async throws {
        let server = try await SocketLineServer.start()
        let ssc = manualContext()
        let (lines, source) = ssc.socketTextSource(host: "127.0.0.1", port: server.port)
        _ = Collector(lines)
        try await ssc.start()
        try await server.waitForClient()
        try await server.send("kept\n")
        try await pollUntil("the line is buffered") { source.bufferedCount == 1 }
        await server.stop()
        // Let the client notice and enter its backoff loop.
        try await Task.sleep(for: .milliseconds(20))

        let t0 = ContinuousClock.now
        await ssc.stop(graceful: true)
        #expect(ContinuousClock.now - t0 < .seconds(2))
        // Graceful: what was received stays pending for a final batch.
        #expect(source.bufferedCount == 1)
        #expect(source.hasPendingData)
    }

    @Test func gracefulStopProcessesReceivedLinesOnSystemClock() async throws {
        let server = try await SocketLineServer.start()
        defer { Task { await server.stop() } }
        let ssc = StreamingContext(batchInterval: .milliseconds(50), parallelism: 2)
        let (lines, source) = ssc.socketTextSource(host: "127.0.0.1", port: server.port)
        let out = Collector(lines)
        try await ssc.start()
        try await server.waitForClient()
        let sent = (0..<100).map { "line \($0)" }
        try await server.send(sent.map { $0 + "\n" }.joined())
        try await pollUntil("every line is received") {
            source.bufferedCount + out.results.reduce(0) { $0 + $1.count } == sent.count
        }
        await ssc.stop(graceful: true)
        #expect(out.results.flatMap { $0 } == sent)
    }

    @Test func receivedLinesSurviveACrashThroughTheWriteAheadLog() async throws {
        let server = try await SocketLineServer.start()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-socket-wal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        func program() throws -> (StreamingContext, SocketTextSource<String>, Collector<String>) {
            var made: (SocketTextSource<String>, Collector<String>)?
            let ssc = try StreamingContext.getOrCreate(checkpoint: dir) {
                let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 2, clock: .manual)
                let (stream, source) = ssc.socketTextSource(host: "127.0.0.1", port: server.port)
                made = (source, Collector(stream))
                return ssc
            }
            return (ssc, made!.0, made!.1)
        }
        let (first, source, _) = try program()
        try await first.start()
        try await server.waitForClient()
        try await server.send("one\ntwo\nthree\n")
        try await pollUntil("three lines are buffered") { source.bufferedCount == 3 }
        // A crash: the context goes away without running a batch or stopping gracefully.
        await first.stop(graceful: false)

        let (second, _, out) = try program()
        try await second.start()
        try await second.advance(by: .seconds(1))
        await second.stop()
        await server.stop()
        #expect(out.results == [["one", "two", "three"]] || out.results.map { $0.sorted() } == [["one", "three", "two"]])
    }
}
