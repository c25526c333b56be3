import Foundation

/// What a checkpoint holds (format version 1). Written as one file:
///
/// ```
/// bytes 0..<8    magic "SPATECKP"
/// bytes 8..<12   format version, UInt32 big-endian (1)
/// bytes 12..<20  payload length, UInt64 big-endian
/// bytes 20..<24  CRC-32 (IEEE) of the payload, UInt32 big-endian
/// bytes 24...    payload: this struct as JSON (UTF-8)
/// ```
/// Operator states are keyed by the operator's name (`DStream.named(_:)`, or `<operator>#<n>` by definition
/// order), and hold their keys and values as separate JSON arrays, so a rebuilt program whose operators
/// have the same names and types restores them. Files are `checkpoint-<batch time ms>.spate`, written to a
/// temporary file, fsynced, then renamed; the newest few are kept. A file of another format version is never
/// read as corrupt nor deleted: recovery stops with `CheckpointError.formatVersionMismatch`.
struct CheckpointData: Codable, Sendable, Equatable {
    static let currentVersion: UInt32 = 1

    /// The batch interval of the program that wrote it.
    var batchIntervalMs: Int
    /// The clock's zero time: batch times are zeroMs + k x interval.
    var zeroMs: Int
    /// Every batch up to this time completed, outputs included.
    var completedMs: Int
    /// Batches generated but not completed when the checkpoint was taken; they run again on recovery.
    var pendingMs: [Int]
    /// Each source's position and recent batch descriptors, by source name.
    var sources: [String: SourceCheckpoint]
    /// Each stateful operator's state, by operator name.
    var operators: [String: OperatorCheckpoint]
    /// Wall-clock milliseconds when it was written.
    var writtenAtMs: Int
}

extension CheckpointData {
    /// The latest time a checkpoint may name (about 142,000 years after 1970): far from `Int`'s end, so the
    /// batch arithmetic of a recovery never overflows.
    static let latestTimeMs = 1 << 52

    /// What makes the times in a checkpoint impossible for any program that could have written it (a batch
    /// interval of 0, times out of range or off the batch grid, pending batches not after the completed one);
    /// nil when they are plausible.
    var implausibleTimes: String? {
        let range = 0...Self.latestTimeMs
        guard range.contains(batchIntervalMs), batchIntervalMs > 0 else { return "batch interval \(batchIntervalMs) ms" }
        guard range.contains(zeroMs), range.contains(completedMs), completedMs >= zeroMs,
            (completedMs - zeroMs) % batchIntervalMs == 0
        else { return "completed batch \(completedMs) ms is not on the batch grid from \(zeroMs) ms" }
        for t in pendingMs where t <= completedMs || t > Self.latestTimeMs || (t - zeroMs) % batchIntervalMs != 0 {
            return "pending batch \(t) ms is not a batch after \(completedMs) ms"
        }
        func onGrid(_ t: Int) -> Bool { range.contains(t) && t >= zeroMs && (t - zeroMs) % batchIntervalMs == 0 }
        for (name, source) in sources {
            for t in source.batches.keys where !onGrid(t) { return "source \(name): batch time \(t) ms" }
        }
        // An operator's state includes every batch up to its last one, which cannot be after the completed batch;
        // before the zero time or off the grid, recovery would catch up from a time no batch had.
        for (name, op) in operators {
            if let last = op.lastMs, !onGrid(last) || last > completedMs { return "operator \(name): last batch \(last) ms" }
        }
        return nil
    }
}

/// A source's part of a checkpoint.
struct SourceCheckpoint: Codable, Sendable, Equatable {
    /// Where the source continues after the last generated batch.
    var position: Data
    /// How to rebuild recent batches (the ones windows still need, and the pending ones), by batch time.
    var batches: [Int: Data]
}

/// A stateful operator's part of a checkpoint.
struct OperatorCheckpoint: Codable, Sendable, Equatable {
    /// The operator and its types, e.g. `updateStateByKey<String, Int>`: a program whose operator of the
    /// same name has another kind cannot restore it.
    var kind: String
    /// The last batch time whose data the state includes.
    var lastMs: Int?
    /// JSON arrays: keys, values and, for some operators, extra per-key data.
    var keys: Data
    var values: Data
    var extra: Data?
}

/// Reads and writes checkpoint files.
enum CheckpointFile {
    static let magic = Array("SPATECKP".utf8)
    static let prefix = "checkpoint-"
    static let suffix = ".spate"

    static func encode(_ data: CheckpointData) throws -> Data {
        let encoder = StateJSON.encoder()
        encoder.outputFormatting = [.sortedKeys]
        let payload = try encoder.encode(data)
        var out = Data(magic)
        out.append(contentsOf: bigEndianBytes(CheckpointData.currentVersion))
        out.append(contentsOf: bigEndianBytes(UInt64(payload.count)))
        out.append(contentsOf: bigEndianBytes(CRC32.checksum(payload)))
        out.append(payload)
        return out
    }

