import Foundation
import Testing
@testable import Spate

@Suite struct OutputTests {
    @Test func printUsesSparksFormat() {
        let batch = Batch(time: BatchTime(milliseconds: 2000), elements: [("a", 1), ("b", 2), ("c", 3)], partitions: 2)
        #expect(PrintFormat.render(batch, time: batch.time, count: 2) == """
            -------------------------------------------
            Time: 2000 ms
            -------------------------------------------
            (a,1)
            (b,2)
            ...


            """)
        let small = Batch(time: BatchTime(milliseconds: 1000), elements: [Optional(1), nil])
        #expect(PrintFormat.render(small, time: small.time, count: 10).hasSuffix("ms\n-------------------------------------------\nSome(1)\nNone\n\n"))
    }

    @Test func saveAsTextFilesWritesOneFolderPerBatchAtomically() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-save-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let prefix = dir.appendingPathComponent("out").path
        func runOnce() async throws {
            let ssc = manualContext(parallelism: 2)
            ssc.queueStream([["a", "b", "c"], [], ["d"]]).saveAsTextFiles(prefix: prefix, suffix: "txt")
            try await ssc.start()
            try await ssc.advance(by: .seconds(3))
            await ssc.stop()
        }
        try await runOnce()
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["out-1000.txt", "out-2000.txt", "out-3000.txt"])
        func lines(_ folder: String) throws -> [String] {
            let url = dir.appendingPathComponent(folder)
            let files = try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.hasPrefix("part-") }.sorted()
            #expect(FileManager.default.fileExists(atPath: url.appendingPathComponent("_SUCCESS").path))
            return try files.flatMap { try String(contentsOf: url.appendingPathComponent($0), encoding: .utf8).split(separator: "\n").map(String.init) }
        }
        #expect(try lines("out-1000.txt") == ["a", "b", "c"])
        #expect(try lines("out-2000.txt") == [])
        #expect(try lines("out-3000.txt") == ["d"])
        // Writing the same batch times again replaces the folders: the output is idempotent per batch time.
        try await runOnce()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == names)
        #expect(try lines("out-1000.txt") == ["a", "b", "c"])
    }

    @Test func foreachBatchErrorStopsTheContextAndIsRethrown() async throws {
        struct Boom: Error, Equatable {}
        let ssc = manualContext()
        ssc.queueStream([[1], [2]]).foreachBatch { batch, _ in
            if batch.collect() == [2] { throw Boom() }
        }
        try await ssc.start()
        await #expect(throws: Boom.self) { try await ssc.advance(by: .seconds(2)) }
        await #expect(throws: Boom.self) { try await ssc.awaitTermination() }
        #expect(!ssc.isActive)
    }
}
