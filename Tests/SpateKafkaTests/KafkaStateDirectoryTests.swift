import Foundation
import Logging
import Testing
@testable import SpateKafka

/// `partitionedUpdateStateByKey`'s state directory: one that cannot be created is refused with its path.
@Suite struct KafkaStateDirectoryTests {
    @Test func aStateDirectoryThatCannotBeCreatedNamesItsPathAndTheFix() throws {
        // A regular file where a parent directory should be: creating the directory fails, even for root.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-state-\(UUID().uuidString)")
        #expect(FileManager.default.createFile(atPath: file.path, contents: Data()))
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            _ = try KafkaStateSnapshots(directory: file.path, group: "g", logger: Logger(label: "test"))
            Issue.record("a state directory under a regular file should be refused")
        } catch let KafkaError.stateDirectoryUnwritable(path, _) {
            #expect(path == file.appendingPathComponent("g").path)
        }
        let message = KafkaError.stateDirectoryUnwritable(path: "/x/g", reason: "denied").description
        #expect(message.contains("/x/g") && message.contains("pass a writable stateDirectory"), "\(message)")
    }
}
