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
///
/// Replayable: a batch is described by the names of the files it read, and the position is the set of names
/// seen so far, so a recovered program reads again the files of its pending batches and then every file that
/// arrived after its checkpoint (before the crash or while it was down). Listing and reading run on the
/// blocking pool, off the batch timer. Lines are `String`s or `Utf8Text` views of the file's bytes (`format`).
final class TextFileSource<Line: Sendable>: StreamSource {
    let directory: String
    let newFilesOnly: Bool
    let parallelism: Int
    let format: TextLineFormat<Line>
    private let logger: Logger
    private let state = Mutex(State())

    private struct State: Sendable {
        /// The names already read (or ignored at start); nil until `start()` or a checkpoint sets them.
        var seen: Set<String>?
        var missingLogged = false
    }

    init(directory: String, newFilesOnly: Bool, format: TextLineFormat<Line>, parallelism: Int, logger: Logger) {
        self.directory = directory
        self.format = format
        self.newFilesOnly = newFilesOnly
        self.parallelism = parallelism
        var logger = logger
        logger[metadataKey: "source"] = "textFileStream(\(directory))"
        self.logger = logger
    }

    var name: String { "textFileStream" }

    var sourceName: String { "textFileStream(directory: \"\(directory)\")" }

    /// Whether a directory entry is a data file: hidden and temporary names ("." or "_" first) are not.
    static func isDataFileName(_ name: String) -> Bool {
        !(name.hasPrefix(".") || name.hasPrefix("_"))
    }

    func start() async throws {
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
        // A checkpoint's names win: files that arrived since it was taken are still to be read.
        let restored = state.withLock { s -> Bool in
            if s.seen != nil { return true }
            s.seen = Set(existing)
            return false
        }
        logger.info("watching directory", metadata: [
            "ignoredExistingFiles": "\(restored ? 0 : existing.count)", "recovered": "\(restored)"])
    }

    var position: Set<String> { state.withLock { $0.seen ?? [] } }

    func restore(position: Set<String>) async throws { state.withLock { $0.seen = position } }

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
    func cut(at time: BatchTime, limit: Int?) async -> SourceBatch<Line, [String]> {
        let empty = SourceBatch(partitions: Batch<Line>.split([], into: parallelism), descriptor: [String]())
        return (try? await BlockingIO.run { [self] in cutNow() }) ?? empty
    }

    func replay(_ files: [String], at time: BatchTime) async throws -> [[Line]] {
        try await BlockingIO.run { [self] in read(files).parts }
    }

    private func cutNow() -> SourceBatch<Line, [String]> {
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
            return SourceBatch(partitions: Batch<Line>.split([], into: parallelism), descriptor: [])
        }
        let fresh = state.withLock { s -> [String] in
            let seen = s.seen ?? []
            let fresh = names.filter { !seen.contains($0) }
            // Forget names that left the directory, so the set tracks the directory's size.
            s.seen = Set(names)
            return fresh
        }
        let (parts, invalid) = read(fresh)
        return SourceBatch(partitions: parts, descriptor: fresh, invalidRecords: invalid)
    }

    /// Reads the lines of `files` (names in the directory); also returns the lines dropped as invalid UTF-8.
    private func read(_ files: [String]) -> (parts: [[Line]], invalid: Int) {
        var output = TextLineSplitter<Line>.Output()
        let base = URL(fileURLWithPath: directory, isDirectory: true)
        for name in files {
            do {
                let data = try Data(contentsOf: base.appendingPathComponent(name))
                var splitter = TextLineSplitter(format: format)
                data.withUnsafeBytes { splitter.feed($0, into: &output) }
                splitter.finish(into: &output)
            } catch {
                logger.error("cannot read a file; skipping it", metadata: ["file": "\(name)", "error": "\(error)"])
            }
        }
        if output.invalid > 0 {
            logger.warning("dropped lines that are not valid UTF-8", metadata: ["invalidLines": "\(output.invalid)"])
        }
        if !files.isEmpty {
            logger.debug("read new files", metadata: ["files": "\(files.count)", "lines": "\(output.lines.count)"])
        }
        return (Batch<Line>.split(output.lines, into: parallelism), output.invalid)
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
    ///
    /// With checkpointing, a recovered program reads again the files of the batches it had not completed, and
    /// then every file that arrived after its last checkpoint, also while it was down.
    public func textFileStream(directory: String, newFilesOnly: Bool = true) -> DStream<String> {
        textFileStream(directory: directory, newFilesOnly: newFilesOnly, as: .strings)
    }

    /// `textFileStream(directory:newFilesOnly:)` handing out its lines in `format`: `.utf8Lines` gives
    /// `Utf8Text` views of each file's bytes, the fast form (no String built per line).
    /// ```swift
    /// let lines = ssc.textFileStream(directory: "in", as: .utf8Lines)     // DStream<Utf8Text>
    /// ```
    public func textFileStream<Line>(directory: String, newFilesOnly: Bool = true,
                                     as format: TextLineFormat<Line>) -> DStream<Line> {
        inputStream(TextFileSource(directory: directory, newFilesOnly: newFilesOnly, format: format,
                                   parallelism: parallelism, logger: logger))
    }

    /// `textFileStream(directory:newFilesOnly:)` for a file URL.
    public func textFileStream(directory: URL, newFilesOnly: Bool = true) -> DStream<String> {
        textFileStream(directory: directory.path, newFilesOnly: newFilesOnly)
    }

    /// `textFileStream(directory:newFilesOnly:as:)` for a file URL.
    public func textFileStream<Line>(directory: URL, newFilesOnly: Bool = true,
                                     as format: TextLineFormat<Line>) -> DStream<Line> {
        textFileStream(directory: directory.path, newFilesOnly: newFilesOnly, as: format)
    }
}
