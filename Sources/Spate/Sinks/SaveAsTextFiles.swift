import Foundation

extension DStream {
    /// Writes every batch to a folder `"<prefix>-<time ms>[.<suffix>]"`: one `part-NNNNN` file per partition,
    /// one record per line, then `_SUCCESS`. The folder appears atomically (written under a temporary
    /// name, then renamed), and writing the same batch time again replaces it, so re-runs are idempotent.
    public func saveAsTextFiles(prefix: String, suffix: String = "") {
        foreachBatch(name: "saveAsTextFiles") { batch, time in
            try TextFilesWriter.write(batch, to: TextFilesWriter.folder(prefix: prefix, suffix: suffix, time: time))
        }
    }
}

enum TextFilesWriter {
    static func folder(prefix: String, suffix: String, time: BatchTime) -> URL {
        URL(fileURLWithPath: suffix.isEmpty ? "\(prefix)-\(time.milliseconds)" : "\(prefix)-\(time.milliseconds).\(suffix)")
    }

    static func write<T>(_ batch: Batch<T>, to folder: URL) throws {
        let fm = FileManager.default
        let parent = folder.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let temp = parent.appendingPathComponent(".\(folder.lastPathComponent).tmp-\(UInt32.random(in: 0...UInt32.max))")
        try fm.createDirectory(at: temp, withIntermediateDirectories: true)
        do {
            for (i, part) in batch.partitions.enumerated() {
                var text = ""
                for x in part { text += SparkFormat.render(x); text += "\n" }
                let name = "part-" + String(repeating: "0", count: max(0, 5 - String(i).count)) + String(i)
                try syncWrite(Data(text.utf8), to: temp.appendingPathComponent(name))
            }
            try syncWrite(Data(), to: temp.appendingPathComponent("_SUCCESS"))
            if fm.fileExists(atPath: folder.path) { try fm.removeItem(at: folder) }
            try fm.moveItem(at: temp, to: folder)
        } catch {
            try? fm.removeItem(at: temp)
            throw SpateError.outputFailed(operation: "saveAsTextFiles", reason: "\(folder.path): \(error)")
        }
    }

    /// Writes and fsyncs a file so a crash after the rename never leaves a folder with missing data.
    static func syncWrite(_ data: Data, to url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw SpateError.outputFailed(operation: "saveAsTextFiles", reason: "cannot create \(url.path)")
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.write(contentsOf: data)
        try handle.synchronize()
    }
}
