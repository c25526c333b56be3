import Foundation
import Spate
import Synchronization

enum ProbeOutput {
    /// Writes a batch's records as `<base>/<zero>/<name>-<time>.txt`, atomically (temp file + rename).
    static func save(_ batch: Batch<(String, Int)>, base: String, zero: Int, name: String, time: BatchTime) throws {
        let dir = URL(fileURLWithPath: base).appendingPathComponent("\(zero)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let text = batch.collect().map { "\($0.0)=\($0.1)\n" }.joined()
        let file = dir.appendingPathComponent("\(name)-\(time.milliseconds).txt")
        let temp = dir.appendingPathComponent(".\(name)-\(time.milliseconds).tmp")
        try Data(text.utf8).write(to: temp)
        _ = rename(temp.path, file.path)
    }
}
