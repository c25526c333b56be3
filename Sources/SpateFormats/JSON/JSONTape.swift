/// One JSON record read into a flat tape: every value is one token (kind, byte range, index of the token after
/// it), containers followed by their members. No object tree, no String per key: the decoder compares keys
/// and reads scalars straight from the record's bytes, and the tape is one array per record.
///
/// The grammar is RFC 8259's; nesting is bounded (`maxDepth`) so a hostile record cannot exhaust the stack.
struct JSONTape {
    enum Kind: UInt8 { case object, array, string, number, bool, null }

    struct Token {
        var kind: Kind
        /// A string with backslash escapes (it must be unescaped), or the value `true` of a bool.
        var flag: Bool
        /// Bytes of the value: inside the quotes for strings, the literal for the others, the brackets for
        /// containers.
        var start: Int32
        var end: Int32
        /// The index of the token after this value and everything in it.
        var next: Int32
        /// Elements of an array, members of an object (each member is a key token then a value).
        var count: Int32
    }

    static let maxDepth = 512
    let bytes: UnsafeRawBufferPointer
    private(set) var tokens: [Token] = []

    /// Reads `bytes` as one JSON value (surrounding whitespace allowed); throws `RecordDecodingError` with the
    /// offset of the first byte that breaks the grammar.
    init(_ bytes: UnsafeRawBufferPointer) throws {
        self.bytes = bytes
        if bytes.count >= Int(Int32.max) { throw RecordDecodingError(format: "json", reason: "record over 2 GiB") }
        tokens.reserveCapacity(16)
        var i = skipSpace(0)
        i = try value(at: i, depth: 0)
        i = skipSpace(i)
        if i != bytes.count { throw error(at: i, "unexpected \(describe(i)) after the value") }
    }

    func error(at offset: Int, _ reason: String) -> RecordDecodingError {
        RecordDecodingError(format: "json", offset: offset, reason: reason)
    }

    private func describe(_ i: Int) -> String {
        i >= bytes.count ? "end of input" : "byte '\(Unicode.Scalar(bytes[i]))'"
    }

    private func skipSpace(_ from: Int) -> Int {
        var i = from
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return i
            }
        }
        return i
    }

    private mutating func push(_ kind: Kind, _ start: Int, _ end: Int, flag: Bool = false) {
        let n = Int32(tokens.count)
        tokens.append(Token(kind: kind, flag: flag, start: Int32(start), end: Int32(end), next: n + 1, count: 0))
    }

    /// Reads the value at `i`, returning the offset after it.
    private mutating func value(at i: Int, depth: Int) throws -> Int {
        guard i < bytes.count else { throw error(at: i, "expected a value, found end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try container(at: i, depth: depth, object: true)
        case UInt8(ascii: "["): return try container(at: i, depth: depth, object: false)
        case UInt8(ascii: "\""): return try string(at: i)
        case UInt8(ascii: "t"): return try literal(at: i, "true", .bool, flag: true)
        case UInt8(ascii: "f"): return try literal(at: i, "false", .bool, flag: false)
        case UInt8(ascii: "n"): return try literal(at: i, "null", .null, flag: false)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number(at: i)
        default: throw error(at: i, "expected a value, found \(describe(i))")
        }
    }

    private mutating func literal(at i: Int, _ word: StaticString, _ kind: Kind, flag: Bool) throws -> Int {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count, memcmpEqual(i, word.utf8Start, n) else {
            throw error(at: i, "expected '\(word)', found \(describe(i))")
        }
        push(kind, i, i + n, flag: flag)
        return i + n
    }

    private func memcmpEqual(_ i: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        for k in 0..<n where bytes[i + k] != p[k] { return false }
        return true
    }

    private mutating func number(at start: Int) throws -> Int {
        var i = start
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        let digits = i
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
        if i == digits { throw error(at: i, "expected a digit, found \(describe(i))") }
        if bytes[digits] == 0x30 && i - digits > 1 { throw error(at: digits, "a number may not start with 0") }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            let f = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
            if i == f { throw error(at: i, "expected a digit after '.', found \(describe(i))") }
        }
        if i < bytes.count, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let e = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
            if i == e { throw error(at: i, "expected an exponent digit, found \(describe(i))") }
        }
        push(.number, start, i)
        return i
    }

    private mutating func string(at quote: Int) throws -> Int {
        var i = quote + 1
        var escaped = false
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                push(.string, quote + 1, i, flag: escaped)
                return i + 1
            } else if b == UInt8(ascii: "\\") {
                escaped = true
                i += 2
            } else if b < 0x20 {
                throw error(at: i, "control character \(b) inside a string (escape it)")
            } else {
                i += 1
            }
        }
        throw error(at: quote, "string not closed before the end of input")
    }

    private mutating func container(at open: Int, depth: Int, object: Bool) throws -> Int {
        if depth >= Self.maxDepth { throw error(at: open, "nesting deeper than \(Self.maxDepth) levels") }
        let me = tokens.count
        push(object ? .object : .array, open, open)
        let close = object ? UInt8(ascii: "}") : UInt8(ascii: "]")
        var i = skipSpace(open + 1)
        var count: Int32 = 0
        if i < bytes.count, bytes[i] == close {
            i += 1
        } else {
            while true {
                if object {
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                        throw error(at: i, "expected a member name in quotes, found \(describe(i))")
                    }
                    i = skipSpace(try string(at: i))
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
                        throw error(at: i, "expected ':' after the member name, found \(describe(i))")
                    }
                    i = skipSpace(i + 1)
                }
                i = skipSpace(try value(at: i, depth: depth + 1))
                count += 1
                guard i < bytes.count else { throw error(at: i, "container not closed before the end of input") }
                if bytes[i] == close { i += 1; break }
                guard bytes[i] == UInt8(ascii: ",") else {
                    throw error(at: i, "expected ',' or '\(Unicode.Scalar(close))', found \(describe(i))")
                }
                i = skipSpace(i + 1)
            }
        }
        tokens[me].end = Int32(i)
        tokens[me].next = Int32(tokens.count)
        tokens[me].count = count
        return i
    }
}
