import Foundation
import Logging
import Metrics
import Synchronization

/// A write-ahead log of received records, for receiver sources when checkpointing is on (Spark's receiver
/// WAL). Records get consecutive sequence numbers; they are appended in frames to segment files
/// `segment-<first sequence number>.wal` in `<checkpoint>/receivedData/<source>/` (the frame format is in
/// `WriteAheadLogSegment`).
///
/// Every call does file I/O and may block on the disk: call it from a thread of its own (the receiver's
/// `WriteAheadLogWriter`) or through `BlockingIO.run`, never on the cooperative pool. Calls are serialized.
///
/// What survives what: an appended frame is in the page cache once `append` returns (it survives the
/// process being killed); after `sync()` (or `append(_:sync: true)`) it is on the disk (it survives a power
/// cut). A new segment's directory entry is fsynced when the segment is created, and the directory again
/// after segments are removed. On reopening, the next sequence number continues after the highest complete
/// frame of the last segment, or after that segment's own number, whichever is higher: numbers handed out
/// before are never handed out again (`skip(to:)` persists a higher one, such as a checkpoint's position).
final class WriteAheadLog<Element: Sendable>: Sendable {
    let directory: URL
    private let logger: Logger
    private let state: Mutex<State>
    private let skippedCounter = Counter(label: "spate_wal_skipped_bytes_total")

    /// A segment grows up to this size before the next append starts a new one, so truncation can free
    /// space and a read does not load one huge file.
    static var maximumSegmentBytes: Int { 16 << 20 }

    private struct State: Sendable {
        /// The segment appends go to (-1: the next append creates one); never a segment found on opening.
        var fd: Int32 = -1
        var segmentBytes = 0
        var nextSeq = 0
        /// The first sequence numbers (file names) of the segments, ascending.
        var segments: [Int] = []
        var unsynced = false
    }

