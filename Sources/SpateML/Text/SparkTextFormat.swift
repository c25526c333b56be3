/// Reading Spark MLlib's text forms of vectors and labeled points (`Vectors.parse`, `LabeledPoint.parse`):
/// - dense vector `[1.0,2.0,3.0]`; sparse vector `(3,[0,2],[1.0,3.0])` (size, indices, values), read as dense;
/// - labeled point `(1.0,[2.0,3.0])` or `(1.0,(3,[0],[2.0]))`, and the legacy form `1.0,2.0 3.0`.
/// Blanks around numbers and delimiters are ignored.
extension Vector {
    /// The largest sparse vector size read by default: a sparse line names its size, and the vector is stored
    /// dense (8 bytes a dimension), so a 20-byte line could otherwise ask for gigabytes.
    public static let defaultMaximumDimension = 65_536

    /// Parses a vector in Spark's text form; throws `SpateMLError.unparsable` saying what is wrong.
    /// A sparse vector larger than `maximumDimension` is refused (raise it to read larger ones).
    /// ```swift
    /// let v = try Vector(parsing: "[1.0,2.5]")
    /// ```
    public init(parsing text: some StringProtocol, maximumDimension: Int = Vector.defaultMaximumDimension) throws {
        var scanner = SparkTextScanner(String(text), maximumDimension: maximumDimension)
        let v = try scanner.vector()
        try scanner.expectEnd()
        self = v
    }
}

extension LabeledPoint {
    /// Parses a labeled point in Spark's text form, `(label,[features])`, or the legacy `label,f1 f2 ...`;
    /// throws `SpateMLError.unparsable` saying what is wrong. A sparse feature vector larger than
    /// `maximumDimension` is refused.
    /// ```swift
    /// let p = try LabeledPoint(parsing: "(1.0,[2.0,3.0])")
    /// ```
    public init(parsing text: some StringProtocol, maximumDimension: Int = Vector.defaultMaximumDimension) throws {
        let line = String(text)
        var scanner = SparkTextScanner(line, maximumDimension: maximumDimension)
        scanner.skipBlanks()
        if scanner.peek() == UInt8(ascii: "(") {
            scanner.advance()
            let label = try scanner.number()
            try scanner.expect(",")
            let features = try scanner.vector()
            try scanner.expect(")")
            try scanner.expectEnd()
            self.init(label: label, features: features)
        } else {
            // Legacy form: "label,f1 f2 f3".
            let parts = line.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let label = SparkTextScanner.double(parts[0].trimmingBlanks()) else {
                throw SpateMLError.unparsable(line: line, reason: "no label")
            }
            var values: [Double] = []
            for field in parts[1].split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                guard let v = SparkTextScanner.double(field) else {
                    throw SpateMLError.unparsable(line: line, reason: "\"\(field)\" is not a number")
                }
                values.append(v)
            }
            self.init(label: label, features: Vector(values))
        }
    }
}

extension Substring {
    fileprivate func trimmingBlanks() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return s
    }
}

/// A byte scanner over one line for the grammar above.
struct SparkTextScanner {
    private let line: String
    private let bytes: [UInt8]
    private let maximumDimension: Int
    private var i = 0

    init(_ line: String, maximumDimension: Int) {
        self.line = line
        self.bytes = Array(line.utf8)
        self.maximumDimension = maximumDimension
    }

    func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }
    mutating func advance() { i += 1 }

    mutating func skipBlanks() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0D { i += 1 }
    }

    func fail(_ reason: String) -> SpateMLError { .unparsable(line: line, reason: reason) }

    mutating func expect(_ c: Unicode.Scalar) throws {
        skipBlanks()
        guard peek() == UInt8(ascii: c) else {
            throw fail("expected \"\(c)\" at column \(i + 1)")
        }
        i += 1
    }

    mutating func expectEnd() throws {
        skipBlanks()
        guard i == bytes.count else { throw fail("unexpected text at column \(i + 1)") }
    }

    mutating func number() throws -> Double {
        skipBlanks()
        let start = i
        while i < bytes.count, !Self.isDelimiter(bytes[i]) { i += 1 }
        var end = i
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        guard end > start else { throw fail("missing number at column \(start + 1)") }
        let text = String(decoding: bytes[start..<end], as: UTF8.self)
        guard let v = Self.double(text) else { throw fail("\"\(text)\" is not a number") }
        return v
    }

    /// `text` read as a number, or nil. `Double(String)` reads a C string and stops at a NUL, so "1\02" would
    /// be 1 (Spark's `Double.parseDouble` refuses it): a NUL is never part of a number.
    static func double(_ text: some StringProtocol) -> Double? {
        text.utf8.contains(0) ? nil : Double(text)
    }

    /// `[a,b,...]` (possibly empty).
    mutating func numberList() throws -> [Double] {
        try expect("[")
        var out: [Double] = []
        skipBlanks()
        if peek() == UInt8(ascii: "]") { i += 1; return out }
        while true {
            out.append(try number())
            skipBlanks()
            if peek() == UInt8(ascii: ",") { i += 1; continue }
            try expect("]")
            return out
        }
    }

    /// A dense `[...]` or sparse `(size,[indices],[values])` vector.
    mutating func vector() throws -> Vector {
        skipBlanks()
        if peek() == UInt8(ascii: "(") {
            i += 1
            let size = try number()
            try expect(",")
            let indices = try numberList()
            try expect(",")
            let values = try numberList()
            try expect(")")
            guard size >= 0, size == size.rounded() else { throw fail("bad sparse size \(size)") }
            guard size <= Double(maximumDimension) else {
                // `Int(size)` would trap past Int.max (a 100-digit size is one line away).
                throw fail("sparse vector of size \(size < 0x1p63 ? "\(Int(size))" : "\(size)") is larger than maximumDimension \(maximumDimension) "
                    + "(it is stored dense, 8 bytes a dimension): pass a larger maximumDimension to read it")
            }
            guard indices.count == values.count else { throw fail("sparse vector with \(indices.count) indices and \(values.count) values") }
            var dense = [Double](repeating: 0, count: Int(size))
            for (index, value) in zip(indices, values) {
                guard index >= 0, index < size, index == index.rounded() else { throw fail("sparse index \(index) out of 0..<\(Int(size))") }
                dense[Int(index)] = value
            }
            return Vector(dense)
        }
        return Vector(try numberList())
    }

    private static func isDelimiter(_ b: UInt8) -> Bool {
        b == UInt8(ascii: ",") || b == UInt8(ascii: "[") || b == UInt8(ascii: "]")
            || b == UInt8(ascii: "(") || b == UInt8(ascii: ")")
    }
}
