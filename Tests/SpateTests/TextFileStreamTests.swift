import Foundation
import Synchronization
import Testing
@testable import Spate

/// A fresh temporary directory, removed by `remove()`.
private struct TextFileTempDirectory {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("spate-textfile-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws { try write(name, Array(text.utf8)) }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: url.appendingPathComponent(name))
    }

    /// Writes under a temporary "_" name, then renames: how files should arrive in a watched directory.
    func moveIn(_ name: String, _ text: String) throws {
        try write("_" + name + ".tmp", text)
        try rename("_" + name + ".tmp", to: name)
    }

    func rename(_ from: String, to: String) throws {
        try FileManager.default.moveItem(at: url.appendingPathComponent(from), to: url.appendingPathComponent(to))
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

private final class TextFileInvalidCounter: StreamingListener {
    let counts = Mutex<[Int]>([])
    func batchCompleted(_ info: BatchInfo) { counts.withLock { $0.append(info.invalidRecords) } }
}

@Suite struct TextFileStreamTests {
    @Test func newFilesAreReadOnceAndHiddenFilesWaitForTheirRename() async throws {
        let dir = try TextFileTempDirectory()
        defer { dir.remove() }
        try dir.write("old.txt", "existed before start\n")
        try dir.write(".pre", "pre 1\npre 2\n")
        try FileManager.default.createDirectory(at: dir.url.appendingPathComponent("subdir"),
                                                withIntermediateDirectories: false)

        let ssc = manualContext()
        let out = Collector(ssc.textFileStream(directory: dir.path))
        try await ssc.start()

        try await ssc.advance(by: .seconds(1))                 // 1000: nothing new
        try dir.moveIn("a.txt", "a1\r\na2\n\nlast without newline")
        try dir.write(".b.partial", "b1\n")                     // still being written
        try await ssc.advance(by: .seconds(1))                 // 2000: a.txt
        try await ssc.advance(by: .seconds(1))                 // 3000: nothing (a.txt read once)
        try dir.rename(".pre", to: "pre.txt")
        try dir.rename(".b.partial", to: "b.txt")
        try await ssc.advance(by: .seconds(1))                 // 4000: b.txt then pre.txt (name order)
        try await ssc.advance(by: .seconds(1))                 // 5000: nothing
        await ssc.stop()

        #expect(out.times == [1000, 2000, 3000, 4000, 5000])
        #expect(out.results == [
            [],
            ["a1", "a2", "", "last without newline"],
            [],
            ["b1", "pre 1", "pre 2"],
            [],
        ])
    }

    @Test func urlOverloadAndExistingFilesWhenNotNewOnly() async throws {
        let dir = try TextFileTempDirectory()
        defer { dir.remove() }
        try dir.write("x.txt", "x\n")
        try dir.write("_SUCCESS", "")
        let ssc = manualContext(parallelism: 3)
        let out = Collector(ssc.textFileStream(directory: dir.url, newFilesOnly: false))
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        try dir.moveIn("y.txt", "y1\ny2\ny3\ny4\n")
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        #expect(out.results == [["x"], ["y1", "y2", "y3", "y4"]])
    }

    @Test func invalidUTF8LinesAreCounted() async throws {
        let dir = try TextFileTempDirectory()
        defer { dir.remove() }
        let ssc = manualContext()
        let counter = TextFileInvalidCounter()
        ssc.addListener(counter)
        let out = Collector(ssc.textFileStream(directory: dir.path))
        try await ssc.start()
        try dir.write("_bad", Array("good\n".utf8) + [0xFF, 0x0A] + Array("also good".utf8))
        try dir.rename("_bad", to: "bad.txt")
        try await ssc.advance(by: .seconds(1))
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        #expect(out.results == [["good", "also good"], []])
        #expect(counter.counts.withLock { $0 } == [1, 0])
    }

    @Test func utf8LinesFormReadsTheSameLinesAsViews() async throws {
        let dir = try TextFileTempDirectory()
        defer { dir.remove() }
        let ssc = manualContext()
        let counter = TextFileInvalidCounter()
        ssc.addListener(counter)
        let lines = ssc.textFileStream(directory: dir.url, as: .utf8Lines)
        let out = Collector(lines.map(\.string))
        let fields = Collector(lines.flatMap { $0.field(1)?.parseInt().map { [$0] } ?? [] })
        try await ssc.start()
        try dir.write("_a", Array("a,1\r\nb,2\n".utf8) + [0xFF, 0x0A] + Array("\u{E9},3".utf8))
        try dir.rename("_a", to: "a.txt")
        try await ssc.advance(by: .seconds(1))
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        #expect(out.results == [["a,1", "b,2", "\u{E9},3"], []])
        #expect(fields.results == [[1, 2, 3], []])
        #expect(counter.counts.withLock { $0 } == [1, 0])
    }

    @Test func missingDirectoryFailsStartWithFix() async throws {
        let missing = FileManager.default.temporaryDirectory
            .appendingPathComponent("spate-missing-\(UUID().uuidString)").path
        let ssc = manualContext()
        ssc.textFileStream(directory: missing).foreachBatch { _, _ in }
        do {
            try await ssc.start()
            Issue.record("start() should fail for a missing directory")
        } catch let error as SpateError {
            guard case let .sourceFailed(_, reason) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(reason.contains(missing))
            #expect(reason.contains("mkdir -p"))
        }
    }

    @Test func deletedDirectoryGivesEmptyBatches() async throws {
        let dir = try TextFileTempDirectory()
        let ssc = manualContext()
        let out = Collector(ssc.textFileStream(directory: dir.path))
        try await ssc.start()
        dir.remove()
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        #expect(out.results == [[]])
    }

    /// Issue 11: a recovered program reads the files of the batches its windows still need again (from their
    /// file lists) and then every file that arrived after its last checkpoint: one read after it before the
    /// crash, one dropped while the program was down.
    @Test func recoveryReadsTheFilesThatArrivedAfterTheLastCheckpoint() async throws {
        let dir = try TextFileTempDirectory()
        let checkpoint = try TextFileTempDirectory()
        defer { dir.remove(); checkpoint.remove() }
        func program() throws -> (StreamingContext, Collector<String>) {
            var out: Collector<String>?
            let ssc = try StreamingContext.getOrCreate(checkpoint: checkpoint.url) {
                let ssc = manualContext(parallelism: 1)
                let lines = try ssc.textFileStream(directory: dir.path).window(length: .seconds(2))
                out = Collector(lines.checkpoint(interval: .seconds(2)))
                return ssc
            }
            return (ssc, out!)
        }
        let (first, _) = try program()
        try await first.start()
        try dir.moveIn("a.txt", "a\n")
        try await first.advance(by: .seconds(1))               // 1000: a
        try dir.moveIn("b.txt", "b\n")
        try await first.advance(by: .seconds(1))               // 2000: b, then the checkpoint
        try dir.moveIn("c.txt", "c\n")
        try await first.advance(by: .seconds(1))               // 3000: c, after the last checkpoint
        await first.stop(graceful: false)                      // a crash: no final checkpoint
        try dir.moveIn("d.txt", "d\n")                          // arrives while the program is down

        let (second, out) = try program()
        try await second.start()
        try await second.advance(by: .seconds(2))              // 3000 and 4000 again
        await second.stop()
        #expect(out.times == [3000, 4000])
        #expect(out.results.map { $0.sorted() } == [["b", "c", "d"], ["c", "d"]])
    }
}