    static func decode(_ bytes: Data, path: String) throws -> CheckpointData {
        let b = [UInt8](bytes)
        guard b.count >= 24, Array(b[0..<8]) == magic else {
            throw CheckpointError.corrupt(path: path, reason: "no Spate checkpoint header")
        }
        let version = UInt32(bigEndian: b[8..<12])
        guard version == CheckpointData.currentVersion else {
            throw CheckpointError.formatVersionMismatch(
                path: path, fileVersion: version, supportedVersion: CheckpointData.currentVersion)
        }
        let length = UInt64(bigEndian: b[12..<20])
        guard UInt64(b.count - 24) == length else {
            throw CheckpointError.corrupt(path: path, reason: "truncated: \(b.count - 24) of \(length) payload bytes")
        }
        let payload = Data(b[24...])
        guard CRC32.checksum(payload) == UInt32(bigEndian: b[20..<24]) else {
            throw CheckpointError.corrupt(path: path, reason: "checksum mismatch")
        }
        let data: CheckpointData
        do {
            data = try StateJSON.decoder().decode(CheckpointData.self, from: payload)
        } catch {
            throw CheckpointError.corrupt(path: path, reason: "unreadable payload: \(error)")
        }
        if let problem = data.implausibleTimes {
            throw CheckpointError.corrupt(path: path, reason: problem)
        }
        return data
    }

    /// Checkpoint files in `directory`, newest first.
    static func list(_ directory: URL) -> [(time: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix(prefix), name.hasSuffix(suffix),
                  let t = Int(name.dropFirst(prefix.count).dropLast(suffix.count)) else { return nil }
            return (t, directory.appendingPathComponent(name))
        }.sorted { $0.0 > $1.0 }
    }

    /// How many checkpoint files are kept: recovery falls back to an older one when a newer one is corrupt,
    /// so the sources keep what the oldest of them needs (see `Checkpointer`).
    static let kept = 3

    /// Writes atomically: temporary file, fsync, rename, fsync of the directory; then deletes the checkpoints
    /// older than the newest `keep` (never one of another format version). Blocks: run it on `BlockingIO`.
    static func write(_ data: CheckpointData, to directory: URL, keep: Int = kept) throws {
        let final = directory.appendingPathComponent("\(prefix)\(data.completedMs)\(suffix)")
        let bytes = try encode(data)
        let temp = directory.appendingPathComponent(".\(prefix)\(data.completedMs)\(temporaryMark)\(getpid())")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try DurableFile.writeSynced(bytes, to: temp)
            try DurableFile.move(temp, to: final)
            try DurableFile.syncDirectory(directory)
        } catch {
            // A full disk leaves a partial temporary file: remove it, so the space comes back with the next write.
            try? FileManager.default.removeItem(at: temp)
            throw CheckpointError.writeFailed(path: final.path, reason: "\(error)")
        }
        for old in list(directory).dropFirst(keep) where headerVersion(old.url) ?? CheckpointData.currentVersion
            == CheckpointData.currentVersion
        {
            try? FileManager.default.removeItem(at: old.url)
        }
    }

    /// What marks a checkpoint's temporary file: `.checkpoint-<time>.tmp-<pid>`.
    static let temporaryMark = ".tmp-"

    /// Deletes temporary files a crashed write left in `directory` (`.checkpoint-*.tmp-*`). Blocks.
    static func removeLeftovers(in directory: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix("." + prefix) && name.contains(temporaryMark) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    /// The format version in the header of the file at `url`; nil when it has no Spate checkpoint header.
    static func headerVersion(_ url: URL) -> UInt32? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 12), head.count == 12, Array(head.prefix(8)) == magic else {
            return nil
        }
        return UInt32(bigEndian: [UInt8](head)[8..<12])
    }

    /// The newest checkpoint that reads back intact; corrupt ones are skipped with a warning. Throws
    /// `CheckpointError.formatVersionMismatch` when the newest readable header is of another format version:
    /// such a file is neither skipped nor deleted. Blocks.
    static func latest(in directory: URL, warn: (String) -> Void) throws -> CheckpointData? {
        for entry in list(directory) {
            do {
                return try decode(try Data(contentsOf: entry.url), path: entry.url.path)
            } catch let error as CheckpointError {
                if case .formatVersionMismatch = error { throw error }
                warn("\(error); using the previous checkpoint")
            } catch {
                warn("\(CheckpointError.corrupt(path: entry.url.path, reason: "\(error)")); using the previous checkpoint")
            }
        }
        return nil
    }

    /// The source parts of every intact checkpoint in `directory` older than `beforeMs`, newest first, at most
    /// `limit`: what the sources must still keep for a fallback to them. Blocks.
    static func sourceParts(in directory: URL, beforeMs: Int, limit: Int) -> [(time: Int, sources: [String: SourceCheckpoint])] {
        var out: [(time: Int, sources: [String: SourceCheckpoint])] = []
        for entry in list(directory) where entry.time < beforeMs && out.count < limit {
            guard let bytes = try? Data(contentsOf: entry.url), let data = try? decode(bytes, path: entry.url.path) else {
                continue
            }
            out.append((entry.time, data.sources))
        }
        return out
    }

    private static func bigEndianBytes<I: FixedWidthInteger>(_ value: I) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}

extension FixedWidthInteger {
    init(bigEndian bytes: ArraySlice<UInt8>) {
        var v: Self = 0
        for b in bytes { v = (v << 8) | Self(b) }
        self = v
    }
}

/// CRC-32 (IEEE 802.3), to detect truncated or flipped checkpoint bytes.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        data.withUnsafeBytes { raw in
            for b in raw { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
