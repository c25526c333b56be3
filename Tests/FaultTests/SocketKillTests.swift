import Foundation
import Synchronization
import Testing
@testable import Spate

#if canImport(Glibc)
import Glibc
#endif

/// A TCP server that writes numbered lines ("L<n>\n") to whoever connects, one connection after another, until
/// paused; a write that fails (the reader was killed) ends the connection and it waits for the next.
final class LineServer: Sendable {
    let port: Int
    private let listener: Int32
    private let paused = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    let sent = Atomic<Int>(0)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound, listen(fd, 4) == 0 else { throw PostgresFault(message: "cannot listen: \(errno)") }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    private func serve() {
        while !stopped.load(ordering: .relaxed) {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { continue }
            while !stopped.load(ordering: .relaxed) {
                if paused.load(ordering: .relaxed) { usleep(1000); continue }
                let n = sent.load(ordering: .relaxed)
                let line = Array("L\(n)\n".utf8)
                if line.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) != line.count { break }
                sent.store(n + 1, ordering: .relaxed)
                usleep(200)
            }
            close(fd)
        }
    }

    func pause() { paused.store(true, ordering: .relaxed) }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

/// socketTextStream with the write-ahead log under a real SIGKILL (FaultProbe socket, a child process): every
/// line the receiver had stored in the log when it was killed is in the output of the recovered program,
/// exactly once.
@Suite(.serialized) struct SocketKillTests {
    static func launch(_ ckpt: URL, _ out: URL, _ port: Int) throws -> Process {
        let p = Process()
        p.executableURL = FaultSupport.probe
        p.arguments = ["socket", ckpt.path, out.path, "\(port)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Every line in the write-ahead log under `ckpt`.
    static func logged(_ ckpt: URL) throws -> [String] {
        let root = ckpt.appendingPathComponent("receivedData")
        var lines: [String] = []
        for source in (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [] {
            let dir = root.appendingPathComponent(source)
            guard let first = WriteAheadLog<String>.segmentStarts(dir).first else { continue }
            lines += try WriteAheadLog<String>(directory: dir).runs(from: first).flatMap(\.1)
        }
        return lines
    }

    @Test func everyLineInTheLogAtAKillNineIsInTheRecoveredOutputOnce() async throws {
        let root = FaultSupport.tempDir("socket-kill")
        defer { try? FileManager.default.removeItem(at: root) }
        let (ckpt, out) = (root.appendingPathComponent("ckpt"), root.appendingPathComponent("out"))
        let server = try LineServer()
        defer { server.stop() }
        var stored = Set<String>()
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<4 {
            let p = try Self.launch(ckpt, out, server.port)
            try await Task.sleep(for: .milliseconds(Int.random(in: 800...1600, using: &rng)))
            kill(p.processIdentifier, SIGKILL)
            _ = await FaultSupport.waitForExit(p)
            stored.formUnion(try Self.logged(ckpt))
        }
        let last = try Self.launch(ckpt, out, server.port)
        try await Task.sleep(for: .milliseconds(1500))
        server.pause()
        try await Task.sleep(for: .milliseconds(1000))
        kill(last.processIdentifier, SIGTERM)
        #expect(await FaultSupport.waitForExit(last))
        #expect(last.terminationStatus == 0)

        let zero = try #require(try CheckpointFile.latest(in: ckpt, warn: { _ in })).zeroMs
        var output: [String] = []
        for folder in try FileManager.default.contentsOfDirectory(atPath: out.path) where folder.hasPrefix("lines-") {
            guard let time = Int(folder.dropFirst("lines-".count)), time > zero else { continue }
            let url = out.appendingPathComponent(folder)
            for part in try FileManager.default.contentsOfDirectory(atPath: url.path) where part.hasPrefix("part-") {
                output += try String(contentsOf: url.appendingPathComponent(part), encoding: .utf8)
                    .split(separator: "\n").map(String.init)
            }
        }
        #expect(stored.count > 1000, "the receiver stored \(stored.count) lines before the kills")
        let missing = stored.subtracting(output)
        #expect(missing.isEmpty, "\(missing.count) stored lines lost, e.g. \(missing.sorted().prefix(5))")
        #expect(output.count == Set(output).count, "\(output.count - Set(output).count) lines written twice")
    }
}
