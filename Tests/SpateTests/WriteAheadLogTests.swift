import Foundation
import Testing
@testable import Spate

/// The receiver write-ahead log on a real disk: damaged and torn frames, reopening, missing records.
@Suite struct WriteAheadLogTests {
    static func tempDir() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("spate-wal-\(UUID().uuidString)")
    }

    /// Flips one bit of the byte at `offset` of `file`, in place.
    static func flip(_ file: URL, at offset: Int) throws {
        let handle = try FileHandle(forUpdating: file)
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let byte = try handle.read(upToCount: 1)![0]
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: [byte ^ 0x10])
    }

    /// Three frames of three records in one segment: 0..<3, 3..<6, 6..<9.
    static func threeFrames(_ dir: URL) throws -> URL {
        let log = try WriteAheadLog<String>(directory: dir)
        for frame in 0..<3 { try log.append((0..<3).map { "record-\(frame)-\($0)" }, sync: false) }
        return dir.appendingPathComponent("segment-0.wal")
    }

    /// `threeFrames` with a bit flipped in the middle frame.
    static func damagedThreeFrames(_ dir: URL) throws {
        let segment = try threeFrames(dir)
        let size = try FileManager.default.attributesOfItem(atPath: segment.path)[.size] as! Int
        try flip(segment, at: size / 2)
    }

    /// A damaged frame in the middle of a segment used to hide every later frame of the segment (the reader
    /// stopped at the first bad checksum): now only the damaged frame's records are gone, and reading them
    /// says so instead of returning nothing.
    @Test func aDamagedFrameHidesNothingAfterIt() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.damagedThreeFrames(dir)

        let log = try WriteAheadLog<String>(directory: dir)
        #expect(try log.read(0..<3) == ["record-0-0", "record-0-1", "record-0-2"])
        #expect(try log.read(6..<9) == ["record-2-0", "record-2-1", "record-2-2"])
        #expect((try? log.read(3..<6)) == nil, "the damaged frame's records must not read as an empty batch")
    }

    @Test func readingDamagedRecordsThrowsATypedError() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.damagedThreeFrames(dir)
        let log = try WriteAheadLog<String>(directory: dir)
        #expect(throws: SpateError.writeAheadLogRecordsMissing(directory: dir.path, range: 2..<7, missingFrom: 3)) {
            try log.read(2..<7)
        }
        let runs = try log.runs(from: 0)
        #expect(runs.map(\.0) == [0..<3, 6..<9])
    }

    /// A torn tail (a crash in the middle of writing a frame) costs only that frame: every complete frame is
    /// read, and the next record continues after the last complete one.
    @Test func aTornTailCostsOnlyItsFrame() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let segment = try Self.threeFrames(dir)
        let handle = try FileHandle(forUpdating: segment)
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 5)
        try handle.close()
        let log = try WriteAheadLog<String>(directory: dir)
        #expect(log.nextSequence == 6)
        #expect(try log.read(0..<6).count == 6)
        #expect(try log.append(["after"], sync: true) == 6)
        #expect(try log.read(6..<7) == ["after"])
    }

    /// Reopening used to count the records of the last segment up to its first bad frame and start there,
    /// handing out sequence numbers that later frames (and the checkpoints describing them) already hold.
    @Test func reopeningNeverHandsOutANumberAgain() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.damagedThreeFrames(dir)
        let log = try WriteAheadLog<String>(directory: dir)
        #expect(log.nextSequence == 9)
        #expect(try log.append(["new"], sync: true) == 9)
        #expect(try log.read(6..<9) == ["record-2-0", "record-2-1", "record-2-2"])
        #expect(try log.read(9..<10) == ["new"])
    }

    /// Found by the WriteAheadLog fuzz target: a last segment whose only frame was unreadable when the log
    /// opened (so its numbers are handed out again) used to be read back once its bytes read fine again,
    /// a record at a number the log had not handed out.
    @Test func aFrameAtOrPastTheNextNumberIsNeverRead() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try WriteAheadLog<Int>(directory: dir)
        try log.append([1, 2], sync: true)
        try log.skip(to: 12)
        try log.append([12], sync: true)
        log.close()
        let segment = dir.appendingPathComponent("segment-12.wal")
        try Self.flip(segment, at: 0)
        let reopened = try WriteAheadLog<Int>(directory: dir)
        #expect(reopened.nextSequence == 12)
        try Self.flip(segment, at: 0)  // the bytes read fine again (a transient read error, a flaky disk)
        #expect(try reopened.runs(from: 0).map(\.0) == [0..<2])
        #expect(try reopened.append([99], sync: true) == 12)
        #expect(try reopened.read(12..<13) == [99])
    }

    /// A last segment that cannot be read stops the open with a typed error: counting it as empty would hand
    /// out the numbers its records hold again.
    @Test func anUnreadableLastSegmentFailsTheOpen() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try WriteAheadLog<Int>(directory: dir)
        try log.append([1, 2], sync: true)
        log.close()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("segment-7.wal"), withIntermediateDirectories: false)
        #expect {
            try WriteAheadLog<Int>(directory: dir)
        } throws: { error in
            guard case SpateError.writeAheadLogFailed(let path, _) = error else { return false }
            return path.hasSuffix("segment-7.wal")
        }
    }

    /// A skipped-to sequence number (a checkpoint's position past the log's end) survives a restart before
    /// anything is appended.
    @Test func aSkipIsPersisted() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try WriteAheadLog<Int>(directory: dir)
        try log.append([1, 2], sync: true)
        try log.skip(to: 50)
        #expect(try WriteAheadLog<Int>(directory: dir).nextSequence == 50)
    }

    /// Segments of the first format (no magic, numbered by the file name) are still read.
    @Test func segmentsOfTheFirstFormatAreRead() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var bytes = Data()
        for records in [[10, 11], [12]] {
            let payload = try JSONEncoder().encode(records)
            withUnsafeBytes(of: UInt32(payload.count).bigEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: CRC32.checksum(payload).bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(payload)
        }
        try bytes.write(to: dir.appendingPathComponent("segment-40.wal"))
        let log = try WriteAheadLog<Int>(directory: dir)
        #expect(log.nextSequence == 43)
        #expect(try log.read(40..<43) == [10, 11, 12])
    }
}
