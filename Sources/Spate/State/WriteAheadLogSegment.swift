import Foundation

/// One segment file of the receiver write-ahead log as read back from disk: where its complete frames are,
/// which sequence numbers they hold, and how many bytes belong to no complete frame.
///
/// A frame is, big endian: the magic `SWAL` (4 bytes), a CRC-32 (4) of everything after it, the sequence
/// number of its first record (8), its record count (4), the payload's length (4), and the payload, a JSON
/// array of the records. Each frame carries its own sequence numbers and checksum, so a torn write (a crash
/// in the middle of a frame) or a damaged byte costs only that frame: the reader skips to the next magic
/// whose frame checks out and counts the bytes it skipped, and every later frame is still read.
///
/// Segments of the first format (`UInt32 length, UInt32 CRC-32, JSON`, numbered from the file name) are
/// still read, up to their first damaged frame, so a log written by an earlier version is not lost.
struct WriteAheadLogSegment: Sendable {
    /// A complete frame: records `first..<first + count`, their JSON at `payload` in the file's bytes.
    struct Frame: Sendable, Equatable {
        let first: Int
        let count: Int
        let payload: Range<Int>
        var sequences: Range<Int> { first..<(first + count) }
    }

    static let magic: [UInt8] = Array("SWAL".utf8)
    static let headerSize = 24

    /// The file's bytes.
    let data: Data
    /// The complete frames, in file order.
    private(set) var frames: [Frame] = []
    /// Bytes that belong to no complete frame: a torn tail, or damaged frames that were skipped.
    private(set) var skippedBytes = 0
    /// The frames that were skipped (a rough count: a run of damaged bytes counts once).
    private(set) var skippedRuns = 0

    /// Encodes one frame of `count` records starting at sequence number `first`.
    static func frame(first: Int, count: Int, payload: Data) -> Data {
        var body = Data(capacity: headerSize - 8 + payload.count)
        withUnsafeBytes(of: UInt64(first).bigEndian) { body.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(count).bigEndian) { body.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(payload.count).bigEndian) { body.append(contentsOf: $0) }
        body.append(payload)
        var frame = Data(magic)
        withUnsafeBytes(of: CRC32.checksum(body).bigEndian) { frame.append(contentsOf: $0) }
        frame.append(body)
        return frame
    }

    /// Reads the frames of `data`, a segment whose file name says it starts at sequence number `namedFirst`;
    /// `count` decodes a first-format payload to count its records.
    init(data: Data, namedFirst: Int, count: (Data) throws -> Int) {
        self.data = data
        if !data.isEmpty, !hasMagic(at: 0), let legacy = try? Self.legacyFrames(data, namedFirst, count) {
            (frames, skippedBytes) = legacy
            skippedRuns = skippedBytes > 0 ? 1 : 0
            return
        }
        var i = 0
        while i < data.count {
            if let frame = frame(at: i) {
                frames.append(frame)
                i = frame.payload.upperBound
                continue
            }
            // Not a frame here: skip to the next magic (or the end) and count what was skipped.
            var j = i + 1
            while j + 4 <= data.count && !hasMagic(at: j) { j += 1 }
            if j + 4 > data.count { j = data.count }
            skippedBytes += j - i
            skippedRuns += 1
            i = j
        }
    }

    /// The sequence number after the last complete frame, or nil when there is none.
    var end: Int? { frames.map(\.sequences.upperBound).max() }

    private func hasMagic(at i: Int) -> Bool {
        i + 4 <= data.count && data[i] == Self.magic[0] && data[i + 1] == Self.magic[1]
            && data[i + 2] == Self.magic[2] && data[i + 3] == Self.magic[3]
    }

    private func uint(_ at: Int, _ width: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in at..<(at + width) { v = v << 8 | UInt64(data[k]) }
        return v
    }

    /// The complete, checksummed frame starting at byte `i`, if there is one.
    private func frame(at i: Int) -> Frame? {
        guard hasMagic(at: i), i + Self.headerSize <= data.count else { return nil }
        let first = uint(i + 8, 8), count = uint(i + 16, 4), length = Int(uint(i + 20, 4))
        let end = i + Self.headerSize + length
        guard first <= UInt64(Int.max - Int(UInt32.max)), end <= data.count,
              CRC32.checksum(data[(i + 8)..<end]) == UInt32(uint(i + 4, 4)) else { return nil }
        return Frame(first: Int(first), count: Int(count), payload: (i + Self.headerSize)..<end)
    }

    /// The frames of a first-format segment, up to the first one that does not check out (its bytes and
    /// everything after count as skipped); nil when the first frame does not check out either (not that format).
    private static func legacyFrames(
        _ data: Data, _ namedFirst: Int, _ count: (Data) throws -> Int
    ) throws -> ([Frame], Int)? {
        var frames: [Frame] = []
        var i = 0, next = namedFirst
        while i + 8 <= data.count {
            let bytes = data[i..<(i + 8)].map { UInt64($0) }
            let length = Int(bytes[0..<4].reduce(0) { $0 << 8 | $1 })
            let crc = UInt32(bytes[4..<8].reduce(0) { $0 << 8 | $1 })
            guard i + 8 + length <= data.count, CRC32.checksum(data[(i + 8)..<(i + 8 + length)]) == crc else { break }
            let n = try count(data[(i + 8)..<(i + 8 + length)])
            frames.append(Frame(first: next, count: n, payload: (i + 8)..<(i + 8 + length)))
            next += n
            i += 8 + length
        }
        return frames.isEmpty ? nil : (frames, data.count - i)
    }
}
