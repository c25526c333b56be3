import Foundation
import Logging
import Synchronization

/// The source behind `textFileStream(directory:)`: at each batch time it lists the directory and reads the
/// files that appeared since the previous batch, each exactly once.
///
/// Names starting with "." or "_" are skipped, so the safe way to add a file is to write it under such a name
/// (or elsewhere) and rename it into the directory: a file is read whole at the first batch that sees its final
/// name. Files are tracked by name; a name that disappears from the directory is forgotten, so the set of seen
/// names stays as small as the directory.
final class TextFileSource: Sendable {
    let directory: String
    let newFilesOnly: Bool
    private let logger: Logger
    private let state = Mutex(State())

    private struct State: Sendable {
        var seen: Set<String> = []
        var cutInvalid = 0
        var missingLogged = false
        /// Set when a checkpoint restored `seen`: start() must not replace it with the current listing.
        var restored = false
    }

    init(directory: String, newFilesOnly: Bool, logger: Logger) {
        self.directory = directory
        self.newFilesOnly = newFilesOnly
        var logger = logger
        logger[metadataKey: "source"] = "textFileStream(\(directory))"
        self.logger = logger
    }

    var sourceName: String { "textFileStream(directory: \"\(directory)\")" }

    var hooks: SourceHooks {
        SourceHooks(
            start: { [self] in try start() },
            takeInvalidCount: { [self] in
                state.withLock { s in
                    defer { s.cutInvalid = 0 }
                    return s.cutInvalid
                }
            })
    }

    /// Whether a directory entry is a data file: hidden and temporary names ("." or "_" first) are not.
    static func isDataFileName(_ name: String) -> Bool {
        !(name.hasPrefix(".") || name.hasPrefix("_"))
    }

    private func start() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw SpateError.sourceFailed(
                source: sourceName,
                reason: "directory \(directory) does not exist: create it (mkdir -p \(directory)) or fix the path")
        }
        guard isDirectory.boolValue else {
            throw SpateError.sourceFailed(
                source: sourceName,
                reason: "\(directory) is a file, not a directory: pass the directory that new files are moved into")
        }
        let existing = newFilesOnly ? try listDataFiles() : []
        state.withLock { s in if !s.restored { s.seen = Set(existing) } }
        logger.info("watching directory", metadata: ["ignoredExistingFiles": "\(existing.count)"])
    }

    /// Names of the regular data files in the directory, sorted.
    private func listDataFiles() throws -> [String] {
        let base = URL(fileURLWithPath: directory, isDirectory: true)
        return try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { Self.isDataFileName($0) }
            .filter { name in
                let values = try? base.appendingPathComponent(name).resourceValues(forKeys: [.isRegularFileKey])
                return values?.isRegularFile == true
            }
            .sorted()
    }

    /// Reads the files that appeared since the last cut, in name order; their lines make the batch.
    func cut(into parallelism: Int) -> [[String]] {
        cutDescribed(into: parallelism).parts
    }

    func cutDescribed(into parallelism: Int) -> (parts: [[String]], files: [String]) {
        let names: [String]
        do {
            names = try listDataFiles()
            state.withLock { $0.missingLogged = false }
        } catch {
            let first = state.withLock { s -> Bool in
                defer { s.missingLogged = true }
                return !s.missingLogged
            }
            if first {
                logger.warning("cannot list the directory; batches stay empty until it is back", metadata: [
                    "error": "\(error)"])
            }
            return (Batch<String>.split([], into: parallelism), [])
        }
        let fresh = state.withLock { s -> [String] in
            let fresh = names.filter { !s.seen.contains($0) }
            // Forget names that left the directory, so the set tracks the directory's size.
            s.seen = Set(names)
            return fresh
        }
        return (read(fresh, into: parallelism), fresh)
    }

    /// Reads the lines of `files` (names in the directory).
    func read(_ files: [String], into parallelism: Int) -> [[String]] {
        var output = LineSplitter.Output()
        let base = URL(fileURLWithPath: directory, isDirectory: true)
        let fresh = files
        for name in fresh {
            do {
                let data = try Data(contentsOf: base.appendingPathComponent(name))
                var splitter = LineSplitter()
                data.withUnsafeBytes { splitter.feed($0, into: &output) }
                splitter.finish(into: &output)
            } catch {
                logger.error("cannot read a new file; skipping it", metadata: ["file": "\(name)", "error": "\(error)"])
            }
        }
        if output.invalid > 0 {
            logger.warning("dropped lines that are not valid UTF-8", metadata: ["invalidLines": "\(output.invalid)"])
            state.withLock { $0.cutInvalid += output.invalid }
        }
        if !fresh.isEmpty {
            logger.debug("read new files", metadata: ["files": "\(fresh.count)", "lines": "\(output.lines.count)"])
        }
        return Batch<String>.split(output.lines, into: parallelism)
    }
}

extension StreamingContext {
    /// A stream of the lines of new text files in `directory`, as Spark's `textFileStream`: at each batch
    /// time Spate lists the directory and reads every file that appeared since the previous batch, exactly once;
    /// each line (newline-delimited UTF-8) is a record.
    ///
    /// Files must appear whole: write them elsewhere (or under a name starting with "." or "_", which are
    /// ignored) and move them in. With `newFilesOnly` (the default, as in Spark) files already in the directory
    /// at `start()` are not read. `start()` throws `SpateError.sourceFailed` if the directory does not exist.
    /// Lines that are not valid UTF-8 are dropped and reported in `BatchInfo.invalidRecords`.
    public func textFileStream(directory: String, newFilesOnly: Bool = true) -> DStream<String> {
        let source = TextFileSource(directory: directory, newFilesOnly: newFilesOnly, logger: logger)
        let parallelism = self.parallelism
        return inputStream(name: "textFileStream", hooks: source.hooks) { _ in
            source.cut(into: parallelism)
        }
    }

    /// `textFileStream(directory:newFilesOnly:)` for a file URL.
    public func textFileStream(directory: URL, newFilesOnly: Bool = true) -> DStream<String> {
        textFileStream(directory: directory.path, newFilesOnly: newFilesOnly)
    }
}
