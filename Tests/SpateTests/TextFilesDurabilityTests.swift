import Foundation
import Testing
@testable import Spate

/// saveAsTextFiles replaces a batch's folder by renames only and cleans what a crash left behind.
@Suite struct TextFilesDurabilityTests {
    static func tempDir() -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-textfiles-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ url: URL, _ text: String) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    @Test func aCrashsLeftoversAreCleanedAndAFolderMovedAsideIsPutBack() async throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A crash while writing batch 1000 (its temporary folder), and one between the two renames of a re-run
        // batch 2000 (its folder moved aside, the new one not yet in); batch 3000 was replaced, its old copy left.
        try Self.write(dir.appendingPathComponent(".out-1000.tmp-1a2b/part-00000"), "half\n")
        try Self.write(dir.appendingPathComponent(".out-2000.old-3c4d/part-00000"), "two\n")
        try Self.write(dir.appendingPathComponent("out-3000/part-00000"), "new three\n")
        try Self.write(dir.appendingPathComponent(".out-3000.old-5e6f/part-00000"), "old three\n")
        try Self.write(dir.appendingPathComponent(".other-1000.tmp-1a2b/part-00000"), "another sink's\n")
        let ssc = StreamingContext(batchInterval: .seconds(1), parallelism: 1, clock: .manual)
        ssc.queueStream([["one"]]).saveAsTextFiles(prefix: dir.appendingPathComponent("out").path)
        try await ssc.start()
        try await ssc.advance(by: .seconds(1))
        await ssc.stop()
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == [".other-1000.tmp-1a2b", "out-1000", "out-2000", "out-3000"])
        #expect(try String(contentsOf: dir.appendingPathComponent("out-1000/part-00000"), encoding: .utf8) == "one\n")
        #expect(try String(contentsOf: dir.appendingPathComponent("out-2000/part-00000"), encoding: .utf8) == "two\n")
        #expect(try String(contentsOf: dir.appendingPathComponent("out-3000/part-00000"), encoding: .utf8) == "new three\n")
    }

    @Test func writingABatchAgainReplacesItsFolderWithNothingLeftBeside() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = dir.appendingPathComponent("out-1000")
        try TextFilesWriter.write([("part-00000", Data("first\n".utf8)), ("part-00001", Data("x\n".utf8))], to: folder)
        try TextFilesWriter.write([("part-00000", Data("second\n".utf8))], to: folder)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out-1000"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["part-00000"])
        #expect(try String(contentsOf: folder.appendingPathComponent("part-00000"), encoding: .utf8) == "second\n")
    }
}
