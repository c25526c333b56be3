/// How a text source hands out its lines: as `String`s (the default, Spark's form) or as `Utf8Text` views of
/// the received bytes (the fast form: no String is built per line, and the tokenizers, parsers and `TextKey`
/// work on the bytes directly).
/// ```swift
/// let lines = ssc.socketTextStream(host: "127.0.0.1", port: 9999, as: .utf8Lines)   // DStream<Utf8Text>
/// let counts = lines.flatMap { $0.wordKeys }.map { ($0, 1) }.reduceByKey(+)
/// ```
/// Both forms drop the lines that are not valid UTF-8 and count them in `BatchInfo.invalidRecords`.
public struct TextLineFormat<Line: Sendable>: Sendable {
    /// Builds the line of bytes `range` of `chunk` (whose buffer is `bytes`), or nil when they are not valid
    /// UTF-8. `chunk` is empty unless `keepsChunk`.
    let line: @Sendable (_ chunk: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Line?
    /// Whether lines point into the chunk they were read from, so a reader must hand it over as an array.
    let keepsChunk: Bool
    /// A line's size in bytes, for the receive buffers' byte bound.
    let size: @Sendable (Line) -> Int
}

extension TextLineFormat where Line == String {
    /// Each line decoded into a `String`.
    public static var strings: TextLineFormat<String> {
        TextLineFormat(line: { _, bytes, range in
            String(validating: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }, keepsChunk: false, size: { $0.utf8.count })
    }
}

extension TextLineFormat where Line == Utf8Text {
    /// Each line a `Utf8Text` view of the bytes read (the lines of one read share its buffer): validated as
    /// UTF-8, never copied or decoded.
    public static var utf8Lines: TextLineFormat<Utf8Text> {
        TextLineFormat(line: { chunk, bytes, range in
            Utf8Text.isValidUTF8(UnsafeBufferPointer(rebasing: bytes[range]))
                ? Utf8Text(base: chunk, start: range.lowerBound, end: range.upperBound) : nil
        }, keepsChunk: true, size: { $0.count })
    }
}

extension Utf8Text {
    /// Whether `bytes` are valid UTF-8: eight ASCII bytes at a time, the standard library's parser from the
    /// first byte that is not ASCII. Allocates nothing.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= bytes.count {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            i += 8
        }
        while i < bytes.count && bytes[i] < 0x80 { i += 1 }
        if i == bytes.count { return true }
        var iterator = UnsafeBufferPointer(rebasing: bytes[i...]).makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
