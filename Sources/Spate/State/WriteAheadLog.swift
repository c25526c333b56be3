import Foundation
import Synchronization

/// A write-ahead log of received records, for receiver sources when checkpointing is on (Spark's receiver
/// WAL). Records get consecutive sequence numbers; they are appended in blocks to segment files
/// `segment-<first sequence number>.wal` in `<checkpoint>/receivedData/<source>/`, each block framed as
/// `UInt32 length, UInt32 CRC-32, JSON array of records` (a torn final block is ignored on reading).
/// A reliable store fsyncs before it returns, so a receiver may acknowledge its upstream right after.
final class WriteAheadLog<Element: Sendable>: Sendable {
    let directory: URL
    private let state: Mutex<State>

    private struct State: Sendable {
        var handle: FileDescriptorBox?
        var segmentFirst = 0
        var nextSeq = 0
        var segments: [Int] = []
    }

    /// Opens (creating) the log in `directory`; `nextSeq` continues after the last logged record.
    init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let segments = Self.segmentStarts(directory)
        var next = 0
        if let last = segments.last {
            next = last + (try Self.readSegment(directory, first: last).count)
        }
        state = Mutex(State(handle: nil, segmentFirst: next, nextSeq: next, segments: segments))
    }

    /// The sequence number the next record gets.
    var nextSequence: Int { state.withLock { $0.nextSeq } }

    /// Moves the next sequence number forward to `sequence` (after a lost tail: numbers a checkpoint already
    /// gave out are never handed out again); the next append starts a new segment there.
    func skip(to sequence: Int) throws {
        try state.withLock { s in
            guard sequence > s.nextSeq else { return }
            try s.handle?.handle.close()
            s.handle = nil
            s.nextSeq = sequence
            s.segmentFirst = sequence
        }
    }

    /// Appends `records`; with `sync`, returns only after they are on disk. Returns their first sequence number.
    /// Throws `SpateError.writeAheadLogFailed` (with the segment's path) when the segment cannot be created or
    /// written.
    @discardableResult
    func append(_ records: [Element], sync: Bool) throws -> Int {
        let payload = try DynamicCodable.encode(records, operatorName: "receiver write-ahead log")
        var frame = Data()
        withUnsafeBytes(of: UInt32(payload.count).bigEndian) { frame.append(contentsOf: $0) }
        withUnsafeBytes(of: CRC32.checksum(payload).bigEndian) { frame.append(contentsOf: $0) }
        frame.append(payload)
        return try state.withLock { s in
            let url = directory.appendingPathComponent("segment-\(s.handle == nil ? s.nextSeq : s.segmentFirst).wal")
            do {
                if s.handle == nil {
                    guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                        throw SpateError.writeAheadLogFailed(path: url.path, reason: "the file could not be created")
                    }
                    s.handle = FileDescriptorBox(handle: try FileHandle(forWritingTo: url))
                    s.segmentFirst = s.nextSeq
                    s.segments.append(s.nextSeq)
                }
                let first = s.nextSeq
                try s.handle!.handle.write(contentsOf: frame)
                if sync { try s.handle!.handle.synchronize() }
                s.nextSeq += records.count
                return first
            } catch let error as SpateError {
                throw error
            } catch {
                // Foundation's own file error, kept as the reason beside the segment's path.
                throw SpateError.writeAheadLogFailed(path: url.path, reason: "\(error)")
            }
        }
    }

    /// Records with sequence numbers in `range`, read back from disk.
    func read(_ range: Range<Int>) throws -> [Element] {
        guard !range.isEmpty else { return [] }
        let starts = state.withLock { $0.segments }
        var out: [Element] = []
        for (i, first) in starts.enumerated() {
            let end = i + 1 < starts.count ? starts[i + 1] : Int.max
            guard first < range.upperBound, end > range.lowerBound else { continue }
            let records = try Self.readSegment(directory, first: first)
            for (j, r) in records.enumerated() where range.contains(first + j) { out.append(r) }
        }
        return out
    }

    /// Starts a new segment and deletes segments whose records all come before `sequence`.
    func truncate(before sequence: Int) {
        state.withLock { s in
            try? s.handle?.handle.close()
            s.handle = nil
            var keep: [Int] = []
            for (i, first) in s.segments.enumerated() {
                let end = i + 1 < s.segments.count ? s.segments[i + 1] : s.nextSeq
                // The last segment stays, so sequence numbers keep counting up across restarts.
                if end <= sequence && i + 1 < s.segments.count {
                    try? FileManager.default.removeItem(at: directory.appendingPathComponent("segment-\(first).wal"))
                } else {
                    keep.append(first)
                }
            }
            s.segments = keep
        }
    }

    static func segmentStarts(_ directory: URL) -> [Int] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .compactMap { name -> Int? in
                guard name.hasPrefix("segment-"), name.hasSuffix(".wal") else { return nil }
                return Int(name.dropFirst("segment-".count).dropLast(".wal".count))
            }.sorted()
    }

    static func readSegment(_ directory: URL, first: Int) throws -> [Element] {
        let bytes = [UInt8]((try? Data(contentsOf: directory.appendingPathComponent("segment-\(first).wal"))) ?? Data())
        var out: [Element] = []
        var i = 0
        while i + 8 <= bytes.count {
            let length = Int(UInt32(bigEndian: bytes[i..<i + 4]))
            let crc = UInt32(bigEndian: bytes[i + 4..<i + 8])
            guard i + 8 + length <= bytes.count else { break }  // torn final block
            let payload = Data(bytes[i + 8..<i + 8 + length])
            guard CRC32.checksum(payload) == crc else { break }
            out.append(contentsOf: try DynamicCodable.decode([Element].self, from: payload, operatorName: "receiver write-ahead log"))
            i += 8 + length
        }
        return out
    }
}

/// `@unchecked Sendable`: the FileHandle is only used inside the log's Mutex, one thread at a time.
struct FileDescriptorBox: @unchecked Sendable {
    let handle: FileHandle
}
