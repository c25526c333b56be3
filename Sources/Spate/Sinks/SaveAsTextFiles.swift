import Foundation

extension DStream {
    /// Writes every batch to a folder `"<prefix>-<time ms>[.<suffix>]"`: one `part-NNNNN` file per partition,
    /// one record per line, then `_SUCCESS`. The folder appears atomically: written and fsynced under a
    /// temporary name, then renamed into place and the parent folder fsynced. Writing the same batch time again
    /// (a batch re-run after recovery) replaces the folder by renames only (the old one moved aside, the new one
    /// in), so re-runs are idempotent and a crash never leaves a half-written folder under the final name.
    /// Temporary folders a crash left behind are removed (or, for a replaced folder, put back) when the context
    /// starts. The file I/O runs on threads for blocking calls, off Swift's cooperative pool. A failed write
    /// (a full disk) throws `SpateError.outputFailed` naming the folder, and nothing of the batch is left.
    public func saveAsTextFiles(prefix: String, suffix: String = "") {
        foreach(TextFilesSink<T>(prefix: prefix, suffix: suffix), named: "saveAsTextFiles")
    }
}

/// The output of `saveAsTextFiles`: cleans up at open, writes one folder per batch.
struct TextFilesSink<Element: Sendable>: BatchSink {
    let prefix: String
    let suffix: String

    func open() async throws {
        let prefix = URL(fileURLWithPath: self.prefix)
        try await BlockingIO.run { TextFilesWriter.removeLeftovers(prefix: prefix) }
    }

    func write(_ batch: Batch<Element>, at time: BatchTime) async throws {
        let files = TextFilesWriter.render(batch)
        let folder = TextFilesWriter.folder(prefix: prefix, suffix: suffix, time: time)
        try await BlockingIO.run { try TextFilesWriter.write(files, to: folder) }
    }
}

enum TextFilesWriter {
    /// Marks a folder being written: `.<name>.tmp-<random>`.
    static let temporaryMark = ".tmp-"
    /// Marks the folder a re-run batch replaces, while it is moved aside: `.<name>.old-<random>`.
    static let asideMark = ".old-"

    static func folder(prefix: String, suffix: String, time: BatchTime) -> URL {
        URL(fileURLWithPath: suffix.isEmpty ? "\(prefix)-\(time.milliseconds)" : "\(prefix)-\(time.milliseconds).\(suffix)")
    }

    /// A batch's files: `part-NNNNN` per partition (one record per line), then an empty `_SUCCESS`.
    static func render<T>(_ batch: Batch<T>) -> [(name: String, data: Data)] {
        var files: [(name: String, data: Data)] = []
        for (i, part) in batch.partitions.enumerated() {
            var text = ""
            for x in part { text += SparkFormat.render(x); text += "\n" }
            let name = "part-" + String(repeating: "0", count: max(0, 5 - String(i).count)) + String(i)
            files.append((name, Data(text.utf8)))
        }
        files.append(("_SUCCESS", Data()))
        return files
    }

    /// Writes `files` as `folder`: into a temporary folder, each file fsynced, the folder fsynced; an existing
    /// `folder` renamed aside; the new one renamed in; the parent fsynced; the old one removed. Blocks.
    static func write(_ files: [(name: String, data: Data)], to folder: URL) throws {
        let fm = FileManager.default
        let parent = folder.deletingLastPathComponent()
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let temp = parent.appendingPathComponent(".\(folder.lastPathComponent)\(temporaryMark)\(tag)")
        let aside = parent.appendingPathComponent(".\(folder.lastPathComponent)\(asideMark)\(tag)")
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
            try fm.createDirectory(at: temp, withIntermediateDirectories: false)
            for file in files { try DurableFile.writeSynced(file.data, to: temp.appendingPathComponent(file.name)) }
            try DurableFile.syncDirectory(temp)
            let replacing = DurableFile.exists(folder)
            if replacing { try DurableFile.move(folder, to: aside) }
            do {
                try DurableFile.move(temp, to: folder)
            } catch {
                if replacing { try? DurableFile.move(aside, to: folder) }
                throw error
            }
            try DurableFile.syncDirectory(parent)
            if replacing { try? fm.removeItem(at: aside) }
        } catch {
            try? fm.removeItem(at: temp)
            throw SpateError.outputFailed(operation: "saveAsTextFiles", reason: "\(folder.path): \(error)")
        }
    }

    /// Removes what a crash left next to the folders of `prefix`: temporary folders, and folders moved aside
    /// (put back when the batch's folder is missing: the crash came between the two renames). Blocks.
    static func removeLeftovers(prefix: URL) {
        let fm = FileManager.default
        let parent = prefix.deletingLastPathComponent()
        let start = "." + prefix.lastPathComponent + "-"
        let names = (try? fm.contentsOfDirectory(atPath: parent.path)) ?? []
        for name in names where name.hasPrefix(start) {
            let url = parent.appendingPathComponent(name)
            if let mark = name.range(of: asideMark, options: .backwards) {
                let original = parent.appendingPathComponent(String(name[name.index(after: name.startIndex)..<mark.lowerBound]))
                if !DurableFile.exists(original), (try? DurableFile.move(url, to: original)) != nil { continue }
                try? fm.removeItem(at: url)
            } else if name.range(of: temporaryMark, options: .backwards) != nil {
                try? fm.removeItem(at: url)
            }
        }
        try? DurableFile.syncDirectory(parent)
    }
}