    /// Opens (creating) the log in `directory`; `nextSequence` continues after the last logged record.
    /// Damaged or torn bytes found in the last segment are logged and counted.
    init(directory: URL, logger: Logger = Logger(label: "spate.wal")) throws {
        self.directory = directory
        self.logger = logger
        let existed = FileManager.default.fileExists(atPath: directory.path)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SpateError.writeAheadLogFailed(path: directory.path, reason: "the directory could not be created (\(error))")
        }
        if !existed { try Self.syncDirectory(directory.deletingLastPathComponent()) }
        let segments = Self.segmentStarts(directory)
        var next = 0
        if let last = segments.last {
            // The next number comes from this file: one that cannot be read (an I/O error, no descriptor left)
            // must stop the start, not count as empty, or numbers its records hold would be handed out again.
            let data: Data
            do { data = try Data(contentsOf: Self.url(directory, last)) } catch {
                throw SpateError.writeAheadLogFailed(
                    path: Self.url(directory, last).path,
                    reason: "the last segment could not be read (\(error)); the log's next sequence number depends on it")
            }
            let segment = WriteAheadLogSegment(data: data, namedFirst: last) { try Self.decode($0, directory, last).count }
            next = Swift.max(last, segment.end ?? last)
            if segment.skippedBytes > 0 {
                skippedCounter.increment(by: segment.skippedBytes)
                logger.warning("the write-ahead log's last segment has torn or damaged bytes; every complete frame is still read", metadata: [
                    "segment": "\(Self.url(directory, last).path)", "skippedBytes": "\(segment.skippedBytes)",
                    "nextSequence": "\(next)"])
            }
        }
        state = Mutex(State(nextSeq: next, segments: segments))
    }

    deinit {
        state.withLock { s in if s.fd >= 0 { _ = Foundation.close(s.fd) } }
    }

    /// The sequence number the next record gets.
    var nextSequence: Int { state.withLock { $0.nextSeq } }

    /// Moves the next sequence number forward to `sequence` (after a lost tail: numbers a checkpoint already
    /// gave out are never handed out again). An empty segment of that number is created and its directory
    /// entry fsynced, so the number survives a restart even before a record is appended.
    func skip(to sequence: Int) throws {
        try state.withLock { s in
            guard sequence > s.nextSeq else { return }
            s.nextSeq = sequence
            try openSegment(&s)
        }
    }

    /// Appends `records` as one frame; with `sync`, returns only after they are on disk. Returns their first
    /// sequence number. Throws `SpateError.writeAheadLogFailed` (with the segment's path) when the segment
    /// cannot be created, written or synced; the log is then as it was before the call (a partly written
    /// frame is cut off again) and the records have no sequence number.
    @discardableResult
    func append(_ records: [Element], sync: Bool) throws -> Int {
        let payload = try DynamicCodable.encode(records, operatorName: "receiver write-ahead log")
        return try state.withLock { s in
            if s.fd < 0 || s.segmentBytes >= Self.maximumSegmentBytes { try openSegment(&s) }
            let first = s.nextSeq
            let frame = WriteAheadLogSegment.frame(first: first, count: records.count, payload: payload)
            let path = Self.url(directory, s.segments.last ?? first).path
            if let failure = Self.write(frame, to: s.fd) ?? (sync ? Self.fsync(s.fd) : nil) {
                // Cut the partial frame off, so the segment holds whole frames only; if even that fails, the
                // next append starts a new segment and readers skip the torn bytes.
                if ftruncate(s.fd, off_t(s.segmentBytes)) != 0 {
                    _ = Foundation.close(s.fd)
                    s.fd = -1
                }
                throw SpateError.writeAheadLogFailed(path: path, reason: failure)
            }
            s.segmentBytes += frame.count
            s.nextSeq += records.count
            s.unsynced = !sync
            return first
        }
    }

    /// Makes every appended frame durable (fsync of the open segment).
    func sync() throws {
        try state.withLock { s in
            guard s.unsynced, s.fd >= 0 else { return }
            if let failure = Self.fsync(s.fd) {
                throw SpateError.writeAheadLogFailed(path: Self.url(directory, s.segments.last ?? 0).path, reason: failure)
            }
            s.unsynced = false
        }
    }

    /// Records with sequence numbers in `range`, read back from disk. Throws
    /// `SpateError.writeAheadLogRecordsMissing` when any of them is not in the log (its segment was removed,
    /// or its frame is torn or damaged).
    func read(_ range: Range<Int>) throws -> [Element] {
        guard !range.isEmpty else { return [] }
        var out: [Element] = []
        out.reserveCapacity(range.count)
        var expected = range.lowerBound
        for (run, records) in try runs(overlapping: range) {
            guard run.upperBound > expected else { continue }
            guard run.lowerBound <= expected else { break }
            let from = expected - run.lowerBound
            let to = Swift.min(run.upperBound, range.upperBound) - run.lowerBound
            out.append(contentsOf: records[from..<to])
            expected = run.lowerBound + to
        }
        guard expected == range.upperBound else {
            throw SpateError.writeAheadLogRecordsMissing(
                directory: directory.path, range: range, missingFrom: expected)
        }
        return out
    }

    /// Every record still in the log from sequence number `start` on, as runs of consecutive sequence
    /// numbers (a gap is a torn or damaged frame, or a skipped range).
    func runs(from start: Int) throws -> [(Range<Int>, [Element])] {
        try runs(overlapping: start..<Int.max).map { run, records in
            run.lowerBound >= start ? (run, records) : (start..<run.upperBound, Array(records[(start - run.lowerBound)...]))
        }
    }

    /// Starts a new segment and deletes segments whose records all come before `sequence`; the last
    /// segment stays, so its number keeps the sequence counting up across restarts.
    func truncate(before sequence: Int) {
        state.withLock { s in
            if s.fd >= 0 && s.segmentBytes > 0 {
                _ = Foundation.close(s.fd)
                s.fd = -1
            }
            var keep: [Int] = []
            for (i, first) in s.segments.enumerated() {
                let end = i + 1 < s.segments.count ? s.segments[i + 1] : s.nextSeq
                if end <= sequence && i + 1 < s.segments.count {
                    try? FileManager.default.removeItem(at: Self.url(directory, first))
                } else {
                    keep.append(first)
                }
            }
            if keep.count < s.segments.count {
                do { try Self.syncDirectory(directory) } catch {
                    logger.warning("cannot fsync the write-ahead log's directory after removing segments", metadata: ["error": "\(error)"])
                }
            }
            s.segments = keep
        }
    }

    /// Closes the open segment (after syncing it); the next append starts a new one.
    func close() {
        state.withLock { s in
            guard s.fd >= 0 else { return }
            if s.unsynced { _ = Self.fsync(s.fd) }
            _ = Foundation.close(s.fd)
            s.fd = -1
            s.unsynced = false
        }
    }

    // MARK: Segments

    /// The records of the segments overlapping `range`, as runs of consecutive sequence numbers.
    private func runs(overlapping range: Range<Int>) throws -> [(Range<Int>, [Element])] {
        let (starts, next) = state.withLock { ($0.segments, $0.nextSeq) }
        var out: [(Range<Int>, [Element])] = []
        for (i, first) in starts.enumerated() {
            // Numbers from `next` on were never handed out by this log: a frame there is a stale one that was
            // unreadable when the log opened (so the numbers will be handed out again), never a record.
            let end = i + 1 < starts.count ? starts[i + 1] : next
            guard first < range.upperBound, end > range.lowerBound else { continue }
            let segment = try Self.scan(directory, first: first)
            // A frame outside its segment's numbers is stale: the numbers from the next segment's on (or from the
            // log's next number on) were handed out again after the frame was found damaged.
            for frame in segment.frames where frame.count > 0 && frame.first >= first && frame.sequences.upperBound <= end
                && frame.first < range.upperBound && frame.sequences.upperBound > range.lowerBound {
                let records = try Self.decode(segment.data[frame.payload], directory, first)
                guard records.count == frame.count else { continue }
                if let last = out.last, last.0.upperBound == frame.first {
                    out[out.count - 1] = (last.0.lowerBound..<frame.sequences.upperBound, last.1 + records)
                } else {
                    out.append((frame.sequences, records))
                }
            }
        }
        return out
    }

    /// Creates the segment `segment-<next sequence number>.wal` for the next appends (truncating a file of
    /// that name: it can hold no complete frame, or the next number would be higher) and fsyncs the directory.
    private func openSegment(_ s: inout State) throws {
        if s.fd >= 0 {
            if s.unsynced { _ = Self.fsync(s.fd) }
            _ = Foundation.close(s.fd)
            s.fd = -1
        }
        let url = Self.url(directory, s.nextSeq)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SpateError.writeAheadLogFailed(path: url.path, reason: "the file could not be created")
        }
        do { try Self.syncDirectory(directory) } catch {
            _ = Foundation.close(fd)
            throw error
        }
        s.fd = fd
        s.segmentBytes = 0
        s.unsynced = false
        if s.segments.last != s.nextSeq { s.segments.append(s.nextSeq) }
    }

    static func url(_ directory: URL, _ first: Int) -> URL {
        directory.appendingPathComponent("segment-\(first).wal")
    }

    static func segmentStarts(_ directory: URL) -> [Int] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .compactMap { name -> Int? in
                guard name.hasPrefix("segment-"), name.hasSuffix(".wal") else { return nil }
                return Int(name.dropFirst("segment-".count).dropLast(".wal".count))
            }.sorted()
    }

    /// Reads segment `first` (empty when the file is gone).
    static func scan(_ directory: URL, first: Int) throws -> WriteAheadLogSegment {
        let data = (try? Data(contentsOf: url(directory, first))) ?? Data()
        return WriteAheadLogSegment(data: data, namedFirst: first) { try decode($0, directory, first).count }
    }

    private static func decode(_ payload: Data, _ directory: URL, _ first: Int) throws -> [Element] {
        do {
            return try DynamicCodable.decode([Element].self, from: payload, operatorName: "receiver write-ahead log")
        } catch {
            throw SpateError.writeAheadLogFailed(
                path: url(directory, first).path,
                reason: "a checksummed frame does not decode as [\(Element.self)] (\(error)); the receiver's element "
                    + "type changed: start from an empty checkpoint directory, or keep the element's encoding")
        }
    }

    /// Writes all of `bytes` to `fd`; returns the failure's description, or nil.
    private static func write(_ bytes: Data, to fd: Int32) -> String? {
        do {
            try DurableFile.writeAll(bytes, to: fd, path: "")
            return nil
        } catch let failure as DurableFile.Failure {
            return "write failed: \(failure.reason)"
        } catch {
            return "write failed: \(error)"
        }
    }

    private static func fsync(_ fd: Int32) -> String? {
        Foundation.fsync(fd) == 0 ? nil : "fsync failed: \(String(cString: strerror(errno)))"
    }

    /// Fsyncs `directory`, so the entries created or removed in it survive a power cut.
    static func syncDirectory(_ directory: URL) throws {
        do { try DurableFile.syncDirectory(directory) } catch let failure as DurableFile.Failure {
            throw SpateError.writeAheadLogFailed(path: directory.path, reason: "fsync of the directory failed: \(failure.reason)")
        }
    }
}
