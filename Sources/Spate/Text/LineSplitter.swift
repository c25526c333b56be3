/// Splits a byte stream into newline-delimited UTF-8 lines, keeping a line that spans several reads until its
/// newline arrives. `\r\n` endings lose their `\r`. A line that is not valid UTF-8 is dropped and counted,
/// so one bad record never stops a stream. Shared by the socket and file sources.
struct LineSplitter {
    private var partial: [UInt8] = []

    /// Decoded lines and the count of lines dropped as invalid UTF-8.
    struct Output {
        var lines: [String] = []
        var invalid = 0
    }

    /// Consumes `bytes`, appending every completed line to `output`.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, into output: inout Output) {
        let all = bytes.bindMemory(to: UInt8.self)
        var start = all.startIndex
        while let newline = all[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if partial.isEmpty {
                Self.emit(UnsafeBufferPointer(rebasing: all[start..<newline]), into: &output)
            } else {
                partial.append(contentsOf: all[start..<newline])
                partial.withUnsafeBufferPointer { Self.emit($0, into: &output) }
                partial.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
        if start < all.endIndex { partial.append(contentsOf: all[start...]) }
    }

    /// Ends the stream: a last line without a newline still counts (like `BufferedReader.readLine`).
    mutating func finish(into output: inout Output) {
        guard !partial.isEmpty else { return }
        partial.withUnsafeBufferPointer { Self.emit($0, into: &output) }
        partial.removeAll()
    }

    private static func emit(_ line: UnsafeBufferPointer<UInt8>, into output: inout Output) {
        var end = line.endIndex
        if end > line.startIndex, line[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        if let text = String(validating: line[line.startIndex..<end], as: UTF8.self) {
            output.lines.append(text)
        } else {
            output.invalid += 1
        }
    }
}
